import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing

/// The top's Neutron and the simulated regions' check subnets, admin-only network attributes and update
/// bodies with the same code (OpenStackModels), so a client gets one answer from either.
@Suite("Neutron rules shared by the top and the simulated regions")
struct SharedNeutronRulesTests {
    /// Subnet creates Neutron refuses, each on a network that already holds 10.9.0.0/24.
    static let refusedSubnets: [(String, JSONValue)] = [
        ("no cidr", ["ip_version": 4]),
        ("ip_version 5", ["cidr": "10.1.0.0/24", "ip_version": 5]),
        ("cidr not parsable", ["cidr": "10.1.0.0/33", "ip_version": 4]),
        // A CIDR with host bits set is not refused: Neutron 2026.1 stores its network (SubnetCIDRTests).
        ("version mismatch", ["cidr": "2001:db8::/64", "ip_version": 4]),
        ("prefix 0", ["cidr": "0.0.0.0/0", "ip_version": 4]),
        ("unknown IPv6 mode", ["cidr": "2001:db8::/64", "ip_version": 6, "ipv6_address_mode": "magic"]),
        ("IPv6 mode on IPv4", ["cidr": "10.1.0.0/24", "ip_version": 4, "ipv6_ra_mode": "slaac"]),
        ("IPv6 modes differ", ["cidr": "2001:db8::/64", "ip_version": 6, "ipv6_ra_mode": "slaac", "ipv6_address_mode": "dhcpv6-stateful"]),
        ("SLAAC off /64", ["cidr": "2001:db8::/80", "ip_version": 6, "ipv6_address_mode": "slaac"]),
        ("overlapping CIDR", ["cidr": "10.9.0.128/25", "ip_version": 4]),
        ("gateway not an address", ["cidr": "10.1.0.0/24", "ip_version": 4, "gateway_ip": "nowhere"]),
        ("gateway is the network address", ["cidr": "10.1.0.0/24", "ip_version": 4, "gateway_ip": "10.1.0.0"]),
        ("pool not parsable", ["cidr": "10.1.0.0/24", "ip_version": 4, "allocation_pools": [["start": "x", "end": "10.1.0.9"]]]),
        ("pool outside the CIDR", ["cidr": "10.1.0.0/24", "ip_version": 4, "allocation_pools": [["start": "10.1.0.10", "end": "10.1.1.9"]]]),
        ("gateway inside a pool", ["cidr": "10.1.0.0/24", "ip_version": 4, "allocation_pools": [["start": "10.1.0.1", "end": "10.1.0.9"]]]),
        ("bad nameserver", ["cidr": "10.1.0.0/24", "ip_version": 4, "dns_nameservers": ["dns.example"]]),
        ("duplicate nameserver", ["cidr": "10.1.0.0/24", "ip_version": 4, "dns_nameservers": ["8.8.8.8", "8.8.8.8"]]),
        ("bad host route", ["cidr": "10.1.0.0/24", "ip_version": 4, "host_routes": [["destination": "10.2.0.0/33", "nexthop": "10.1.0.1"]]]),
        ("host route of the other version", ["cidr": "10.1.0.0/24", "ip_version": 4, "host_routes": [["destination": "2001:db8::/64", "nexthop": "2001:db8::1"]]]),
        ("duplicate host route", ["cidr": "10.1.0.0/24", "ip_version": 4, "host_routes": [
            ["destination": "10.2.0.0/24", "nexthop": "10.1.0.1"], ["destination": "10.2.0.0/24", "nexthop": "10.1.0.1"],
        ]]),
    ]

    @Test("an invalid subnet gets the same status, error type and message from the top and from a region's Neutron")
    func refusedSubnetsAnswerAlike() async throws {
        try await GatewayHarness.with { h in
            let client = try NeutronClient(h)
            let region = try RegionNeutron(h, client)
            let topNetwork = try await client.create("networks", "network", ["name": "rules"])["id"]?.stringValue ?? ""
            let podNetwork = try await region.create("networks", "network", ["name": "rules"])["id"]?.stringValue ?? ""
            _ = try await client.create("subnets", "subnet", ["network_id": .string(topNetwork), "cidr": "10.9.0.0/24", "ip_version": 4])
            _ = try await region.create("subnets", "subnet", ["network_id": .string(podNetwork), "cidr": "10.9.0.0/24", "ip_version": 4])
            for (label, body) in Self.refusedSubnets {
                let top = try await client.send("POST", "/subnets", ["subnet": Self.with(body, network: topNetwork)])
                let pod = try await region.send("POST", "/subnets", ["subnet": Self.with(body, network: podNetwork)])
                #expect(top.status == 400 || top.status == 409, "\(label): \(top.text)")
                #expect(top.status == pod.status, "\(label): top \(top.status), region \(pod.status)")
                #expect(top.json["NeutronError"]?["type"] == pod.json["NeutronError"]?["type"], "\(label)")
                // Messages naming the network name each side's own.
                let topMessage = top.json["NeutronError"]?["message"]?.stringValue?.replacingOccurrences(of: topNetwork, with: "<network>")
                let podMessage = pod.json["NeutronError"]?["message"]?.stringValue?.replacingOccurrences(of: podNetwork, with: "<network>")
                #expect(topMessage != nil && topMessage == podMessage, "\(label)")
            }
        }
    }

    @Test("a non-admin network create with a provider segment, router:external or shared is the same 403 at the top and in a region")
    func adminOnlyNetworkAttributesAnswerAlike() async throws {
        try await GatewayHarness.with { h in
            let client = try NeutronClient(h)
            let region = try RegionNeutron(h, client)
            let bodies: [JSONValue] = [
                ["name": "p", "provider:network_type": "vlan", "provider:segmentation_id": 100],
                ["name": "e", "router:external": true],
                ["name": "s", "shared": true],
            ]
            for body in bodies {
                let top = try await client.send("POST", "/networks", ["network": body])
                let pod = try await region.send("POST", "/networks", ["network": body])
                #expect(top.status == 403)
                #expect(top.status == pod.status)
                #expect(top.json["NeutronError"]?["message"] == pod.json["NeutronError"]?["message"])
            }
        }
    }

    @Test("a network update and a port update change the same attributes at the top and in a region")
    func updatesMergeAlike() async throws {
        try await GatewayHarness.with { h in
            let client = try NeutronClient(h)
            let region = try RegionNeutron(h, client)
            let networkUpdate: JSONValue = ["name": "renamed", "description": "d", "admin_state_up": false, "mtu": 1400,
                                            "port_security_enabled": false, "qos_policy_id": .null]
            let portUpdate: JSONValue = ["name": "port-renamed", "description": "pd", "admin_state_up": false,
                                         "device_id": "dev-1", "device_owner": "compute:nova", "binding:vnic_type": "direct"]
            var answers: [(network: JSONValue, port: JSONValue)] = []
            for side in [client.send, region.send] as [(String, String, JSONValue?) async throws -> HarnessReply] {
                let network = try await side("POST", "/networks", ["network": ["name": "n"]]).json["network"]?["id"]?.stringValue ?? ""
                let port = try await side("POST", "/ports", ["port": ["network_id": .string(network)]]).json["port"]?["id"]?.stringValue ?? ""
                let updatedNetwork = try await side("PUT", "/networks/\(network)", ["network": networkUpdate])
                let updatedPort = try await side("PUT", "/ports/\(port)", ["port": portUpdate])
                #expect(updatedNetwork.status == 200, "\(updatedNetwork.text)")
                #expect(updatedPort.status == 200, "\(updatedPort.text)")
                answers.append((updatedNetwork.json["network"] ?? .null, updatedPort.json["port"] ?? .null))
            }
            for key in networkUpdate.objectValue?.keys.sorted() ?? [] {
                #expect(answers[0].network[key] == answers[1].network[key], "network \(key)")
                #expect(answers[0].network[key] == networkUpdate[key] || key == "qos_policy_id", "network \(key)")
            }
            for key in portUpdate.objectValue?.keys.sorted() ?? [] {
                #expect(answers[0].port[key] == answers[1].port[key], "port \(key)")
                #expect(answers[0].port[key] == portUpdate[key], "port \(key)")
            }
        }
    }

    static func with(_ body: JSONValue, network: String) -> JSONValue {
        var member = body.objectValue ?? [:]
        member["network_id"] = .string(network)
        return .object(member)
    }
}

/// The same user calling RegionOne's Neutron directly (what a client of that region would see).
private struct RegionNeutron {
    let harness: GatewayHarness
    let token: String
    let base: String

    init(_ harness: GatewayHarness, _ client: NeutronClient) throws {
        guard let endpoint = harness.cloud.endpoint(region: "RegionOne", service: .network) else { throw HarnessError("no network in RegionOne") }
        self.harness = harness
        self.token = client.token.id
        self.base = endpoint + "/v2.0"
    }

    func send(_ method: String, _ path: String, _ body: JSONValue? = nil) async throws -> HarnessReply {
        try await harness.send(method, base + path, token: token, body: body.map { String(decoding: $0.encoded(), as: UTF8.self) })
    }

    func create(_ collection: String, _ key: String, _ member: JSONValue) async throws -> JSONValue {
        let reply = try await send("POST", "/\(collection)", [key: member])
        guard reply.status == 201 else { throw HarnessError("create \(collection) in RegionOne: \(reply.status) \(reply.text)") }
        return reply.json[key] ?? .null
    }
}
