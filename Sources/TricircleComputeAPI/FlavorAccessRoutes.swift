import Foundation
import Hummingbird
import OpenStackModels
import TricircleGateway
import TricircleStore

/// `/flavors/{id}/os-flavor-access` and the `addTenantAccess`/`removeTenantAccess` actions (admins).
extension ComputeCatalogRoutes {
    func addFlavorAccessRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("/v2.1/flavors/:flavor/os-flavor-access", use: handler { call, context in
            try call.requireAdmin("os_compute_api:os-flavor-access")
            let flavor = try await visibleFlavor(pathParameter(context, "flavor"), call: call)
            guard !flavor.isPublic else {
                throw APIError(.notFound, "Access list not available for public flavors.", format: .fault)
            }
            return call.json(try await accessList(flavor.id))
        })
        group.post("/v2.1/flavors/:flavor/action", use: handler { call, context in
            let body = try await call.body()
            let id = try pathParameter(context, "flavor")
            if let add = body["addTenantAccess"] {
                try call.requireAdmin("os_compute_api:os-flavor-access:add_tenant_access")
                let tenant = try Self.tenant(add, action: "addTenantAccess")
                let flavor = try await visibleFlavor(id, call: call)
                guard !flavor.isPublic else {
                    throw APIError(.conflict, "Can not add access to a public flavor.", format: .fault)
                }
                try await flavors.addAccess(flavor.id, projectID: tenant)
                return call.json(try await accessList(flavor.id))
            }
            if let remove = body["removeTenantAccess"] {
                try call.requireAdmin("os_compute_api:os-flavor-access:remove_tenant_access")
                let tenant = try Self.tenant(remove, action: "removeTenantAccess")
                let flavor = try await visibleFlavor(id, call: call)
                guard try await flavors.removeAccess(flavor.id, projectID: tenant) else {
                    throw APIError(.notFound, "Flavor access not found for \(flavor.id) / \(tenant) combination.", format: .fault)
                }
                return call.json(try await accessList(flavor.id))
            }
            throw APIError(.badRequest, "There is no such action: \(body.objectValue?.keys.sorted().first ?? "")", format: .fault)
        })
    }

    static func tenant(_ value: JSONValue, action: String) throws -> String {
        guard let tenant = value["tenant"]?.stringValue, !tenant.isEmpty, tenant.count <= 255 else {
            throw invalidInput(action, value, "'tenant' is a required property")
        }
        return tenant
    }

    func accessList(_ flavorID: String) async throws -> JSONValue {
        let projects = try await flavors.accessProjects(flavorID)
        return ["flavor_access": .array(projects.map { ["flavor_id": .string(flavorID), "tenant_id": .string($0)] })]
    }
}
