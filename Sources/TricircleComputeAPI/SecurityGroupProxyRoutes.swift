import Foundation
import Hummingbird
import OpenStackModels
import TricircleCore
import TricircleGateway

/// `/os-security-groups[/{id}]` and `/os-security-group-rules[/{id}]` below 2.36: Nova's proxy to Neutron
/// (`nova/network/security_group_api.py`), answered from the top's security groups in Nova's shapes
/// (ingress rules only, `ip_protocol`/`from_port`/`to_port`, `ip_range` or `group`).
struct SecurityGroupProxyRoutes: APIRoutes {
    let proxy: NeutronProxy

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("os-security-groups", use: list)
        group.post("os-security-groups", use: create)
        group.get("os-security-groups/:id", use: show)
        group.put("os-security-groups/:id", use: update)
        group.delete("os-security-groups/:id", use: delete)
        group.post("os-security-group-rules", use: createRule)
        group.delete("os-security-group-rules/:id", use: deleteRule)
    }

    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try NeutronProxy.call(request, context)
        let answer = try await proxy.neutron("GET", "/security-groups?" + NeutronProxy.query("tenant_id", [call.caller.projectID]), call: call)
        let groups = answer.json["security_groups"]?.arrayValue ?? []
        let names = Dictionary(groups.compactMap { g in g["id"]?.stringValue.map { ($0, g) } }, uniquingKeysWith: { a, _ in a })
        var views = try NeutronProxy.limited(groups, call: call).map { Self.view($0, known: names) }
        views.sort { ($0["tenant_id"]?.stringValue ?? "", $0["name"]?.stringValue ?? "") < ($1["tenant_id"]?.stringValue ?? "", $1["name"]?.stringValue ?? "") }
        return call.json(["security_groups": .array(views)])
    }

    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try NeutronProxy.call(request, context)
        let group = try await fetch(try Self.validID(context), call: call)
        return call.json(["security_group": Self.view(group, known: [:])])
    }

    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try NeutronProxy.call(request, context)
        let r = try Self.fields(try await call.body(), "security_group")
        let answer = try await proxy.neutron("POST", "/security-groups", body: ["security_group": .object(r)], call: call)
        guard answer.isSuccess, let group = answer.json["security_group"] else { throw Self.refused(answer) }
        return call.json(["security_group": Self.view(group, known: [:])])
    }

    func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try NeutronProxy.call(request, context)
        let id = try Self.validID(context)
        let r = try Self.fields(try await call.body(), "security_group")
        let answer = try await proxy.neutron("PUT", "/security-groups/\(id)", body: ["security_group": .object(r)], call: call)
        guard answer.isSuccess, let group = answer.json["security_group"] else { throw Self.refused(answer) }
        return call.json(["security_group": Self.view(group, known: [:])])
    }

    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try NeutronProxy.call(request, context)
        let id = try Self.validID(context)
        let answer = try await proxy.neutron("DELETE", "/security-groups/\(id)", call: call)
        guard answer.isSuccess else { throw Self.refused(answer) }
        return call.empty(.accepted)
    }

    /// Nova's rule: `parent_group_id`, `ip_protocol`, `from_port`/`to_port` (ICMP type/code; -1 any), and
    /// a `cidr` or a `group_id`; made as an ingress rule.
    func createRule(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try NeutronProxy.call(request, context)
        let body = try await call.body()
        guard let r = body["security_group_rule"]?.objectValue else {
            throw invalidInput("security_group_rule", body["security_group_rule"], "'security_group_rule' is a required property")
        }
        guard let parent = r["parent_group_id"]?.stringValue ?? r["parent_group_id"]?.intValue.map(String.init) else {
            throw invalidInput("security_group_rule", .object(r), "'parent_group_id' is a required property")
        }
        guard Identifier.isUUIDLike(parent) else { throw Nova.badRequest("Security group id should be uuid") }
        let parentGroup = try await fetch(parent, call: call)
        let proto = r["ip_protocol"]?.stringValue?.lowercased()
        var from = catalogInteger(r["from_port"]) ?? r["from_port"]?.intValue
        var to = catalogInteger(r["to_port"]) ?? r["to_port"]?.intValue
        let groupID = r["group_id"]?.stringValue
        let cidr = r["cidr"]?.stringValue
        if groupID != nil, from == nil, to == nil {
            if proto == "icmp" { (from, to) = (-1, -1) } else if proto == "tcp" || proto == "udp" { (from, to) = (1, 65535) }
        }
        guard proto == nil || (from != nil && to != nil) else {
            throw Nova.badRequest("Not enough parameters to build a valid rule.")
        }
        var rule: [String: JSONValue] = ["security_group_id": .string(parent), "direction": "ingress",
                                         "ethertype": .string((cidr ?? "").contains(":") ? "IPv6" : "IPv4")]
        if let proto { rule["protocol"] = .string(proto) }
        // Nova's -1 is "any" (ICMP type or code), which Neutron writes as no value.
        if let from, from != -1 { rule["port_range_min"] = .int(from) }
        if let to, to != -1 { rule["port_range_max"] = .int(to) }
        if let groupID { rule["remote_group_id"] = .string(groupID) } else if let cidr { rule["remote_ip_prefix"] = .string(cidr) }
        let answer = try await proxy.neutron("POST", "/security-group-rules", body: ["security_group_rule": .object(rule)], call: call)
        guard answer.isSuccess, let made = answer.json["security_group_rule"] else { throw Self.refused(answer) }
        let known = parentGroup["id"]?.stringValue.map { [$0: parentGroup] } ?? [:]
        var view = Self.ruleView(made)
        if let group = made["remote_group_id"]?.stringValue {
            var source: JSONValue? = known[group]
            if source == nil { source = try? await fetch(group, call: call) }
            view["group"] = ["name": source?["name"] ?? .null, "tenant_id": source?["tenant_id"] ?? source?["project_id"] ?? .null]
        }
        return call.json(["security_group_rule": .object(view)])
    }

    func deleteRule(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try NeutronProxy.call(request, context)
        let id = try Self.validID(context)
        let answer = try await proxy.neutron("DELETE", "/security-group-rules/\(id)", call: call)
        guard answer.isSuccess else { throw Self.refused(answer) }
        return call.empty(.accepted)
    }

    // MARK: Shapes

    func fetch(_ id: String, call: CatalogCall) async throws -> JSONValue {
        let answer = try await proxy.neutron("GET", "/security-groups/\(id)", call: call)
        guard answer.isSuccess, let group = answer.json["security_group"] else { throw Self.refused(answer) }
        return group
    }

    static func validID(_ context: GatewayRequestContext) throws -> String {
        let id = try context.parameters.require("id")
        guard Identifier.isUUIDLike(id) else { throw Nova.badRequest("Security group id should be uuid") }
        return id
    }

    /// `name` and `description`, both required strings, as Nova's schema asks.
    static func fields(_ body: JSONValue, _ key: String) throws -> [String: JSONValue] {
        guard let r = body[key]?.objectValue else { throw invalidInput(key, body[key], "'\(key)' is a required property") }
        for field in ["name", "description"] {
            guard let value = r[field] else { throw invalidInput(key, .object(r), "'\(field)' is a required property") }
            guard let text = value.stringValue, text.count <= 255 else { throw invalidInput(field, value, "is not a string of at most 255 characters") }
        }
        return ["name": r["name"] ?? .null, "description": r["description"] ?? .null]
    }

    /// Neutron's refusal as Nova words it: 404 stays 404, the rest (409 in use, 400) is a 400.
    static func refused(_ answer: NeutronProxy.Answer) -> APIError {
        switch answer.status {
        case 404: return Nova.notFound(answer.message)
        case 401, 403, 503: return APIError(.init(code: answer.status), answer.message, format: .fault)
        default: return Nova.badRequest(answer.message)
        }
    }

    static func view(_ group: JSONValue, known: [String: JSONValue]) -> JSONValue {
        var rules: [JSONValue] = []
        for rule in group["security_group_rules"]?.arrayValue ?? [] where rule["direction"] == "ingress" {
            var view = ruleView(rule)
            if let remote = rule["remote_group_id"]?.stringValue {
                let source: JSONValue? = known[remote] ?? (remote == group["id"]?.stringValue ? Optional(group) : nil)
                view["group"] = ["name": source?["name"] ?? .null, "tenant_id": source?["tenant_id"] ?? source?["project_id"] ?? .null]
            }
            rules.append(.object(view))
        }
        return [
            "id": group["id"] ?? .null, "name": group["name"] ?? .null, "description": group["description"] ?? .null,
            "tenant_id": group["tenant_id"] ?? group["project_id"] ?? .null, "rules": .array(rules),
        ]
    }

    static func ruleView(_ rule: JSONValue) -> [String: JSONValue] {
        let proto = rule["protocol"]?.stringValue
        var from = rule["port_range_min"] ?? .null
        var to = rule["port_range_max"] ?? .null
        if let proto, from == .null, to == .null {
            let ports = ["TCP", "UDP"].contains(proto.uppercased())
            from = .int(ports ? 1 : -1)
            to = .int(ports ? 65535 : -1)
        }
        var view: [String: JSONValue] = [
            "id": rule["id"] ?? .null, "parent_group_id": rule["security_group_id"] ?? .null,
            "ip_protocol": proto.map { .string($0) } ?? .null, "from_port": from, "to_port": to, "group": [:], "ip_range": [:],
        ]
        if rule["remote_group_id"]?.stringValue == nil {
            view["ip_range"] = ["cidr": .string(rule["remote_ip_prefix"]?.stringValue ?? "0.0.0.0/0")]
        }
        return view
    }
}
