import Foundation
import Hummingbird
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// `/v2.0/security-group-rules`: rule changes at the top are re-applied in every pod holding the group.
struct SecurityGroupRuleRoutes: APIRoutes {
    let service: NetworkService
    let queue: NeutronSyncQueue

    static let attributes: Set<String> = Set(jsonObject(
        SecurityGroupRule(id: "", securityGroupID: "", projectID: "", direction: "", createdAt: "", updatedAt: "")).keys)

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("security-group-rules", use: list)
        group.post("security-group-rules", use: create)
        group.get("security-group-rules/:id", use: show)
        group.delete("security-group-rules/:id", use: delete)
    }

    /// `GET /v2.0/security-group-rules`.
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let query = try NeutronListQuery(request, attributes: Self.attributes)
        return try await service.lister.respond(
            .securityGroupRules, collection: "security_group_rules", request: request, query: query,
            base: NetworkDocumentQuery(projectIDs: caller.visibleProjects), parentKey: "security_group_id",
            render: { rows in try rows.map { try jsonObject(service.model(SecurityGroupRule.self, $0)) } },
            notFound: NeutronError.securityGroupRuleNotFound)
    }

    /// `POST /v2.0/security-group-rules`.
    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let member = try await NeutronHTTP.member(request, key: "security_group_rule", allowed: SecurityGroupRuleCreate.attributeNames)
        let body = try NeutronHTTP.decode(SecurityGroupRuleCreate.self, from: member)
        let rule = try await create(body, caller)
        return NeutronHTTP.single("security_group_rule", jsonObject(rule), request: request, status: .created)
    }

    /// `GET /v2.0/security-group-rules/:id`.
    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let id = try context.parameters.require("id")
        guard let doc = try await service.documents.get(.securityGroupRules, id: id), caller.owns(doc.projectID) else {
            throw NeutronError.securityGroupRuleNotFound(id)
        }
        return NeutronHTTP.single("security_group_rule", jsonObject(try service.model(SecurityGroupRule.self, doc)), request: request)
    }

    /// `DELETE /v2.0/security-group-rules/:id`.
    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let id = try context.parameters.require("id")
        guard let doc = try await service.documents.get(.securityGroupRules, id: id), caller.owns(doc.projectID) else {
            throw NeutronError.securityGroupRuleNotFound(id)
        }
        try await service.documents.delete(.securityGroupRules, id: id)
        try await queue.scheduleSync(.securityGroup, id: doc.parentID)
        return NeutronHTTP.noContent()
    }

    func create(_ body: SecurityGroupRuleCreate, _ caller: NeutronCaller) async throws -> SecurityGroupRule {
        let checked = try ValidatedSecurityGroupRule(body)
        let project = try caller.owningProject(body.projectID, body.tenantID)
        let (group, _) = try await service.securityGroup(checked.securityGroupID, caller)
        if let remote = body.remoteGroupID { _ = try await service.securityGroup(remote, caller) }
        try checked.checkNotDuplicate(of: try await service.rules(of: group.id))
        let now = NetworkService.now()
        let rule = SecurityGroupRule(
            id: NetworkService.newID(), securityGroupID: group.id, projectID: project, direction: checked.direction,
            ethertype: checked.ethertype, protocol: checked.protocol, portRangeMin: checked.portRangeMin, portRangeMax: checked.portRangeMax,
            remoteIPPrefix: checked.remoteIPPrefix?.description,
            remoteGroupID: body.remoteGroupID, remoteAddressGroupID: body.remoteAddressGroupID, description: body.description ?? "",
            createdAt: now, updatedAt: now, revisionNumber: 0)
        try await service.documents.insert(.securityGroupRules, NetworkDocument(
            id: rule.id, projectID: project, parentID: group.id, body: try NetworkService.body(rule), createdAt: now, updatedAt: now))
        try await queue.scheduleSync(.securityGroup, id: group.id)
        return rule
    }
}
