import Foundation
import Hummingbird
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// `/v2.0/security-group-rules`: rule changes at the top are re-applied in every pod holding the group.
struct SecurityGroupRuleRoutes: Sendable {
    let service: NetworkService
    let provisioner: NetworkProvisioner

    static let protocolNumbers: [String: Int] = [
        "ah": 51, "dccp": 33, "egp": 8, "esp": 50, "gre": 47, "hopopt": 0, "icmp": 1, "igmp": 2, "ipip": 4,
        "ipv6-encap": 41, "ipv6-frag": 44, "ipv6-icmp": 58, "icmpv6": 58, "ipv6-nonxt": 59, "ipv6-opts": 60,
        "ipv6-route": 43, "ospf": 89, "pgm": 113, "rsvp": 46, "sctp": 132, "tcp": 6, "udp": 17, "udplite": 136,
        "vrrp": 112,
    ]
    static let attributes: Set<String> = Set(jsonObject(
        SecurityGroupRule(id: "", securityGroupID: "", projectID: "", direction: "", createdAt: "", updatedAt: "")).keys)

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.get("/v2.0/security-group-rules") { request, context in
            let caller = NeutronCaller(try context.requireCaller())
            let query = try NeutronListQuery(request, attributes: Self.attributes)
            return try await service.lister.respond(
                .securityGroupRules, collection: "security_group_rules", request: request, query: query,
                base: NetworkDocumentQuery(projectIDs: caller.visibleProjects), parentKey: "security_group_id",
                render: { rows in try rows.map { try jsonObject(service.model(SecurityGroupRule.self, $0)) } },
                notFound: NeutronError.securityGroupRuleNotFound)
        }
        group.post("/v2.0/security-group-rules") { request, context in
            let caller = NeutronCaller(try context.requireCaller())
            let member = try await NeutronHTTP.member(request, key: "security_group_rule", allowed: SecurityGroupRuleCreate.attributeNames)
            let body = try NeutronHTTP.decode(SecurityGroupRuleCreate.self, from: member)
            let rule = try await create(body, caller)
            return NeutronHTTP.single("security_group_rule", jsonObject(rule), request: request, status: .created)
        }
        group.get("/v2.0/security-group-rules/:id") { request, context in
            let caller = NeutronCaller(try context.requireCaller())
            let id = try context.parameters.require("id")
            guard let doc = try await service.documents.get(.securityGroupRules, id: id), caller.owns(doc.projectID) else {
                throw NeutronError.securityGroupRuleNotFound(id)
            }
            return NeutronHTTP.single("security_group_rule", jsonObject(try service.model(SecurityGroupRule.self, doc)), request: request)
        }
        group.delete("/v2.0/security-group-rules/:id") { _, context in
            let caller = NeutronCaller(try context.requireCaller())
            let id = try context.parameters.require("id")
            guard let doc = try await service.documents.get(.securityGroupRules, id: id), caller.owns(doc.projectID) else {
                throw NeutronError.securityGroupRuleNotFound(id)
            }
            try await service.documents.delete(.securityGroupRules, id: id)
            try await provisioner.scheduleSync(.securityGroup, id: doc.parentID)
            return NeutronHTTP.noContent()
        }
    }

    func create(_ body: SecurityGroupRuleCreate, _ caller: NeutronCaller) async throws -> SecurityGroupRule {
        guard let groupID = body.securityGroupID else {
            throw NeutronError.httpBadRequest("Failed to parse request. Required attribute 'security_group_id' not specified")
        }
        guard let direction = body.direction else {
            throw NeutronError.httpBadRequest("Failed to parse request. Required attribute 'direction' not specified")
        }
        guard direction == "ingress" || direction == "egress" else {
            throw NeutronError.invalidAttribute("direction", reason: "'\(direction)' is not in ['ingress', 'egress']")
        }
        let ethertype = body.ethertype ?? "IPv4"
        guard ethertype == "IPv4" || ethertype == "IPv6" else {
            throw NeutronError.invalidAttribute("ethertype", reason: "'\(ethertype)' is not in ['IPv4', 'IPv6']")
        }
        let project = try caller.owningProject(body.projectID, body.tenantID)
        let (group, _) = try await service.securityGroup(groupID, caller)
        var proto = body.protocol.map { $0.lowercased() }
        if proto == "any" { proto = nil }
        var protoNumber: Int?
        if let p = proto {
            if let n = Int(p) {
                guard (0...255).contains(n) else { throw NeutronError.securityGroupRuleInvalidProtocol(p) }
                protoNumber = n
            } else {
                guard let n = Self.protocolNumbers[p] else { throw NeutronError.securityGroupRuleInvalidProtocol(p) }
                protoNumber = n
            }
        }
        let portMin = body.portRangeMin, portMax = body.portRangeMax
        if portMin != nil || portMax != nil {
            switch protoNumber {
            case 6, 17, 33, 132, 136:
                for port in [portMin, portMax].compactMap({ $0 }) where !(1...65535).contains(port) {
                    throw NeutronError(status: 400, type: "SecurityGroupInvalidPortValue", message: "Invalid value for port \(port).")
                }
                if let lo = portMin, let hi = portMax, lo > hi { throw NeutronError.securityGroupInvalidPortRange() }
                if portMin == nil { throw NeutronError.securityGroupInvalidPortRange() }
            case 1, 58:
                if let type = portMin, !(0...255).contains(type) {
                    throw NeutronError(status: 400, type: "SecurityGroupInvalidIcmpValue",
                                       message: "Invalid value for ICMP port_range_min(type): \(type). It must be 0 to 255.")
                }
                if let code = portMax, !(0...255).contains(code) {
                    throw NeutronError(status: 400, type: "SecurityGroupInvalidIcmpValue",
                                       message: "Invalid value for ICMP port_range_max(code): \(code). It must be 0 to 255.")
                }
                if portMin == nil {
                    throw NeutronError(status: 400, type: "SecurityGroupMissingIcmpType",
                                       message: "ICMP code (port-range-max) \(portMax ?? 0) is provided but ICMP type (port-range-min) is missing.")
                }
            default:
                throw NeutronError(status: 400, type: "SecurityGroupInvalidProtocolForPort",
                                   message: "Ports can only be specified for TCP, UDP, UDP-Lite, SCTP and DCCP protocols, and ICMP/ICMPv6 type and code.")
            }
        }
        if body.remoteIPPrefix != nil, body.remoteGroupID != nil { throw NeutronError.securityGroupRemoteGroupAndRemoteIPPrefix() }
        var prefix: IPNetwork?
        if let text = body.remoteIPPrefix {
            if let (net, _) = IPNetwork.parse(text) {
                prefix = net
            } else if let address = IPAddress(text) {
                prefix = IPNetwork(network: address, prefix: address.bitWidth)
            } else {
                throw NeutronError.invalidAttribute("remote_ip_prefix", reason: "'\(text)' is not a valid IP subnet")
            }
            if let prefix, (prefix.version == 4 ? "IPv4" : "IPv6") != ethertype {
                throw NeutronError.securityGroupRuleParameterConflict(ethertype: ethertype, cidr: text)
            }
        }
        if let remote = body.remoteGroupID { _ = try await service.securityGroup(remote, caller) }
        // Duplicates compare normalized values: 0.0.0.0/0 is "any", 6 is tcp.
        let isAny = prefix.map { $0.prefix == 0 } ?? true
        for existing in try await service.rules(of: groupID) {
            let existingProto = existing.protocol.flatMap { Self.protocolNumbers[$0] ?? Int($0) }
            let existingPrefix = existing.remoteIPPrefix.flatMap { IPNetwork.parse($0)?.network }
            let existingAny = existingPrefix.map { $0.prefix == 0 } ?? true
            if existing.direction == direction, existing.ethertype == ethertype, existingProto == protoNumber,
               existing.portRangeMin == portMin, existing.portRangeMax == portMax, existing.remoteGroupID == body.remoteGroupID,
               existingAny == isAny, isAny || existingPrefix == prefix {
                throw NeutronError.securityGroupRuleExists(existing.id)
            }
        }
        let now = NetworkService.now()
        let rule = SecurityGroupRule(
            id: NetworkService.newID(), securityGroupID: group.id, projectID: project, direction: direction, ethertype: ethertype,
            protocol: proto, portRangeMin: portMin, portRangeMax: portMax, remoteIPPrefix: prefix?.description,
            remoteGroupID: body.remoteGroupID, remoteAddressGroupID: body.remoteAddressGroupID, description: body.description ?? "",
            createdAt: now, updatedAt: now, revisionNumber: 0)
        try await service.documents.insert(.securityGroupRules, NetworkDocument(
            id: rule.id, projectID: project, parentID: group.id, body: try NetworkService.body(rule), createdAt: now, updatedAt: now))
        try await provisioner.scheduleSync(.securityGroup, id: group.id)
        return rule
    }
}
