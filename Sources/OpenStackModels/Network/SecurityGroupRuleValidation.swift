import Foundation

/// A security group rule create checked as Neutron checks it (attribute rules, protocol, ports, ICMP
/// type/code, remote prefix against the ethertype), normalized for the duplicate check. Shared by the
/// top's Neutron and the simulated one, which only differ in where groups and rules are stored.
public struct ValidatedSecurityGroupRule: Sendable, Hashable {
    public var securityGroupID: String
    public var direction: String
    public var ethertype: String
    /// As sent, lower-cased; nil for any ("any" reads as nil too).
    public var `protocol`: String?
    public var protocolNumber: Int?
    public var portRangeMin: Int?
    public var portRangeMax: Int?
    /// The remote prefix normalized to its network (a bare address becomes a host prefix).
    public var remoteIPPrefix: IPNetwork?
    public var remoteGroupID: String?

    /// Neutron's protocol names and their IP protocol numbers.
    public static let protocolNumbers: [String: Int] = [
        "ah": 51, "dccp": 33, "egp": 8, "esp": 50, "gre": 47, "hopopt": 0, "icmp": 1, "igmp": 2, "ipip": 4,
        "ipv6-encap": 41, "ipv6-frag": 44, "ipv6-icmp": 58, "icmpv6": 58, "ipv6-nonxt": 59, "ipv6-opts": 60,
        "ipv6-route": 43, "ospf": 89, "pgm": 113, "rsvp": 46, "sctp": 132, "tcp": 6, "udp": 17, "udplite": 136,
        "vrrp": 112,
    ]

    /// Protocols (names and numbers) Neutron accepts only on IPv6 rules.
    public static let ipv6OnlyProtocols: Set<String> = [
        "ipv6-encap", "ipv6-frag", "ipv6-icmp", "icmpv6", "ipv6-nonxt", "ipv6-opts", "ipv6-route", "41", "44", "58", "59", "60", "43",
    ]

    /// Checks `body`; throws Neutron's 400 for the first rule it breaks.
    public init(_ body: SecurityGroupRuleCreate) throws {
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
        var proto = body.protocol.map { $0.lowercased() }
        if proto == "any" { proto = nil }
        var number: Int?
        if let p = proto {
            if let n = Int(p) {
                guard (0...255).contains(n) else { throw NeutronError.securityGroupRuleInvalidProtocol(p) }
                number = n
            } else {
                guard let n = Self.protocolNumbers[p] else { throw NeutronError.securityGroupRuleInvalidProtocol(p) }
                number = n
            }
        }
        // Neutron's attribute conversion refuses any port outside 0-65535, whatever the protocol.
        for port in [body.portRangeMin, body.portRangeMax].compactMap({ $0 }) where !(0...65535).contains(port) {
            throw NeutronError.securityGroupInvalidPortValue(port)
        }
        var portMin = body.portRangeMin
        var portMax = body.portRangeMax
        // The whole range reads as no range (Neutron's _make_canonical_port_range).
        if portMin == 1, portMax == 65535 { (portMin, portMax) = (nil, nil) }
        try Self.checkPorts(min: portMin, max: portMax, protocolNumber: number)
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
        // IPv6-only protocols on an IPv4 rule (Neutron's _validate_ethertype_and_protocol).
        if ethertype == "IPv4", let p = proto, Self.ipv6OnlyProtocols.contains(p) {
            throw NeutronError(status: 400, type: "SecurityGroupEthertypeConflictWithProtocol",
                               message: "Invalid ethertype \(ethertype) for protocol \(p).")
        }
        securityGroupID = groupID
        self.direction = direction
        self.ethertype = ethertype
        self.protocol = proto
        protocolNumber = number
        portRangeMin = portMin
        portRangeMax = portMax
        remoteIPPrefix = prefix
        remoteGroupID = body.remoteGroupID
    }

    /// Port ranges for TCP-like protocols, type/code for ICMP, nothing for the others (Neutron's
    /// `_validate_port_range`, same errors and order).
    static func checkPorts(min portMin: Int?, max portMax: Int?, protocolNumber: Int?) throws {
        guard portMin != nil || portMax != nil else { return }
        guard let protocolNumber else {
            throw NeutronError(status: 400, type: "SecurityGroupProtocolRequiredWithPorts",
                               message: "Must also specify protocol if port range is given.")
        }
        switch protocolNumber {
        case 6, 17, 33, 132, 136:
            if portMin == 0 || portMax == 0 { throw NeutronError.securityGroupInvalidPortValue(0) }
            guard let lo = portMin, let hi = portMax, lo <= hi else { throw NeutronError.securityGroupInvalidPortRange() }
        case 1, 58:
            for (value, field, attribute) in [(portMin, "type", "port_range_min"), (portMax, "code", "port_range_max")] {
                if let value, !(0...255).contains(value) {
                    throw NeutronError(status: 400, type: "SecurityGroupInvalidIcmpValue",
                                       message: "Invalid value for ICMP \(field) (\(attribute)) \(value). It must be 0 to 255.")
                }
            }
            if portMin == nil, let code = portMax {
                throw NeutronError(status: 400, type: "SecurityGroupMissingIcmpType",
                                   message: "ICMP code (port-range-max) \(code) is provided but ICMP type (port-range-min) is missing.")
            }
        default:
            throw NeutronError(status: 400, type: "SecurityGroupInvalidProtocolForPort",
                               message: "Ports cannot be specified for protocol \(protocolNumber). Ports are only supported for DCCP, SCTP, TCP, UDP, UDPLITE.")
        }
    }

    /// Neutron's duplicate rule: the same after normalizing (6 is tcp, 0.0.0.0/0 is any); throws its 409.
    public func checkNotDuplicate(of rules: some Sequence<SecurityGroupRule>) throws {
        let isAny = remoteIPPrefix.map { $0.prefix == 0 } ?? true
        for existing in rules {
            let existingProto = existing.protocol.flatMap { Self.protocolNumbers[$0] ?? Int($0) }
            let existingPrefix = existing.remoteIPPrefix.flatMap { IPNetwork.parse($0)?.network }
            let existingAny = existingPrefix.map { $0.prefix == 0 } ?? true
            if existing.direction == direction, existing.ethertype == ethertype, existingProto == protocolNumber,
               existing.portRangeMin == portRangeMin, existing.portRangeMax == portRangeMax, existing.remoteGroupID == remoteGroupID,
               existingAny == isAny, isAny || existingPrefix == remoteIPPrefix {
                throw NeutronError.securityGroupRuleExists(existing.id)
            }
        }
    }
}

/// Neutron's rules for security group names: no second `default` (its `name_not_default` validator,
/// case-insensitive, on create and update) and the `default` group keeps its name. Shared by the top's
/// Neutron and the simulated one.
public enum SecurityGroupNameRules {
    /// Checks a create or update body's `name`; `current` is the group's name on an update (nil on create).
    public static func check(name: String?, current: String?) throws {
        if let name, name.lowercased() == "default" {
            throw NeutronError(status: 409, type: "SecurityGroupDefaultAlreadyExists", message: "Default security group already exists.")
        }
        if current == "default", name != nil {
            throw NeutronError(status: 409, type: "SecurityGroupCannotUpdateDefault", message: "Updating default security group not allowed.")
        }
    }
}
