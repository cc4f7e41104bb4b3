import Foundation
import OpenStackModels

extension NeutronState {
    static let protocolNumbers: [String: Int] = [
        "ah": 51, "dccp": 33, "egp": 8, "esp": 50, "gre": 47, "hopopt": 0, "icmp": 1, "igmp": 2, "ipip": 4,
        "ipv6-encap": 41, "ipv6-frag": 44, "ipv6-icmp": 58, "icmpv6": 58, "ipv6-nonxt": 59, "ipv6-opts": 60,
        "ipv6-route": 43, "ospf": 89, "pgm": 113, "rsvp": 46, "sctp": 132, "tcp": 6, "udp": 17, "udplite": 136,
        "vrrp": 112,
    ]

    /// The project's `default` group, created with Neutron's four default rules on first use.
    @discardableResult
    mutating func ensureDefaultSecurityGroup(_ project: String) -> String {
        if let id = defaultSecurityGroups[project], securityGroups[id] != nil { return id }
        let id = Self.newID()
        securityGroups[id] = SecurityGroup(
            id: id, name: "default", description: "Default security group", projectID: project,
            createdAt: timestamp, updatedAt: timestamp, revisionNumber: 1)
        register(id)
        defaultSecurityGroups[project] = id
        for ethertype in ["IPv4", "IPv6"] {
            addRule(group: id, project: project, direction: "egress", ethertype: ethertype)
            addRule(group: id, project: project, direction: "ingress", ethertype: ethertype, remoteGroup: id)
        }
        return id
    }

    private mutating func addRule(group: String, project: String, direction: String, ethertype: String, remoteGroup: String? = nil) {
        let id = Self.newID()
        rules[id] = SecurityGroupRule(
            id: id, securityGroupID: group, projectID: project, direction: direction, ethertype: ethertype,
            remoteGroupID: remoteGroup, createdAt: timestamp, updatedAt: timestamp, revisionNumber: 0)
        register(id)
    }

    mutating func createSecurityGroup(_ body: SecurityGroupCreate, _ caller: NeutronCaller) throws -> SecurityGroup {
        let project = try owningProject(body.projectID, body.tenantID, caller)
        ensureDefaultSecurityGroup(project)
        try checkQuota("security_group", project)
        if body.name == "default" {
            throw NeutronError(status: 409, type: "SecurityGroupDefaultAlreadyExists",
                               message: "Default security group already exists.")
        }
        let id = Self.newID()
        let group = SecurityGroup(
            id: id, name: body.name ?? "", description: body.description ?? "", projectID: project,
            stateful: body.stateful ?? true, tags: body.tags ?? [], createdAt: timestamp, updatedAt: timestamp,
            revisionNumber: 1)
        securityGroups[id] = group
        register(id)
        for ethertype in ["IPv4", "IPv6"] {
            addRule(group: id, project: project, direction: "egress", ethertype: ethertype)
        }
        return group
    }

    mutating func updateSecurityGroup(_ id: String, _ body: SecurityGroupUpdate, _ caller: NeutronCaller) throws -> SecurityGroup {
        var group = try visibleSecurityGroup(id, caller)
        if group.name == "default", let name = body.name, name != "default" {
            throw NeutronError(status: 409, type: "SecurityGroupCannotUpdateDefault",
                               message: "Updating default security group not allowed.")
        }
        if let v = body.name { group.name = v }
        if let v = body.description { group.description = v }
        if let v = body.stateful { group.stateful = v }
        touch(&group.updatedAt, &group.revisionNumber)
        securityGroups[id] = group
        return group
    }

    mutating func deleteSecurityGroup(_ id: String, _ caller: NeutronCaller) throws {
        let group = try visibleSecurityGroup(id, caller)
        if defaultSecurityGroups[group.projectID] == id, !caller.isAdmin {
            throw NeutronError.securityGroupCannotRemoveDefault()
        }
        if ports.values.contains(where: { $0.securityGroups.contains(id) }) {
            throw NeutronError.securityGroupInUse(id)
        }
        // Rules of the group, and rules elsewhere that name it as remote group, go with it.
        for (ruleID, rule) in rules where rule.securityGroupID == id || rule.remoteGroupID == id {
            rules[ruleID] = nil
            order[ruleID] = nil
        }
        securityGroups[id] = nil
        order[id] = nil
        if defaultSecurityGroups[group.projectID] == id { defaultSecurityGroups[group.projectID] = nil }
    }

    /// The group as answered, its rules embedded in creation order.
    func rendered(_ group: SecurityGroup) -> SecurityGroup {
        var out = group
        out.securityGroupRules = rules.values.filter { $0.securityGroupID == group.id }
            .sorted { (order[$0.id] ?? 0) < (order[$1.id] ?? 0) }
        return out
    }

    mutating func createSecurityGroupRule(_ body: SecurityGroupRuleCreate, _ caller: NeutronCaller) throws -> SecurityGroupRule {
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
        let project = try owningProject(body.projectID, body.tenantID, caller)
        let group = try visibleSecurityGroup(groupID, caller)
        try checkQuota("security_group_rule", project)
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
                if let lo = portMin, !(1...65535).contains(lo) {
                    throw NeutronError(status: 400, type: "SecurityGroupInvalidPortValue", message: "Invalid value for port \(lo).")
                }
                if let hi = portMax, !(1...65535).contains(hi) {
                    throw NeutronError(status: 400, type: "SecurityGroupInvalidPortValue", message: "Invalid value for port \(hi).")
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
        if body.remoteIPPrefix != nil, body.remoteGroupID != nil {
            throw NeutronError.securityGroupRemoteGroupAndRemoteIPPrefix()
        }
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
        if let remote = body.remoteGroupID {
            _ = try visibleSecurityGroup(remote, caller)
        }
        // Duplicates compare normalized values: 0.0.0.0/0 is "any", 6 is tcp.
        let isAny = prefix.map { $0.prefix == 0 } ?? true
        for existing in rules.values where existing.securityGroupID == groupID {
            let existingProto = existing.protocol.flatMap { Self.protocolNumbers[$0] ?? Int($0) }
            let existingPrefix = existing.remoteIPPrefix.flatMap { IPNetwork.parse($0)?.network }
            let existingAny = existingPrefix.map { $0.prefix == 0 } ?? true
            if existing.direction == direction, existing.ethertype == ethertype, existingProto == protoNumber,
               existing.portRangeMin == portMin, existing.portRangeMax == portMax,
               existing.remoteGroupID == body.remoteGroupID, existingAny == isAny,
               isAny || existingPrefix == prefix {
                throw NeutronError.securityGroupRuleExists(existing.id)
            }
        }
        let id = Self.newID()
        let rule = SecurityGroupRule(
            id: id, securityGroupID: group.id, projectID: project, direction: direction, ethertype: ethertype,
            protocol: proto, portRangeMin: portMin, portRangeMax: portMax,
            remoteIPPrefix: prefix?.description, remoteGroupID: body.remoteGroupID,
            remoteAddressGroupID: body.remoteAddressGroupID, description: body.description ?? "",
            createdAt: timestamp, updatedAt: timestamp, revisionNumber: 0)
        rules[id] = rule
        register(id)
        if var g = securityGroups[group.id] {
            touch(&g.updatedAt, &g.revisionNumber)
            securityGroups[group.id] = g
        }
        return rule
    }

    func visibleRule(_ id: String, _ caller: NeutronCaller) throws -> SecurityGroupRule {
        guard let rule = rules[id], canSee(rule: rule, caller) else { throw NeutronError.securityGroupRuleNotFound(id) }
        return rule
    }

    mutating func deleteSecurityGroupRule(_ id: String, _ caller: NeutronCaller) throws {
        let rule = try visibleRule(id, caller)
        rules[id] = nil
        order[id] = nil
        if var g = securityGroups[rule.securityGroupID] {
            touch(&g.updatedAt, &g.revisionNumber)
            securityGroups[rule.securityGroupID] = g
        }
    }
}
