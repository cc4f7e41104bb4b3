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

    @Test("routers are distributed (dvr): listed as an extension, distributed true, only an admin may set it, and never to false")
    func distributedRouters() async throws {
        try await GatewayHarness.with { harness in
            let demo = try NeutronClient(harness)
            let admin = try NeutronClient(harness, user: "admin")
            let aliases = try await demo.send("GET", "/extensions").json["extensions"]?.arrayValue?.compactMap { $0["alias"]?.stringValue } ?? []
            #expect(aliases.contains("dvr"))
            let router = try await demo.create("routers", "router", ["name": "r"])
            #expect(router["distributed"] == .bool(true))
            let forbidden = try await demo.send("POST", "/routers", ["router": ["name": "r2", "distributed": true]])
            #expect(forbidden.status == 403)
            #expect(forbidden.json["NeutronError"]?["message"]?.stringValue?.contains("create_router:distributed") == true)
            #expect(try await admin.create("routers", "router", ["name": "r3", "distributed": true])["distributed"] == .bool(true))
            let centralized = try await admin.send("POST", "/routers", ["router": ["name": "r4", "distributed": false]])
            #expect(centralized.status == 400)
            #expect(centralized.json["NeutronError"]?["type"]?.stringValue == "BadRequest")
            let id = router["id"]?.stringValue ?? ""
            #expect(try await admin.send("PUT", "/routers/\(id)", ["router": ["distributed": false]]).status == 400)
            #expect(try await demo.send("PUT", "/routers/\(id)", ["router": ["distributed": true]]).status == 403)
            #expect(try await demo.send("GET", "/routers/\(id)").json["router"]?["distributed"] == .bool(true))
        }
    }

    @Test("an encoded filter key (router%3Aexternal) filters; an external network's subnets are visible to all with router:external; sharing a network later shows its subnets")
    func externalNetworkVisibility() async throws {
        try await GatewayHarness.with { harness in
            let demo = try NeutronClient(harness)
            let admin = try NeutronClient(harness, user: "admin")
            let external = try await admin.create("networks", "network", ["name": "public", "router:external": true])
            let externalID = external["id"]?.stringValue ?? ""
            let subnet = try await admin.create("subnets", "subnet", ["network_id": .string(externalID), "cidr": "172.24.4.0/24", "ip_version": 4])
            #expect(subnet["router:external"] == .bool(true))
            _ = try await demo.networkWithSubnet("10.9.0.0/24", name: "own")

            let listed = try await demo.send("GET", "/networks?router%3Aexternal=True")
            #expect(listed.status == 200, "\(listed.text)")
            let names = listed.json["networks"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names == ["public"])
            let subnets = try await demo.send("GET", "/subnets?network_id=\(externalID)").json["subnets"]?.arrayValue ?? []
            #expect(subnets.count == 1)
            #expect(subnets.first?["router:external"] == .bool(true))
            let ownSubnets = try await demo.send("GET", "/subnets?router%3Aexternal=false").json["subnets"]?.arrayValue ?? []
            #expect(ownSubnets.compactMap { $0["cidr"]?.stringValue } == ["10.9.0.0/24"])
            let extensions = try await demo.send("GET", "/extensions").json["extensions"]?.arrayValue?.compactMap { $0["alias"]?.stringValue } ?? []
            #expect(extensions.contains("subnet-external-network"))

            // A network the admin shares later: its existing subnet becomes visible to other projects.
            let (privateID, _) = try await admin.networkWithSubnet("10.8.0.0/24", name: "later")
            #expect(try await demo.send("GET", "/subnets?network_id=\(privateID)").json["subnets"]?.arrayValue?.count == 0)
            #expect(try await admin.send("PUT", "/networks/\(privateID)", ["network": ["shared": true]]).status == 200)
            #expect(try await demo.send("GET", "/subnets?network_id=\(privateID)").json["subnets"]?.arrayValue?.count == 1)
        }
    }

    @Test("a router refuses an interface on a subnet overlapping one it already routes (by subnet and by port)")
    func overlappingInterfaces() async throws {
        try await GatewayHarness.with { harness in
            let neutron = try NeutronClient(harness)
            let (_, wide) = try await neutron.networkWithSubnet("10.20.0.0/16", name: "wide")
            let (narrowNet, narrow) = try await neutron.networkWithSubnet("10.20.1.0/24", name: "narrow")
            let routerID = try await neutron.create("routers", "router", ["name": "r"])["id"]?.stringValue ?? ""
            #expect(try await neutron.send("PUT", "/routers/\(routerID)/add_router_interface", ["subnet_id": .string(wide)]).status == 200)
            let refused = try await neutron.send("PUT", "/routers/\(routerID)/add_router_interface", ["subnet_id": .string(narrow)])
            #expect(refused.status == 400)
            #expect(refused.json["NeutronError"]?["message"]?.stringValue?.contains("overlaps with cidr 10.20.0.0/16") == true, "\(refused.text)")
            let port = try await neutron.create("ports", "port", ["network_id": .string(narrowNet)])
            let byPort = try await neutron.send("PUT", "/routers/\(routerID)/add_router_interface", ["port_id": port["id"] ?? .null])
            #expect(byPort.status == 400)
            #expect(try await neutron.send("GET", "/ports/\(port["id"]?.stringValue ?? "")").json["port"]?["device_id"] == "")
            #expect(try await neutron.send("PUT", "/routers/\(routerID)/remove_router_interface", ["subnet_id": .string(wide)]).status == 200)
            #expect(try await neutron.send("PUT", "/routers/\(routerID)/add_router_interface", ["subnet_id": .string(narrow)]).status == 200)
        }
    }
}
