import Foundation
import Hummingbird
import OpenStackModels

/// What Trove asks an instance's guest agent: databases, users and root, on ACTIVE instances only.
extension TroveAPI {
    func registerGuest(on router: Router<BasicRequestContext>, prefix p: String) {
        let instance = p + "/instances/:id"
        router.get(RouterPath(instance + "/databases")) { request, context in
            await handle(request, context) { caller, id in
                let names = try withState { try $0.guestInstance(context, caller).databases }
                return json(["databases": .array(names.map { ["name": .string($0)] })], requestID: id)
            }
        }
        router.post(RouterPath(instance + "/databases")) { request, context in
            await handle(request, context) { caller, id in
                let body = try await decode(request, JSONValue.self, key: nil)
                let names = try Self.names(body["databases"], member: "databases")
                try withState { state in
                    var record = try state.guestInstance(context, caller)
                    for name in names where record.databases.contains(name) {
                        throw TroveError.badRequest("A database with the name \"\(name)\" already exists.")
                    }
                    record.databases += names
                    state.instances[record.id] = record
                }
                return SimHTTP.empty(status: 202, headers: [("x-openstack-request-id", id), ("Content-Type", "application/json")])
            }
        }
        router.delete(RouterPath(instance + "/databases/:name")) { request, context in
            await handle(request, context) { caller, id in
                let name = context.parameters.get("name") ?? ""
                try withState { state in
                    var record = try state.guestInstance(context, caller)
                    guard record.databases.contains(name) else { throw TroveError.notFound(name) }
                    record.databases.removeAll { $0 == name }
                    state.instances[record.id] = record
                }
                return SimHTTP.empty(status: 202, headers: [("x-openstack-request-id", id), ("Content-Type", "application/json")])
            }
        }
        router.get(RouterPath(instance + "/users")) { request, context in
            await handle(request, context) { caller, id in
                let users = try withState { try $0.guestInstance(context, caller).users }
                let list: [JSONValue] = users.keys.sorted().map { name in
                    ["name": .string(name), "host": "%", "databases": .array((users[name] ?? []).map { ["name": .string($0)] })]
                }
                return json(["users": .array(list)], requestID: id)
            }
        }
        router.post(RouterPath(instance + "/users")) { request, context in
            await handle(request, context) { caller, id in
                let body = try await decode(request, JSONValue.self, key: nil)
                guard let entries = body["users"]?.arrayValue, !entries.isEmpty else {
                    throw TroveError.validation("'users' is a required property")
                }
                try withState { state in
                    var record = try state.guestInstance(context, caller)
                    for entry in entries {
                        guard let name = entry["name"]?.stringValue, !name.isEmpty, entry["password"]?.stringValue != nil else {
                            throw TroveError.validation("users[] needs 'name' and 'password'")
                        }
                        guard record.users[name] == nil else { throw TroveError.badRequest("A user with the name \"\(name)\" already exists.") }
                        record.users[name] = (entry["databases"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
                    }
                    state.instances[record.id] = record
                }
                return SimHTTP.empty(status: 202, headers: [("x-openstack-request-id", id), ("Content-Type", "application/json")])
            }
        }
        router.delete(RouterPath(instance + "/users/:name")) { request, context in
            await handle(request, context) { caller, id in
                let name = context.parameters.get("name") ?? ""
                try withState { state in
                    var record = try state.guestInstance(context, caller)
                    guard record.users.removeValue(forKey: name) != nil else { throw TroveError.notFound(name) }
                    state.instances[record.id] = record
                }
                return SimHTTP.empty(status: 202, headers: [("x-openstack-request-id", id), ("Content-Type", "application/json")])
            }
        }
        router.get(RouterPath(instance + "/root")) { request, context in
            await handle(request, context) { caller, id in
                let enabled = try withState { try $0.guestInstance(context, caller).rootEnabled }
                return json(["rootEnabled": .bool(enabled)], requestID: id)
            }
        }
        router.post(RouterPath(instance + "/root")) { request, context in
            await handle(request, context) { caller, id in
                try withState { state in
                    var record = try state.guestInstance(context, caller)
                    record.rootEnabled = true
                    state.instances[record.id] = record
                }
                return json(["user": ["name": "root", "password": .string(TroveState.newID())]], requestID: id)
            }
        }
        router.delete(RouterPath(instance + "/root")) { request, context in
            await handle(request, context) { caller, id in
                try withState { state in
                    var record = try state.guestInstance(context, caller)
                    guard record.rootEnabled else { throw TroveError.notFound("root") }
                    record.rootEnabled = false
                    state.instances[record.id] = record
                }
                return SimHTTP.empty(status: 202, headers: [("x-openstack-request-id", id), ("Content-Type", "application/json")])
            }
        }
    }

    /// `[{"name": ...}, ...]` as Trove's schema wants it (at least one, each with a name).
    static func names(_ value: JSONValue?, member: String) throws -> [String] {
        guard let entries = value?.arrayValue, !entries.isEmpty else { throw TroveError.validation("'\(member)' is a required property") }
        return try entries.map { entry in
            guard let name = entry["name"]?.stringValue, !name.isEmpty else { throw TroveError.validation("\(member)[] needs a 'name'") }
            return name
        }
    }
}

extension TroveState {
    /// The instance named in the path, which must be ACTIVE for its guest to answer.
    func guestInstance(_ context: BasicRequestContext, _ caller: TroveAPI.Caller) throws -> TroveInstanceRecord {
        let record = try visibleInstance(context.parameters.get("id") ?? "", project: caller.projectID)
        guard record.isActive else { throw TroveError.unprocessable(id: record.id, status: record.status) }
        return record
    }
}
