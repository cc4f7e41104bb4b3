import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing

/// A subnet's `cidr` as Neutron 2026.1 reads it: host bits dropped, odd spellings refused with a hint.
@Suite("Subnet CIDR normalization")
struct SubnetCIDRTests {
    @Test("10.99.99.0/16 is stored as 10.99.0.0/16 (a bare address is refused with a hint)")
    func hostBitsAreDropped() async throws {
        try await GatewayHarness.with { harness in
            let neutron = try NeutronClient(harness)
            let network = try await neutron.create("networks", "network", ["name": "wide"])
            let reply = try await neutron.send("POST", "/subnets", ["subnet": [
                "network_id": network["id"] ?? .null, "cidr": "10.99.99.0/16", "ip_version": 4,
            ]])
            #expect(reply.status == 201)
            #expect(reply.json["subnet"]?["cidr"] == "10.99.0.0/16")
            #expect(reply.json["subnet"]?["gateway_ip"] == "10.99.0.1")
            let bare = try await neutron.send("POST", "/subnets", ["subnet": [
                "network_id": network["id"] ?? .null, "cidr": "10.98.0.0", "ip_version": 4,
            ]])
            #expect(bare.status == 400)
            #expect(bare.json["NeutronError"]?["message"] ==
                "Invalid input for cidr. Reason: '10.98.0.0' isn't a recognized IP subnet cidr, '10.98.0.0/32' is recommended.")
        }
        #expect(try SubnetValidation.normalizedCIDR("2001:db8::1/64").description == "2001:db8::/64")
        #expect(throws: NeutronError.self) { try SubnetValidation.normalizedCIDR("10.0.0.0/08") }
    }
}
