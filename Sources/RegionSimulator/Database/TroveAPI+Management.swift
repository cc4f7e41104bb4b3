import Foundation
import Hummingbird
import OpenStackModels

/// Trove's admin-only management of datastore versions (what `trove-manage` and
/// `openstack datastore version delete/set` do): tests use it to make regions' catalogs differ.
extension TroveAPI {
    func registerManagement(on router: Router<BasicRequestContext>, prefix p: String) {
        let path = RouterPath(p + "/mgmt/datastore-versions/:version")
        router.delete(path) { request, context in
            await handle(request, context) { caller, id in
                guard caller.isAdmin else { throw TroveError.forbidden() }
                let wanted = context.parameters.get("version") ?? ""
                try withState { state in
                    guard let index = state.catalog.firstIndex(where: { $0.versions.contains { $0.id == wanted } }) else {
                        throw TroveError.datastoreVersionNotFound(wanted)
                    }
                    state.catalog[index].versions.removeAll { $0.id == wanted }
                    if state.catalog[index].defaultVersion == wanted { state.catalog[index].defaultVersion = state.catalog[index].versions.last?.id }
                }
                return SimHTTP.empty(status: 202, headers: [("x-openstack-request-id", id), ("Content-Type", "application/json")])
            }
        }
        router.patch(path) { request, context in
            await handle(request, context) { caller, id in
                guard caller.isAdmin else { throw TroveError.forbidden() }
                let wanted = context.parameters.get("version") ?? ""
                let body = try await decode(request, JSONValue.self, key: nil)
                try withState { state in
                    guard state.catalog.contains(where: { $0.versions.contains { $0.id == wanted } }) else {
                        throw TroveError.datastoreVersionNotFound(wanted)
                    }
                    if let image = body["image"]?.stringValue { state.versionImages[wanted] = image }
                }
                return SimHTTP.empty(status: 202, headers: [("x-openstack-request-id", id), ("Content-Type", "application/json")])
            }
        }
    }
}
