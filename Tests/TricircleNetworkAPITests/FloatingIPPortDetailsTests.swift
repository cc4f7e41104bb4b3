import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing

/// `port_details` on floating IPs (the `fip-port-details` extension), as openstacksdk's functional tests read it.
@Suite("Floating IP port details")
struct FloatingIPPortDetailsTests {
    @Test("an associated floating IP shows its port's name, network, MAC, state and device; a free one shows null")
    func portDetails() async throws {
        try await GatewayHarness.with { harness in
            let neutron = try NeutronClient(harness)
            let topology = try await NetworkNorthSouthTests.topology(harness)
            let port = try await neutron.create("ports", "port", ["network_id": .string(topology.networkID), "name": "p"])
            let fip = try await neutron.create("floatingips", "floatingip", ["floating_network_id": .string(topology.externalID)])
            #expect(fip["port_details"] == .null)
            let id = fip["id"]?.stringValue ?? ""
            let updated = try await neutron.send("PUT", "/floatingips/\(id)", ["floatingip": ["port_id": port["id"] ?? .null]])
            #expect(updated.status == 200)
            let details = updated.json["floatingip"]?["port_details"]
            #expect(details?["name"] == "p")
            #expect(details?["network_id"] == .string(topology.networkID))
            #expect(details?["mac_address"] == port["mac_address"])
            #expect(details?["admin_state_up"] == true)
            #expect(details?["status"] == port["status"])
            #expect(details?["device_owner"] == port["device_owner"])
            let listed = try await neutron.send("GET", "/floatingips?id=\(id)")
            #expect(listed.json["floatingips"]?.at(0)?["port_details"]?["name"] == "p")
        }
    }
}
