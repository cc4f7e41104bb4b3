import Foundation
import Hummingbird
import OpenStackModels

/// A Nova server group (`os-server-groups`).
struct ServerGroupRecord: Sendable {
    var id: String
    var name: String
    var policy: String
    /// `max_server_per_host` for anti-affinity (2.64+).
    var rules: [String: Int]
    var projectID: String
    var userID: String
    /// Member server ids in join order.
    var members: [String]
}

extension ComputeAPI {
    static let groupPolicies: Set<String> = ["affinity", "anti-affinity"]
    static let softGroupPolicies: Set<String> = ["soft-affinity", "soft-anti-affinity"]

    /// The group body for the call's microversion: `policies` + `metadata` before 2.64, `policy` + `rules` after.
    func serverGroupJSON(_ g: ServerGroupRecord, call: ComputeCall) -> JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(g.id), "name": .string(g.name), "members": .array(g.members.map { .string($0) }),
        ]
        if call.atLeast(2, 64) {
            o["policy"] = .string(g.policy)
            o["rules"] = .object(g.rules.mapValues { .int($0) })
        } else {
            o["policies"] = [.string(g.policy)]
            o["metadata"] = [:]
        }
        if call.atLeast(2, 13) {
            o["project_id"] = .string(g.projectID)
            o["user_id"] = .string(g.userID)
        }
        return .object(o)
    }

    func createServerGroup(_ call: ComputeCall) async throws -> Response {
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        let req = try SimHTTP.member(body, "server_group", format: .fault)
        func invalid(_ reason: String) -> SimulatorError {
            SimulatorError.badRequest("Invalid input for field/attribute server_group. Value: \(JSONValue.object(req)). \(reason)")
        }
        guard let name = req["name"]?.stringValue, !name.isEmpty, name.count <= 255 else {
            throw invalid("'name' is a required property")
        }
        let allowed = call.atLeast(2, 15) ? Self.groupPolicies.union(Self.softGroupPolicies) : Self.groupPolicies
        let policy: String
        var rules: [String: Int] = [:]
        if call.atLeast(2, 64) {
            if req["policies"] != nil { throw invalid("Additional properties are not allowed ('policies' was unexpected)") }
            guard let given = req["policy"]?.stringValue else { throw invalid("'policy' is a required property") }
            guard allowed.contains(given) else {
                throw SimulatorError.badRequest("Invalid input for field/attribute policy. Value: \(given). '\(given)' is not one of \(allowed.sorted())")
            }
            policy = given
            if let object = req["rules"]?.objectValue {
                for (key, value) in object {
                    guard key == "max_server_per_host", let n = value.intValue ?? value.stringValue.flatMap({ Int($0) }), n >= 1 else {
                        throw SimulatorError.badRequest("Invalid input for field/attribute rules. Value: \(JSONValue.object(object)).")
                    }
                    guard policy == "anti-affinity" else {
                        throw SimulatorError.badRequest("Only anti-affinity policy supports rules.")
                    }
                    rules[key] = n
                }
            }
        } else {
            if req["policy"] != nil { throw invalid("Additional properties are not allowed ('policy' was unexpected)") }
            guard let list = req["policies"]?.arrayValue?.compactMap(\.stringValue), list.count == 1, let given = list.first else {
                throw invalid("'policies' is a required property")
            }
            guard allowed.contains(given) else {
                throw SimulatorError.badRequest("Invalid input for field/attribute 0. Value: \(given). '\(given)' is not one of \(allowed.sorted())")
            }
            policy = given
        }
        let group = ServerGroupRecord(
            id: newUUID(), name: name, policy: policy, rules: rules, projectID: call.token.projectID,
            userID: call.token.userID, members: [])
        try store.compute.withLock { state in
            let limit = state.quota("server_groups", project: call.token.projectID)
            let used = state.serverGroups.values.filter { $0.projectID == call.token.projectID }.count
            if limit >= 0, used + 1 > limit {
                throw SimulatorError(status: 403, message: "Quota exceeded, too many server groups.", name: "forbidden")
            }
            state.serverGroups[group.id] = group
            state.serverGroupOrder.append(group.id)
        }
        return SimHTTP.json(["server_group": serverGroupJSON(group, call: call)])
    }

    func listServerGroups(_ call: ComputeCall) async throws -> Response {
        let allProjects = call.isAdmin && (call.query("all_projects").map { $0 != "0" && $0.lowercased() != "false" } ?? false)
        var limit = Int.max
        var offset = 0
        if let text = call.query("limit") {
            guard let n = Int(text), n >= 1 else {
                throw SimulatorError.badRequest("Invalid input for query parameters limit. Value: \(text). '\(text)' does not match '^[0-9]*$'")
            }
            limit = n
        }
        if let text = call.query("offset") {
            guard let n = Int(text), n >= 0 else {
                throw SimulatorError.badRequest("Invalid input for query parameters offset. Value: \(text). '\(text)' does not match '^[0-9]*$'")
            }
            offset = n
        }
        let groups = store.compute.withLock { state in
            // Finished deletes leave their groups first, so members are current.
            state.purgeDeleted(now: call.now)
            return state.serverGroupOrder.compactMap { state.serverGroups[$0] }
                .filter { allProjects || $0.projectID == call.token.projectID }
        }
        let page = groups.dropFirst(offset).prefix(limit)
        return SimHTTP.json(["server_groups": .array(page.map { serverGroupJSON($0, call: call) })])
    }

    private func findGroup(_ id: String, call: ComputeCall, in state: ComputeState) throws -> ServerGroupRecord {
        guard let group = state.serverGroups[id], call.isAdmin || group.projectID == call.token.projectID else {
            throw SimulatorError.notFound("Instance group \(id) could not be found.")
        }
        return group
    }

    func showServerGroup(_ call: ComputeCall) async throws -> Response {
        let id = try call.param("group")
        let group = try store.compute.withLock { state in
            state.purgeDeleted(now: call.now)
            return try findGroup(id, call: call, in: state)
        }
        return SimHTTP.json(["server_group": serverGroupJSON(group, call: call)])
    }

    func deleteServerGroup(_ call: ComputeCall) async throws -> Response {
        let id = try call.param("group")
        try store.compute.withLock { state in
            _ = try findGroup(id, call: call, in: state)
            state.serverGroups[id] = nil
            state.serverGroupOrder.removeAll { $0 == id }
            for (serverID, var server) in state.servers where server.serverGroupID == id {
                server.serverGroupID = nil
                state.servers[serverID] = server
            }
        }
        return SimHTTP.empty(status: 204)
    }

    /// The `group` scheduler hint of a boot, checked as Nova does (a uuid naming a visible group).
    func requestedGroup(_ body: JSONValue, call: ComputeCall) throws -> String? {
        guard let hints = body["os:scheduler_hints"] ?? body["OS-SCH-HNT:scheduler_hints"],
              let hint = hints["group"] else { return nil }
        guard let id = hint.stringValue ?? hint.arrayValue?.first?.stringValue, UUID(uuidString: id) != nil else {
            throw SimulatorError.badRequest("Invalid input for field/attribute group. Value: \(hint). is not a 'uuid'")
        }
        try store.compute.withLock { state in
            guard let group = state.serverGroups[id], call.isAdmin || group.projectID == call.token.projectID else {
                throw SimulatorError.badRequest("Instance group \(id) could not be found.")
            }
        }
        return id
    }
}

extension ComputeState {
    /// Adds servers to a group, within the member quota; false when the group is gone.
    mutating func join(group id: String, servers ids: [String], project: String) throws {
        guard var group = serverGroups[id] else {
            throw SimulatorError.badRequest("Instance group \(id) could not be found.")
        }
        let limit = quota("server_group_members", project: project)
        if limit >= 0, group.members.count + ids.count > limit {
            throw SimulatorError(status: 403, message: "Quota exceeded, too many servers in group", name: "forbidden")
        }
        group.members.append(contentsOf: ids)
        serverGroups[id] = group
    }

    /// Takes a deleted server out of its group.
    mutating func leaveGroup(_ server: ServerRecord) {
        guard let id = server.serverGroupID else { return }
        serverGroups[id]?.members.removeAll { $0 == server.id }
    }
}
