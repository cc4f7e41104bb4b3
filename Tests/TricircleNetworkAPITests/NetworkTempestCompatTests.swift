import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleCore
import TricircleGateway
import TricircleNetworkAPI

/// Requests as Tempest (and openstacksdk) send them, which the top refused before: routers made with
/// `external_gateway_info: {}`, interfaces by port, `routes: null`, bulk port create, `ip_address_substr`.
@Suite("Networking requests as Tempest sends them")
struct NetworkTempestCompatTests {
    @Test("a router made with external_gateway_info {} takes interfaces by port and by subnet, and extra routes set and cleared by update")
    func routerInterfacesAndRoutes() async throws {
        try await GatewayHarness.with { harness in
            let neutron = try NeutronClient(harness)
            // Tempest's create_router always sends an (empty) external_gateway_info.
            let created = try await neutron.send("POST", "/routers", ["router": ["name": "r", "admin_state_up": false, "external_gateway_info": [:]]])
            #expect(created.status == 201, "\(created.text)")
            let routerID = created.json["router"]?["id"]?.stringValue ?? ""
            #expect(created.json["router"]?["external_gateway_info"] == .null)

            // By port: the port becomes the router's interface, and removing it deletes the port (as Neutron does).
            let (net1, subnet1) = try await neutron.networkWithSubnet("10.61.0.0/24", name: "n1")
            // A fixed address, so the port never takes the next hop the routes below use.
            let port = try await neutron.create("ports", "port", ["network_id": .string(net1), "fixed_ips": [["ip_address": "10.61.0.5"]]])
            let portID = port["id"]?.stringValue ?? ""
            let added = try await neutron.send("PUT", "/routers/\(routerID)/add_router_interface", ["port_id": .string(portID)])
            #expect(added.status == 200, "\(added.text)")
            #expect(added.json["port_id"]?.stringValue == portID)
            #expect(added.json["subnet_id"]?.stringValue == subnet1)
            #expect(added.json["id"]?.stringValue == routerID)
            let shown = try await neutron.send("GET", "/ports/\(portID)")
            #expect(shown.json["port"]?["device_id"]?.stringValue == routerID)
            #expect(shown.json["port"]?["device_owner"]?.stringValue == "network:router_interface")
            let byRouter = try await neutron.send("GET", "/ports?device_id=\(routerID)")
            #expect(byRouter.json["ports"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [portID])

            // By subnet on a second network, then extra routes through both interfaces by router update.
            let (_, subnet2) = try await neutron.networkWithSubnet("10.62.0.0/24", name: "n2")
            let bySubnet = try await neutron.send("PUT", "/routers/\(routerID)/add_router_interface", ["subnet_id": .string(subnet2)])
            #expect(bySubnet.status == 200, "\(bySubnet.text)")
            #expect(bySubnet.json["subnet_ids"] == [.string(subnet2)])
            let routes: JSONValue = [["destination": "192.168.1.0/24", "nexthop": "10.61.0.250"],
                                     ["destination": "192.168.2.0/24", "nexthop": "10.62.0.250"]]
            let updated = try await neutron.send("PUT", "/routers/\(routerID)", ["router": ["routes": routes, "name": "r2", "admin_state_up": true]])
            #expect(updated.status == 200, "\(updated.text)")
            #expect(updated.json["router"]?["routes"]?.arrayValue?.count == 2)
            #expect(updated.json["router"]?["name"]?.stringValue == "r2")
            #expect(updated.json["router"]?["admin_state_up"] == true)
            #expect(try await neutron.send("GET", "/routers/\(routerID)").json["router"]?["routes"]?.arrayValue?.count == 2)
            // A route through the interface keeps it attached.
            let refused = try await neutron.send("PUT", "/routers/\(routerID)/remove_router_interface", ["subnet_id": .string(subnet2)])
            #expect(refused.status == 409, "\(refused.text)")
            // Tempest's clean-up: routes None clears them; external_gateway_info {} on update is "no gateway".
            let cleared = try await neutron.send("PUT", "/routers/\(routerID)", ["router": ["routes": .null, "external_gateway_info": [:]]])
            #expect(cleared.status == 200, "\(cleared.text)")
            #expect(cleared.json["router"]?["routes"] == [])
            // A route whose next hop is not on an attached subnet is Neutron's 400, not a malformed body.
            let bad = try await neutron.send("PUT", "/routers/\(routerID)", ["router": ["routes": [["destination": "192.168.3.0/24", "nexthop": "10.99.0.9"]]]])
            #expect(bad.status == 400)
            #expect(bad.json["NeutronError"]?["type"]?.stringValue == "InvalidRoutes")

            let removedSubnet = try await neutron.send("PUT", "/routers/\(routerID)/remove_router_interface", ["subnet_id": .string(subnet2)])
            #expect(removedSubnet.status == 200, "\(removedSubnet.text)")
            let removedPort = try await neutron.send("PUT", "/routers/\(routerID)/remove_router_interface", ["port_id": .string(portID)])
            #expect(removedPort.status == 200, "\(removedPort.text)")
            #expect(removedPort.json["port_id"]?.stringValue == portID)
            #expect(try await neutron.send("GET", "/ports/\(portID)").status == 404)
            let again = try await neutron.send("PUT", "/routers/\(routerID)/remove_router_interface", ["port_id": .string(portID)])
            #expect(again.status == 404)
            #expect(try await neutron.send("DELETE", "/routers/\(routerID)").status == 204)
        }
    }

    @Test("bulk port create makes all ports or none")
    func bulkPorts() async throws {
        try await GatewayHarness.with { harness in
            let neutron = try NeutronClient(harness)
            let (net1, _) = try await neutron.networkWithSubnet("10.63.0.0/24", name: "a")
            let (net2, _) = try await neutron.networkWithSubnet("10.64.0.0/24", name: "b")
            let reply = try await neutron.send("POST", "/ports", ["ports": [["network_id": .string(net1), "name": "p1"],
                                                                           ["network_id": .string(net2), "name": "p2"]]])
            #expect(reply.status == 201, "\(reply.text)")
            let ports = reply.json["ports"]?.arrayValue ?? []
            #expect(ports.compactMap { $0["name"]?.stringValue } == ["p1", "p2"])
            #expect(ports.compactMap { $0["network_id"]?.stringValue } == [net1, net2])
            for port in ports {
                #expect(try await neutron.send("GET", "/ports/\(port["id"]?.stringValue ?? "")").status == 200)
            }
            // The second member names a network that does not exist: nothing of the first stays.
            let failed = try await neutron.send("POST", "/ports", ["ports": [["network_id": .string(net1), "name": "p3"],
                                                                            ["network_id": "no-such-network", "name": "p4"]]])
            #expect(failed.status == 404, "\(failed.text)")
            #expect(try await neutron.send("GET", "/ports?name=p3").json["ports"] == [])
            // Bad members are refused before anything is made.
            #expect(try await neutron.send("POST", "/ports", ["ports": [["network_id": .string(net1), "bogus": 1]]]).status == 400)
            #expect(try await neutron.send("POST", "/ports", ["ports": []]).status == 400)
            #expect(try await neutron.send("POST", "/ports", ["ports": ["x"]]).status == 400)
        }
    }

    @Test("bulk network and subnet create make all or none")
    func bulkNetworksAndSubnets() async throws {
        try await GatewayHarness.with { harness in
            let neutron = try NeutronClient(harness)
            let networks = try await neutron.send("POST", "/networks", ["networks": [["name": "bn1"], ["name": "bn2"]]])
            #expect(networks.status == 201, "\(networks.text)")
            let ids = networks.json["networks"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            #expect(networks.json["networks"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["bn1", "bn2"])
            let subnets = try await neutron.send("POST", "/subnets", ["subnets": .array(ids.enumerated().map { index, id in
                ["network_id": .string(id), "cidr": .string("10.7\(index).0.0/24"), "ip_version": 4]
            })])
            #expect(subnets.status == 201, "\(subnets.text)")
            #expect(subnets.json["subnets"]?.arrayValue?.compactMap { $0["cidr"]?.stringValue } == ["10.70.0.0/24", "10.71.0.0/24"])
            // The second subnet overlaps the first on the same network: neither stays.
            let first = ids.first ?? ""
            let overlapping = try await neutron.send("POST", "/subnets", ["subnets": [
                ["network_id": .string(first), "cidr": "10.72.0.0/24", "ip_version": 4],
                ["network_id": .string(first), "cidr": "10.72.0.0/25", "ip_version": 4]]])
            #expect(overlapping.status == 400, "\(overlapping.text)")
            #expect(try await neutron.send("GET", "/subnets?network_id=\(first)").json["subnets"]?.arrayValue?.count == 1)
            // A member a plain user may not make (shared) fails the whole request: the first network is undone.
            let refused = try await neutron.send("POST", "/networks", ["networks": [["name": "bn3"], ["name": "bn4", "shared": true]]])
            #expect(refused.status == 403, "\(refused.text)")
            #expect(try await neutron.send("GET", "/networks?name=bn3").json["networks"] == [])
        }
    }

    @Test("fixed_ips=ip_address_substr lists the ports with an address containing the text, combined with subnet_id")
    func ipAddressSubstring() async throws {
        try await GatewayHarness.with { harness in
            let neutron = try NeutronClient(harness)
            let (networkID, subnetID) = try await neutron.networkWithSubnet("10.65.0.0/24")
            let one = try await neutron.create("ports", "port", ["network_id": .string(networkID),
                                                                 "fixed_ips": [["subnet_id": .string(subnetID), "ip_address": "10.65.0.19"]]])
            let two = try await neutron.create("ports", "port", ["network_id": .string(networkID),
                                                                 "fixed_ips": [["subnet_id": .string(subnetID), "ip_address": "10.65.0.21"]]])
            let oneID = one["id"]?.stringValue ?? "", twoID = two["id"]?.stringValue ?? ""
            func ids(_ query: String) async throws -> Set<String> {
                let reply = try await neutron.send("GET", "/ports?" + query)
                #expect(reply.status == 200, "\(reply.text)")
                return Set(reply.json["ports"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? [])
            }
            // The query as python clients encode it (the inner '=' escaped).
            #expect(try await ids("fixed_ips=ip_address_substr%3D10.65.0.1") == [oneID])
            #expect(try await ids("fixed_ips=ip_address_substr%3D.65.0.") .isSuperset(of: [oneID, twoID]))
            #expect(try await ids("fixed_ips=ip_address_substr%3D10.65.0.1&fixed_ips=subnet_id%3D\(subnetID)") == [oneID])
            #expect(try await ids("fixed_ips=ip_address_substr%3D10.65.0.1&fixed_ips=subnet_id%3Dother") == [])
            #expect(try await ids("fixed_ips=ip_address%3D10.65.0.21") == [twoID])
        }
    }
}
