import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleCore

/// `/ips` and `os-interface` name what the client made at the top (network names, network, subnet and
/// port ids), not the pod's copies of them.
@Suite("Server network views")
struct ServerNetworkViewTests {
    /// A top network "blue" with a subnet, and a server booted on it in az2.
    private func bootOnBlue(_ harness: GatewayHarness, _ client: ComputeClient) async throws -> (server: String, network: String, subnet: String) {
        let neutron = harness.url("network") + "/v2.0"
        let network = try await harness.send("POST", neutron + "/networks", token: client.token.id, body: #"{"network": {"name": "blue"}}"#)
        let networkID = try #require(network.json["network"]?["id"]?.stringValue)
        let subnet = try await harness.send("POST", neutron + "/subnets", token: client.token.id,
            body: #"{"subnet": {"network_id": "\#(networkID)", "cidr": "10.9.0.0/24", "ip_version": 4}}"#)
        let subnetID = try #require(subnet.json["subnet"]?["id"]?.stringValue)
        let id = try await client.boot("nv", az: "az2", extra: ["networks": [["uuid": .string(networkID)]]])
        return (id, networkID, subnetID)
    }

    @Test("/ips and /ips/{label} are keyed by the top network's name")
    func ipsUseTopNetworkName() async throws {
        try await GatewayHarness.with { harness in
            let client = try ComputeClient(harness)
            let (id, networkID, _) = try await bootOnBlue(harness, client)
            let ips = try await client.send("GET", "/servers/\(id)/ips")
            #expect(ips.status == 200)
            #expect(ips.json["addresses"]?.objectValue.map { Array($0.keys) } == ["blue"])
            let one = try await client.send("GET", "/servers/\(id)/ips/blue")
            #expect(one.status == 200)
            #expect(one.json["blue"]?.arrayValue?.first?["addr"]?.stringValue?.hasPrefix("10.9.0.") == true)
            // The pod's key (the top network's id) is no label at the top.
            let podKey = try await client.send("GET", "/servers/\(id)/ips/\(networkID)")
            #expect(podKey.status == 404)
            #expect(podKey.json["itemNotFound"]?["message"]?.stringValue == "Instance is not a member of specified network")
        }
    }

    @Test("os-interface lists and shows the top's port, network and subnet ids")
    func interfacesUseTopIDs() async throws {
        try await GatewayHarness.with { harness in
            let client = try ComputeClient(harness)
            let (id, networkID, subnetID) = try await bootOnBlue(harness, client)
            let listed = try await client.send("GET", "/servers/\(id)/os-interface")
            #expect(listed.status == 200)
            let attachment = try #require(listed.json["interfaceAttachments"]?.arrayValue?.first)
            #expect(attachment["net_id"]?.stringValue == networkID)
            #expect(attachment["fixed_ips"]?.arrayValue?.first?["subnet_id"]?.stringValue == subnetID)
            let portID = try #require(attachment["port_id"]?.stringValue)
            // The port is the top's: Neutron at the top knows it, on the top network.
            let port = try await harness.send("GET", harness.url("network") + "/v2.0/ports/\(portID)", token: client.token.id)
            #expect(port.status == 200)
            #expect(port.json["port"]?["network_id"]?.stringValue == networkID)
            let shown = try await client.send("GET", "/servers/\(id)/os-interface/\(portID)")
            #expect(shown.status == 200)
            #expect(shown.json["interfaceAttachment"]?["port_id"]?.stringValue == portID)
            #expect(shown.json["interfaceAttachment"]?["net_id"]?.stringValue == networkID)
            let unknown = try await client.send("GET", "/servers/\(id)/os-interface/\(subnetID)")
            #expect(unknown.status == 404)
        }
    }
}
