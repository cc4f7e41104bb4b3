import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing

/// The negative answers Tempest's `NegativeSecGroupTest` checks, at the top and in the simulated regions
/// (both use the shared `ValidatedSecurityGroupRule` and `SecurityGroupNameRules`).
@Suite("Security group negatives as Neutron answers them")
struct SecurityGroupNegativeTests {
    /// (protocol, min, max, words the 400's message must contain), Tempest's cases.
    static let invalidPorts: [(String?, Int?, Int?, String)] = [
        ("tcp", -16, 80, "Invalid value for port -16"),
        ("tcp", 80, 79, "port_range_min must be <= port_range_max"),
        ("tcp", 80, 65536, "Invalid value for port 65536"),
        ("tcp", nil, 6, "port_range_min must be <= port_range_max"),
        ("tcp", -16, 65536, "Invalid value for port"),
        ("tcp", 0, 80, "Invalid value for port 0"),
        ("icmp", 1, 256, "Invalid value for ICMP code (port_range_max) 256"),
        ("icmp", -1, 25, "Invalid value for port -1"),
        ("icmp", nil, 6, "ICMP type (port-range-min) is missing"),
        ("icmp", 300, 1, "Invalid value for ICMP type (port_range_min) 300"),
        (nil, 22, 22, "Must also specify protocol if port range is given."),
        ("gre", 22, 22, "Ports cannot be specified for protocol 47"),
        ("ipv6-icmp", nil, nil, "Invalid ethertype IPv4 for protocol ipv6-icmp."),
        ("58", nil, nil, "Invalid ethertype IPv4 for protocol 58."),
    ]

    static func rule(_ group: String, _ proto: String?, _ min: Int?, _ max: Int?) -> JSONValue {
        var rule: [String: JSONValue] = ["security_group_id": .string(group), "direction": "ingress", "ethertype": "IPv4"]
        if let proto { rule["protocol"] = .string(proto) }
        rule["port_range_min"] = min.map { .number(Double($0)) } ?? .null
        rule["port_range_max"] = max.map { .number(Double($0)) } ?? .null
        return ["security_group_rule": .object(rule)]
    }

    @Test("rules with invalid port ranges answer Neutron's 400s, at the top and in a region")
    func invalidPortRanges() async throws {
        try await GatewayHarness.with { harness in
            let neutron = try NeutronClient(harness)
            let group = try await neutron.create("security-groups", "security_group", ["name": "neg"])["id"]?.stringValue ?? ""
            guard let regionBase = harness.cloud.endpoint(region: "RegionOne", service: .network) else { throw HarnessError("no region") }
            let regionGroup = try await harness.send("POST", regionBase + "/v2.0/security-groups", token: neutron.token.id,
                                                     body: #"{"security_group": {"name": "neg"}}"#)
            let regionGroupID = regionGroup.json["security_group"]?["id"]?.stringValue ?? ""
            for (proto, min, max, words) in Self.invalidPorts {
                let top = try await neutron.send("POST", "/security-group-rules", Self.rule(group, proto, min, max))
                #expect(top.status == 400, "top \(proto ?? "-") \(min as Any) \(max as Any)")
                #expect(top.json["NeutronError"]?["message"]?.stringValue?.contains(words) == true, "top: \(top.text) lacks \(words)")
                let body = String(decoding: Self.rule(regionGroupID, proto, min, max).encoded(), as: UTF8.self)
                let region = try await harness.send("POST", regionBase + "/v2.0/security-group-rules", token: neutron.token.id, body: body)
                #expect(region.status == 400)
                #expect(region.json["NeutronError"]?["message"]?.stringValue?.contains(words) == true, "region: \(region.text) lacks \(words)")
            }
            // The whole range is no range, as Neutron stores it.
            let whole = try await neutron.send("POST", "/security-group-rules", Self.rule(group, "tcp", 1, 65535))
            #expect(whole.status == 201)
            #expect(whole.json["security_group_rule"]?["port_range_min"] == .null)
            #expect(whole.json["security_group_rule"]?["port_range_max"] == .null)
        }
    }

    @Test("the default group keeps its name and no group may be renamed to default (409s)")
    func defaultGroupNames() async throws {
        try await GatewayHarness.with { harness in
            let neutron = try NeutronClient(harness)
            let listed = try await neutron.send("GET", "/security-groups?name=default")
            let defaultID = listed.json["security_groups"]?.at(0)?["id"]?.stringValue ?? ""
            let renamed = try await neutron.send("PUT", "/security-groups/\(defaultID)", ["security_group": ["name": "test"]])
            #expect(renamed.status == 409)
            #expect(renamed.json["NeutronError"]?["type"] == "SecurityGroupCannotUpdateDefault")
            let described = try await neutron.send("PUT", "/security-groups/\(defaultID)", ["security_group": ["description": "d"]])
            #expect(described.status == 200)

            let group = try await neutron.create("security-groups", "security_group", ["name": "other"])["id"]?.stringValue ?? ""
            for name in ["default", "Default"] {
                let toDefault = try await neutron.send("PUT", "/security-groups/\(group)", ["security_group": ["name": .string(name)]])
                #expect(toDefault.status == 409)
                #expect(toDefault.json["NeutronError"]?["type"] == "SecurityGroupDefaultAlreadyExists")
            }
            #expect(try await neutron.send("POST", "/security-groups", ["security_group": ["name": "DEFAULT"]]).status == 409)
            #expect(try await neutron.send("GET", "/security-groups/\(group)").json["security_group"]?["name"] == "other")
        }
    }
}
