import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing

/// A boot of several servers on a top network: the pod gets its network's id, not one pre-created port
/// (Nova refuses to give one port to several servers), and makes one port per server.
@Suite("Multiple server create")
struct ServerMultiCreateTests {
    @Test("min_count 2 on a network boots two servers, each with its own address; no boot port is left at the top")
    func minCountOnNetwork() async throws {
        try await GatewayHarness.with { harness in
            let client = try ComputeClient(harness)
            let neutron = harness.url("network") + "/v2.0"
            let network = try await harness.send("POST", neutron + "/networks", token: client.token.id,
                                                 body: #"{"network": {"name": "multi"}}"#)
            let networkID = try #require(network.json["network"]?["id"]?.stringValue)
            let subnet = try await harness.send("POST", neutron + "/subnets", token: client.token.id,
                body: #"{"subnet": {"network_id": "\#(networkID)", "cidr": "10.7.0.0/24", "ip_version": 4}}"#)
            #expect(subnet.status == 201)

            let reply = try await client.send("POST", "/servers", ["server": [
                "name": "twin", "flavorRef": "1", "imageRef": .string(try await client.image(for: "az2")),
                "availability_zone": "az2", "min_count": 2, "max_count": 2,
                "networks": [["uuid": .string(networkID)]],
            ]])
            #expect(reply.status == 202, "\(reply.text)")
            let first = try #require(reply.json["server"]?["id"]?.stringValue)
            // Nova's answer carries the admin password (Tempest's schema requires it), 12 characters here
            #expect(reply.json["server"]?["adminPass"]?.stringValue?.count == 12, "\(reply.text)")

            let listed = try await client.send("GET", "/servers/detail?name=twin")
            let servers = listed.json["servers"]?.arrayValue ?? []
            #expect(servers.count == 2)
            #expect(servers.contains { $0["id"]?.stringValue == first })
            var addresses: Set<String> = []
            for server in servers {
                let id = try #require(server["id"]?.stringValue)
                try await client.waitFor(id, status: "ACTIVE")
                let shown = try await client.send("GET", "/servers/\(id)")
                #expect(shown.status == 200)
                let ips = shown.json["server"]?["addresses"]?["multi"]?.arrayValue?.compactMap { $0["addr"]?.stringValue } ?? []
                #expect(ips.count == 1, "\(shown.text)")
                addresses.formUnion(ips)
            }
            #expect(addresses.count == 2)
            // The single port prepared before the swap to the network id is released at the top.
            let ports = try await harness.send("GET", neutron + "/ports?network_id=\(networkID)", token: client.token.id)
            let bootPorts = ports.json["ports"]?.arrayValue?.filter { $0["device_owner"]?.stringValue?.hasPrefix("compute:") == true } ?? []
            #expect(bootPorts.isEmpty, "\(ports.text)")
        }
    }

    @Test("one server on a network still gets the top's port; several servers on one named port are refused with Nova's 400")
    func singleBootAndNamedPort() async throws {
        try await GatewayHarness.with { harness in
            let client = try ComputeClient(harness)
            let neutron = harness.url("network") + "/v2.0"
            let network = try await harness.send("POST", neutron + "/networks", token: client.token.id,
                                                 body: #"{"network": {"name": "single"}}"#)
            let networkID = try #require(network.json["network"]?["id"]?.stringValue)
            _ = try await harness.send("POST", neutron + "/subnets", token: client.token.id,
                body: #"{"subnet": {"network_id": "\#(networkID)", "cidr": "10.8.0.0/24", "ip_version": 4}}"#)
            let id = try await client.boot("solo", az: "az1", extra: ["networks": [["uuid": .string(networkID)]]])
            try await client.waitFor(id, status: "ACTIVE")
            let ports = try await harness.send("GET", neutron + "/ports?network_id=\(networkID)", token: client.token.id)
            let bootPorts = ports.json["ports"]?.arrayValue?.filter { $0["device_owner"]?.stringValue?.hasPrefix("compute:") == true }
            #expect(bootPorts?.count == 1, "\(ports.text)")

            let port = try await harness.send("POST", neutron + "/ports", token: client.token.id,
                body: #"{"port": {"network_id": "\#(networkID)"}}"#)
            let portID = try #require(port.json["port"]?["id"]?.stringValue)
            let reply = try await client.send("POST", "/servers", ["server": [
                "name": "pair", "flavorRef": "1", "imageRef": .string(try await client.image(for: "az1")),
                "availability_zone": "az1", "min_count": 2, "networks": [["port": .string(portID)]],
            ]])
            #expect(reply.status == 400)
            #expect(reply.text.contains("single configured port"))
        }
    }
}
