import Foundation
import Hummingbird
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// `/v2.0/security-groups`: groups at the top; rules live in their own table and are rendered into
/// `security_group_rules`. Each project gets a `default` group on first use, as Neutron does; the table's
/// unique key makes that one group even when many requests race to create it.
struct SecurityGroupRoutes: APIRoutes {
    let service: NetworkService
    let cleaner: PodCopyCleaner

    static let attributes: Set<String> = Set(jsonObject(SecurityGroup(id: "", name: "", projectID: "", createdAt: "", updatedAt: "")).keys)
    static let updateAttributes: Set<String> = ["name", "description", "stateful"]

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("security-groups", use: list)
        group.post("security-groups", use: create)
        group.get("security-groups/:id", use: show)
        group.put("security-groups/:id", use: update)
        group.delete("security-groups/:id", use: delete)
    }

    /// `GET /v2.0/security-groups`.
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        _ = try await service.defaultGroup(project: caller.projectID)
        let query = try NeutronListQuery(request, attributes: Self.attributes)
        return try await service.lister.respond(
            .securityGroups, collection: "security_groups", request: request, query: query,
            base: NetworkDocumentQuery(projectIDs: caller.visibleProjects),
            render: { rows in try await service.renderGroups(rows.map { try service.model(SecurityGroup.self, $0) }) },
            notFound: NeutronError.securityGroupNotFound)
    }

    /// `POST /v2.0/security-groups`.
    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let member = try await NeutronHTTP.member(request, key: "security_group", allowed: SecurityGroupCreate.attributeNames)
        let body = try NeutronHTTP.decode(SecurityGroupCreate.self, from: member)
        let project = try caller.owningProject(body.projectID, body.tenantID)
        try SecurityGroupNameRules.check(name: body.name, current: nil)
        _ = try await service.defaultGroup(project: project)
        let group = try await service.createGroup(project: project, name: body.name ?? "", description: body.description ?? "",
                                     stateful: body.stateful ?? true, tags: body.tags ?? [], isDefault: false)
        return NeutronHTTP.single("security_group", group, request: request, status: .created)
    }

    /// `GET /v2.0/security-groups/:id`.
    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (group, _) = try await service.securityGroup(try context.parameters.require("id"), NeutronCaller(try context.requireCaller()))
        return NeutronHTTP.single("security_group", try await service.renderGroups([group]).first ?? [:], request: request)
    }

    /// `PUT /v2.0/security-groups/:id`.
    func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let (current, _) = try await service.securityGroup(id, NeutronCaller(try context.requireCaller()))
        let member = try await NeutronHTTP.member(request, key: "security_group", allowed: Self.updateAttributes)
        try SecurityGroupNameRules.check(name: member["name"]?.stringValue, current: current.name)
        let (group, _) = try await service.rewrite(.securityGroups, id: id, notFound: .securityGroupNotFound(id)) { (group: inout SecurityGroup, _) in
            if let v = member["name"]?.stringValue { group.name = v }
            if let v = member["description"]?.stringValue { group.description = v }
            if let v = member["stateful"]?.boolValue { group.stateful = v }
            touch(&group.updatedAt, &group.revisionNumber)
        }
        return NeutronHTTP.single("security_group", try await service.renderGroups([group]).first ?? [:], request: request)
    }

    /// `DELETE /v2.0/security-groups/:id`.
    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let id = try context.parameters.require("id")
        let (group, _) = try await service.securityGroup(id, caller)
        if group.name == "default", !caller.isAdmin { throw NeutronError.securityGroupCannotRemoveDefault() }
        let users = try await service.documents.list(.ports, NetworkDocumentQuery(projectIDs: [group.projectID]))
        if try users.contains(where: { try service.model(NeutronPort.self, $0).securityGroups.contains(id) }) {
            throw NeutronError.securityGroupInUse(id)
        }
        try await cleaner.removeEverywhere(securityGroupID: id, context: try podContext(context))
        try await service.documents.delete(.securityGroups, id: id)
        return NeutronHTTP.noContent()
    }

}

extension NetworkService {
    /// Adds the rules, which are stored on their own.
    func renderGroups(_ groups: [SecurityGroup]) async throws -> [[String: JSONValue]] {
        guard !groups.isEmpty else { return [] }
        let rules = try await documents.list(.securityGroupRules, NetworkDocumentQuery(parentIDs: groups.map(\.id)))
        let byGroup = Dictionary(grouping: try rules.map { try model(SecurityGroupRule.self, $0) }, by: \.securityGroupID)
        return groups.map { group in
            var group = group
            group.securityGroupRules = byGroup[group.id] ?? []
            return jsonObject(group)
        }
    }

    /// The rules of one group.
    func rules(of groupID: String) async throws -> [SecurityGroupRule] {
        try await documents.list(.securityGroupRules, NetworkDocumentQuery(parentIDs: [groupID]))
            .map { try model(SecurityGroupRule.self, $0) }
    }

    /// The project's `default` group, created with Neutron's four default rules when missing.
    func defaultGroup(project: String) async throws -> SecurityGroup {
        let key = "default:\(project)"
        if let doc = try await documents.get(.securityGroups, uniqueKey: key) { return try model(SecurityGroup.self, doc) }
        do {
            let object = try await createGroup(project: project, name: "default", description: "Default security group",
                                          stateful: true, tags: [], isDefault: true)
            return try JSONValue.object(object).decode(SecurityGroup.self)
        } catch StoreError.conflict {
            // Another request created it first: that one is the default.
            guard let doc = try await documents.get(.securityGroups, uniqueKey: key) else { throw NeutronError.securityGroupNotFound("default") }
            return try model(SecurityGroup.self, doc)
        }
    }

    /// Writes a group with its initial rules (Neutron's two egress rules; the default group also lets its members in).
    func createGroup(project: String, name: String, description: String, stateful: Bool, tags: [String], isDefault: Bool) async throws -> [String: JSONValue] {
        let now = NetworkService.now()
        let id = NetworkService.newID()
        var rules: [SecurityGroupRule] = []
        for ethertype in ["IPv4", "IPv6"] {
            rules.append(SecurityGroupRule(id: NetworkService.newID(), securityGroupID: id, projectID: project, direction: "egress",
                                           ethertype: ethertype, createdAt: now, updatedAt: now))
            if isDefault {
                rules.append(SecurityGroupRule(id: NetworkService.newID(), securityGroupID: id, projectID: project, direction: "ingress",
                                               ethertype: ethertype, remoteGroupID: id, createdAt: now, updatedAt: now))
            }
        }
        let group = SecurityGroup(id: id, name: name, description: description, projectID: project, stateful: stateful,
                                  tags: tags, createdAt: now, updatedAt: now)
        let doc = NetworkDocument(id: id, projectID: project, name: name, uniqueKey: isDefault ? "default:\(project)" : nil,
                                  body: try NetworkService.body(group), createdAt: now, updatedAt: now)
        let children = try rules.map { rule in
            (NetworkTable.securityGroupRules, NetworkDocument(
                id: rule.id, projectID: project, parentID: id, body: try NetworkService.body(rule), createdAt: now, updatedAt: now))
        }
        try await documents.insert(.securityGroups, doc, with: children)
        var rendered = group
        rendered.securityGroupRules = rules
        return jsonObject(rendered)
    }
}
