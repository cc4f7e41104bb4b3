import Foundation
import Hummingbird
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// `/os-server-groups[/{id}]`: server groups are kept at the top, since one group may hold servers of
/// several regions; a pod gets a group of its own for one the first time a member is booted there
/// (`ServerGroupPlacement`), which goes when the top's group is deleted.
struct ServerGroupRoutes: APIRoutes {
    let calls: ComputePodCalls

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("os-server-groups", use: list)
        group.post("os-server-groups", use: create)
        group.get("os-server-groups/:id", use: show)
        group.delete("os-server-groups/:id", use: delete)
    }

    var groups: ServerGroupStore { calls.serverGroups }

    static let policies = ["anti-affinity", "affinity"]
    static let softPolicies = ["soft-anti-affinity", "soft-affinity"]

    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try CatalogCall(request, context)
        let body = try await call.body()
        for key in body.objectValue?.keys.sorted() ?? [] where key != "server_group" {
            throw APIError(.badRequest, "Invalid input for field/attribute server_group. Additional properties are not allowed ('\(key)' was unexpected)", format: .fault)
        }
        guard let value = body["server_group"], let r = value.objectValue else {
            throw invalidInput("server_group", body["server_group"], body["server_group"] == nil ? "'server_group' is a required property" : "is not of type 'object'")
        }
        let modern = call.atLeast(2, 64)
        let allowed: Set<String> = modern ? ["name", "policy", "rules"] : ["name", "policies"]
        for key in r.keys.sorted() where !allowed.contains(key) {
            throw APIError(.badRequest, "Invalid input for field/attribute server_group. Value: \(Self.text(value)). Additional properties are not allowed ('\(key)' was unexpected)", format: .fault)
        }
        for key in modern ? ["name", "policy"] : ["name", "policies"] where r[key] == nil {
            throw APIError(.badRequest, "Invalid input for field/attribute server_group. Value: \(Self.text(value)). '\(key)' is a required property", format: .fault)
        }
        guard let rawName = r["name"], let name = rawName.stringValue, !name.isEmpty, name.count <= 255,
              name.first?.isWhitespace == false, name.last?.isWhitespace == false else {
            throw invalidInput("name", r["name"], "is not a valid name (1 to 255 characters, no leading or trailing whitespace)")
        }
        let known = call.atLeast(2, 15) ? Self.policies + Self.softPolicies : Self.policies
        let enumText = "[" + known.map { "'\($0)'" }.joined(separator: ", ") + "]"
        var maxPerHost: Int?
        let policy: String
        if modern {
            guard let text = r["policy"]?.stringValue, known.contains(text) else {
                throw invalidInput("policy", r["policy"], "\(Self.text(r["policy"] ?? .null)) is not one of \(enumText)")
            }
            policy = text
            if let rawRules = r["rules"] {
                guard let rules = rawRules.objectValue else { throw invalidInput("rules", rawRules, "is not of type 'object'") }
                for key in rules.keys.sorted() where key != "max_server_per_host" {
                    throw invalidInput("rules", rawRules, "Additional properties are not allowed ('\(key)' was unexpected)")
                }
                if let raw = rules["max_server_per_host"] {
                    guard let n = catalogInteger(raw), n >= 1 else {
                        throw invalidInput("max_server_per_host", raw, "\(Self.text(raw)) is less than the minimum of 1")
                    }
                    maxPerHost = n
                }
                if policy != "anti-affinity", !rules.isEmpty {
                    throw Nova.badRequest("Only anti-affinity policy supports rules.")
                }
            }
        } else {
            guard let list = r["policies"]?.arrayValue, list.count == 1, let text = list.first?.stringValue, known.contains(text) else {
                let list = r["policies"]?.arrayValue
                if let list, list.count != 1 {
                    throw invalidInput("policies", r["policies"], list.isEmpty ? "[] is too short" : "\(Self.text(r["policies"] ?? .null)) is too long")
                }
                let first = list?.first ?? r["policies"] ?? .null
                throw invalidInput(list == nil ? "policies" : "0", first, list == nil ? "is not of type 'array'" : "\(Self.text(first)) is not one of \(enumText)")
            }
            policy = text
        }
        if let limit = try await Self.limit("server_groups", project: call.caller.projectID, calls: calls), limit >= 0,
           try await groups.list(projectID: call.caller.projectID).count + 1 > limit {
            throw APIError(.forbidden, "Quota exceeded, too many server groups.", format: .fault)
        }
        let group = StoredServerGroup(
            id: Identifier.make(), projectID: call.caller.projectID, userID: call.caller.userID, name: name, policy: policy,
            maxServerPerHost: maxPerHost, createdAt: Timestamp.now())
        try await groups.create(group)
        return call.json(["server_group": view(group, members: [], call: call)])
    }

    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try CatalogCall(request, context)
        var limit: Int?
        var offset = 0
        for name in ["limit", "offset"] {
            guard let text = call.query(name) else { continue }
            guard let n = Int(text), n >= 0, text.allSatisfy(\.isNumber) else {
                throw APIError(.badRequest, "Invalid input for query parameters \(name). Value: \(text). '\(text)' does not match '^[0-9]*$'", format: .fault)
            }
            if name == "limit" { limit = n } else { offset = n }
        }
        if call.atLeast(2, 75) {
            let known: Set<String> = ["all_projects", "limit", "offset"]
            for (key, _) in request.uri.queryParameters where !known.contains(String(key)) {
                throw APIError(.badRequest, "Invalid input for query parameters \(key). Additional properties are not allowed ('\(key)' was unexpected)", format: .fault)
            }
        }
        // Nova: `all_projects` in the query at all (any value) widens an admin's list.
        let all = call.caller.isAdmin && request.uri.queryParameters.has("all_projects")
        let every = try await groups.list(projectID: all ? nil : call.caller.projectID)
        // Nova's `common.limited`: at most 1000, and a limit of 0 means the most.
        let size = min(1000, limit.flatMap { $0 == 0 ? nil : $0 } ?? 1000)
        let page = Array(every.dropFirst(offset).prefix(size))
        let members = try await liveMembers(of: page.map(\.id))
        let items = page.map { view($0, members: members[$0.id] ?? [], call: call) }
        return call.json(["server_groups": .array(items)])
    }

    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try CatalogCall(request, context)
        let group = try await visibleGroup(try context.parameters.require("id"), caller: call.caller)
        let members = try await liveMembers(of: [group.id])
        return call.json(["server_group": view(group, members: members[group.id] ?? [], call: call)])
    }

    /// The pods' groups go first (best effort: a pod that is down keeps an unused, empty-policy group).
    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try CatalogCall(request, context)
        let group = try await visibleGroup(try context.parameters.require("id"), caller: call.caller)
        let credentials = call.caller.credentials(requestID: context.requestID)
        for (podID, bottomID) in try await groups.podGroups(groupID: group.id) {
            guard let pod = try await calls.pods.pod(id: podID) else { continue }
            do {
                let answer = try await calls.call("DELETE", "/os-server-groups/\(bottomID)", pod: pod, version: Microversion(2, 1), credentials: credentials)
                if !answer.isSuccess, answer.status != 404 {
                    calls.logger.warning("pod kept its server group", metadata: ["pod": "\(pod.regionName)", "group": "\(bottomID)", "status": "\(answer.status)"])
                }
            } catch {
                calls.logger.warning("pod's server group not deleted", metadata: ["pod": "\(pod.regionName)", "group": "\(bottomID)", "error": "\(error)"])
            }
        }
        guard try await groups.delete(id: group.id) else { throw Self.notFound(group.id) }
        return call.empty(.noContent)
    }

    // MARK: Helpers

    /// A project's Compute limit of `resource` when the top enforces quotas (nil: it does not).
    static func limit(_ resource: String, project: String, calls: ComputePodCalls) async throws -> Int? {
        let quota = calls.quota
        guard quota.enforced else { return nil }
        return try await quota.limits(.compute, project: project)[resource]
    }

    static func notFound(_ id: String) -> APIError { Nova.notFound("Instance group \(id) could not be found.") }

    /// The group when the caller may see it (its project's, or any for admins).
    func visibleGroup(_ id: String, caller: AuthenticatedCaller) async throws -> StoredServerGroup {
        guard let group = try await groups.get(id: id), caller.isAdmin || group.projectID == caller.projectID else {
            throw Self.notFound(id)
        }
        return group
    }

    /// Members per group that still exist (Nova shows only members not deleted): servers the top routes.
    func liveMembers(of ids: [String]) async throws -> [String: [String]] {
        var out: [String: [String]] = [:]
        for member in try await groups.members(groupIDs: ids) {
            let rows = try await calls.routing.resolve(topID: member.serverID, type: .server, projectID: nil)
            if !rows.isEmpty { out[member.groupID, default: []].append(member.serverID) }
        }
        return out
    }

    func view(_ g: StoredServerGroup, members: [String], call: CatalogCall) -> JSONValue {
        var o: [String: JSONValue] = ["id": .string(g.id), "name": .string(g.name), "members": .array(members.map { .string($0) })]
        if call.atLeast(2, 64) {
            o["policy"] = .string(g.policy)
            o["rules"] = .object(g.maxServerPerHost.map { ["max_server_per_host": .int($0)] } ?? [:])
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

    static func text(_ value: JSONValue) -> String {
        if let s = value.stringValue { return "'\(s)'" }
        return String(decoding: value.encoded(), as: UTF8.self)
    }
}
