import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleCore

/// A server on a top network shows its addresses under the top network's name, as Nova shows the
/// network's label, although its pod knows that network by the top id.
@Suite("Server addresses")
struct ServerAddressTests {
    @Test("addresses are keyed by the top network's name in show and in lists")
    func addressesUseTopNetworkNames() async throws {
        try await GatewayHarness.with { harness in
            let client = try ComputeClient(harness)
            let neutron = harness.url("network") + "/v2.0"
            let network = try await harness.send("POST", neutron + "/networks", token: client.token.id,
                                                 body: #"{"network": {"name": "blue"}}"#)
            let networkID = try #require(network.json["network"]?["id"]?.stringValue)
            let subnet = try await harness.send("POST", neutron + "/subnets", token: client.token.id,
                body: #"{"subnet": {"network_id": "\#(networkID)", "cidr": "10.9.0.0/24", "ip_version": 4}}"#)
            #expect(subnet.status == 201)
            let id = try await client.boot("addr", az: "az2", extra: ["networks": [["uuid": .string(networkID)]]])

            let shown = try await client.send("GET", "/servers/\(id)")
            let addresses = try #require(shown.json["server"]?["addresses"]?.objectValue)
            #expect(Array(addresses.keys) == ["blue"])
            let listed = try await client.send("GET", "/servers/detail")
            let server = listed.json["servers"]?.arrayValue?.first { $0["id"]?.stringValue == id }
            #expect(server?["addresses"]?.objectValue.map { Array($0.keys) } == ["blue"])
            // The pod itself knows the network by the top id.
            let inPod = try await client.direct("RegionTwo", "/servers/\(id)")
            #expect(inPod.json["server"]?["addresses"]?.objectValue.map { Array($0.keys) } == [networkID])
        }
    }
}
