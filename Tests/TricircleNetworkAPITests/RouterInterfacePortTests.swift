import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleCore

/// Router interfaces as Neutron shows their ports, and port attributes Neutron resets on `null`.
@Suite("Router interface ports and port resets")
struct RouterInterfacePortTests {
    @Test("an interface added by port makes the port ACTIVE and the router's; removing it frees the network")
    func interfaceByPortIsActiveAndLeavesNothing() async throws {
        try await GatewayHarness.with { harness in
            let neutron = try NeutronClient(harness)
            let (networkID, subnetID) = try await neutron.networkWithSubnet("10.61.0.0/24")
            let port = try await neutron.create("ports", "port", [
                "network_id": .string(networkID), "fixed_ips": [["subnet_id": .string(subnetID)]],
            ])
            let portID = port["id"]?.stringValue ?? ""
            #expect(port["status"] == "DOWN")
            let router = try await neutron.create("routers", "router", ["name": "r-port"])
            let routerID = router["id"]?.stringValue ?? ""

            let added = try await neutron.send("PUT", "/routers/\(routerID)/add_router_interface", ["port_id": .string(portID)])
            #expect(added.status == 200)
            #expect(added.json["port_id"]?.stringValue == portID)
            let shown = try await neutron.send("GET", "/ports/\(portID)").json["port"]
            #expect(shown?["status"] == "ACTIVE")
            #expect(shown?["device_owner"] == "network:router_interface")
            #expect(shown?["device_id"]?.stringValue == routerID)
            let listed = try await neutron.send("GET", "/ports?device_id=\(routerID)").json["ports"]?.arrayValue ?? []
            #expect(listed.map { $0["status"] } == ["ACTIVE"])

            let removed = try await neutron.send("PUT", "/routers/\(routerID)/remove_router_interface", ["port_id": .string(portID)])
            #expect(removed.status == 200)
            #expect(try await neutron.send("GET", "/ports/\(portID)").status == 404)
            #expect(try await neutron.send("DELETE", "/networks/\(networkID)").status == 204)
            #expect(try await neutron.send("DELETE", "/routers/\(routerID)").status == 204)
            #expect(try await neutron.send("GET", "/ports").json["ports"] == [])
        }
    }

    @Test("an interface added by subnet is an ACTIVE port on the subnet's gateway address")
    func interfaceBySubnetIsActive() async throws {
        try await GatewayHarness.with { harness in
            let neutron = try NeutronClient(harness)
            let (networkID, subnetID) = try await neutron.networkWithSubnet("10.62.0.0/24")
            let router = try await neutron.create("routers", "router", ["name": "r-subnet"])
            let routerID = router["id"]?.stringValue ?? ""
            let added = try await neutron.send("PUT", "/routers/\(routerID)/add_router_interface", ["subnet_id": .string(subnetID)])
            #expect(added.status == 200)
            let portID = added.json["port_id"]?.stringValue ?? ""
            let shown = try await neutron.send("GET", "/ports/\(portID)").json["port"]
            #expect(shown?["status"] == "ACTIVE")
            #expect(shown?["device_owner"] == "network:router_interface")
            #expect(shown?["device_id"]?.stringValue == routerID)
            #expect(shown?["fixed_ips"]?.at(0)?["ip_address"] == "10.62.0.1")
            #expect(try await neutron.send("PUT", "/routers/\(routerID)/remove_router_interface", ["subnet_id": .string(subnetID)]).status == 200)
            #expect(try await neutron.send("DELETE", "/networks/\(networkID)").status == 204)
        }
    }

    @Test("binding:profile null on a port update clears the profile, as Neutron reads null as {}")
    func nullBindingProfileClears() async throws {
        try await GatewayHarness.with { harness in
            let admin = try NeutronClient(harness, user: "admin")
            let (networkID, _) = try await admin.networkWithSubnet("10.63.0.0/24")
            let port = try await admin.create("ports", "port", [
                "network_id": .string(networkID), "binding:profile": ["foo": "bar"],
            ])
            let portID = port["id"]?.stringValue ?? ""
            #expect(port["binding:profile"] == ["foo": "bar"])
            let cleared = try await admin.send("PUT", "/ports/\(portID)", ["port": ["binding:profile": .null]])
            #expect(cleared.status == 200)
            #expect(cleared.json["port"]?["binding:profile"] == [:])
            #expect(try await admin.send("GET", "/ports/\(portID)").json["port"]?["binding:profile"] == [:])
        }
    }
}
