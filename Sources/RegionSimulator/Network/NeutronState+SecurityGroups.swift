import Foundation
import OpenStackModels

extension NeutronState {
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
        try SecurityGroupNameRules.check(name: body.name, current: nil)
        let project = try owningProject(body.projectID, body.tenantID, caller)
        ensureDefaultSecurityGroup(project)
        try checkQuota("security_group", project)
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
        try SecurityGroupNameRules.check(name: body.name, current: group.name)
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
        let checked = try ValidatedSecurityGroupRule(body)
        let project = try owningProject(body.projectID, body.tenantID, caller)
        let group = try visibleSecurityGroup(checked.securityGroupID, caller)
        try checkQuota("security_group_rule", project)
        if let remote = body.remoteGroupID { _ = try visibleSecurityGroup(remote, caller) }
        try checked.checkNotDuplicate(of: rules.values.filter { $0.securityGroupID == group.id })
        let id = Self.newID()
        let rule = SecurityGroupRule(
            id: id, securityGroupID: group.id, projectID: project, direction: checked.direction, ethertype: checked.ethertype,
            protocol: checked.protocol, portRangeMin: checked.portRangeMin, portRangeMax: checked.portRangeMax,
            remoteIPPrefix: checked.remoteIPPrefix?.description, remoteGroupID: body.remoteGroupID,
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
