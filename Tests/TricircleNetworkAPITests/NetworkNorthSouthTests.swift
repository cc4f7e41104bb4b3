import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleCore
import TricircleGateway
import TricircleNetworkAPI
import TricircleStore
import TricircleTestSupport
import RegionSimulator

/// North-south in the pods: the external network in its one region, router gateways there, floating IPs for
/// servers in that region and (through the router's north-south bridge, double NAT) in the other, extra routes.
@Suite("North-south and extra routes in pods")
struct NetworkNorthSouthTests {
    /// A project network attached to a router whose gateway is on an admin's external network in az1.
    struct Topology {
        var externalID: String
        var externalSubnetID: String
        var networkID: String
        var subnetID: String
        var routerID: String
        var gatewayIP: String
    }

    static func topology(_ harness: GatewayHarness, cidr: String = "10.60.0.0/24") async throws -> Topology {
        let admin = try NeutronClient(harness, user: "admin")
        let neutron = try NeutronClient(harness)
        let external = try await admin.create("networks", "network", [
            "name": "public", "router:external": true, "availability_zone_hints": ["az1"],
        ])
        let externalID = external["id"]?.stringValue ?? ""
        let externalSubnet = try await admin.create("subnets", "subnet", [
            "network_id": .string(externalID), "cidr": "203.0.113.0/24", "ip_version": 4,
            "allocation_pools": [["start": "203.0.113.10", "end": "203.0.113.200"]],
        ])
        let (networkID, subnetID) = try await neutron.networkWithSubnet(cidr)
        let router = try await neutron.create("routers", "router", [
            "name": "r", "external_gateway_info": ["network_id": .string(externalID)],
        ])
        let routerID = router["id"]?.stringValue ?? ""
        let reply = try await neutron.send("PUT", "/routers/\(routerID)/add_router_interface", ["subnet_id": .string(subnetID)])
        guard reply.status == 200 else { throw HarnessError("add_router_interface: \(reply.status) \(reply.text)") }
        return Topology(
            externalID: externalID, externalSubnetID: externalSubnet["id"]?.stringValue ?? "", networkID: networkID, subnetID: subnetID,
            routerID: routerID, gatewayIP: router["external_gateway_info"]?["external_fixed_ips"]?.at(0)?["ip_address"]?.stringValue ?? "")
    }

    /// Boots' port preparation in a region: returns (top port, bottom port).
    static func serverPort(_ harness: GatewayHarness, _ neutron: NeutronClient, network: String, region: String) async throws -> (String, String) {
        let provisioner = try #require(harness.assembly.frontEnds.compactMap { $0 as? NetworkFrontEnd }.first?.networkProvisioner)
        let prepared = try await provisioner.prepare(networks: [["uuid": .string(network)]], securityGroups: [],
                                                     in: try await harness.pod(region), context: neutron.podContext())
        return (prepared.topPorts.first ?? "", prepared.createdPorts.first ?? "")
    }

    /// Polls until `condition` holds (jobs do the work); false if it never does within ~20 s.
    static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<400 {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

    static func podRouter(_ neutron: NeutronClient, _ region: String, _ routerID: String) async throws -> JSONValue? {
        try await neutron.direct(region, "/routers?name=\(routerID)").json["routers"]?.at(0)
    }

    static func floatingIPs(_ neutron: NeutronClient, _ region: String) async throws -> [JSONValue] {
        try await neutron.direct(region, "/floatingips").json["floatingips"]?.arrayValue ?? []
    }

    @Test("deleting a port leaves its floating IP, disassociated (Neutron's rule), so the router can go afterwards",
          arguments: TestDatabases.backends)
    func portDeleteDisassociates(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let neutron = try NeutronClient(harness)
            let topo = try await Self.topology(harness, cidr: "10.64.0.0/24")
            let port = try await neutron.create("ports", "port", ["network_id": .string(topo.networkID)])
            let portID = try #require(port["id"]?.stringValue)
            let fip = try await neutron.create("floatingips", "floatingip", [
                "floating_network_id": .string(topo.externalID), "port_id": .string(portID),
            ])
            let fipID = try #require(fip["id"]?.stringValue)
            #expect(fip["router_id"]?.stringValue == topo.routerID)
            #expect(try await neutron.send("DELETE", "/ports/\(portID)").status == 204)
            let shown = try await neutron.send("GET", "/floatingips/\(fipID)")
            #expect(shown.status == 200)
            #expect(shown.json["floatingip"]?["port_id"] == .null)
            #expect(shown.json["floatingip"]?["fixed_ip_address"] == .null)
            #expect(shown.json["floatingip"]?["router_id"] == .null)
            #expect(shown.json["floatingip"]?["status"] == "DOWN")
            #expect(try await neutron.send("GET", "/floatingips?port_id=\(portID)").json["floatingips"] == [])
            #expect(try await neutron.send("PUT", "/routers/\(topo.routerID)/remove_router_interface", ["subnet_id": .string(topo.subnetID)]).status == 200)
            #expect(try await neutron.send("DELETE", "/routers/\(topo.routerID)").status == 204)
        }
    }

    @Test("a server in the external network's region: one floating IP there with the top's address on the port's copy; disassociate and delete leave none",
          arguments: TestDatabases.backends)
    func floatingIPInExternalRegion(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let neutron = try NeutronClient(harness)
            let admin = try NeutronClient(harness, user: "admin")
            let topo = try await Self.topology(harness)
            let (topPort, bottomPort) = try await Self.serverPort(harness, neutron, network: topo.networkID, region: "RegionOne")
            let fip = try await neutron.create("floatingips", "floatingip", [
                "floating_network_id": .string(topo.externalID), "port_id": .string(topPort),
            ])
            let fipID = fip["id"]?.stringValue ?? ""
            let address = fip["floating_ip_address"]?.stringValue ?? ""
            #expect(try await Self.eventually {
                try await Self.floatingIPs(neutron, "RegionOne").contains {
                    $0["floating_ip_address"]?.stringValue == address && $0["port_id"]?.stringValue == bottomPort
                }
            }, "RegionOne holds the floating IP \(address) on the server's port")
            #expect(try await Self.floatingIPs(neutron, "RegionTwo").isEmpty)
            // The external network's copy is router:external with the top's subnet.
            let external = try await neutron.direct("RegionOne", "/networks?name=\(topo.externalID)").json["networks"]?.at(0)
            #expect(external?["router:external"] == true)
            let subnet = try await neutron.direct("RegionOne", "/subnets?name=\(topo.externalSubnetID)").json["subnets"]?.at(0)
            #expect(subnet?["cidr"] == "203.0.113.0/24")
            #expect(subnet?["allocation_pools"]?.at(0)?["start"] == "203.0.113.10")
            #expect(try await neutron.direct("RegionTwo", "/networks?name=\(topo.externalID)").json["networks"] == [])
            // The router there has the top's gateway address.
            let router = try await Self.podRouter(neutron, "RegionOne", topo.routerID)
            #expect(router?["external_gateway_info"]?["external_fixed_ips"]?.at(0)?["ip_address"]?.stringValue == topo.gatewayIP)
            #expect(router?["external_gateway_info"]?["network_id"] == external?["id"])
            // The admin sees where it lives.
            let placement = try await admin.send("GET", "/tricircle/placements/floatingip/\(fipID)")
            #expect(placement.json["placements"]?.arrayValue?.map { $0["region"]?.stringValue ?? "" } == ["RegionOne"])
            #expect(placement.json["placements"]?.at(0)?["state"] == "ACTIVE")

            // Disassociated: the pod's floating IP goes.
            #expect(try await neutron.send("PUT", "/floatingips/\(fipID)", ["floatingip": ["port_id": .null]]).status == 200)
            #expect(try await Self.eventually { try await Self.floatingIPs(neutron, "RegionOne").isEmpty })
            // Associated again, then deleted: none anywhere, no routing rows.
            #expect(try await neutron.send("PUT", "/floatingips/\(fipID)", ["floatingip": ["port_id": .string(topPort)]]).status == 200)
            #expect(try await Self.eventually { try await Self.floatingIPs(neutron, "RegionOne").count == 1 })
            #expect(try await neutron.send("DELETE", "/floatingips/\(fipID)").status == 204)
            for region in ["RegionOne", "RegionTwo"] {
                #expect(try await Self.eventually { try await Self.floatingIPs(neutron, region).isEmpty }, "\(region) holds no floating IP")
            }
            #expect(try await Self.eventually {
                try await admin.send("GET", "/tricircle/placements/floatingip/\(fipID)").json["placements"] == []
            }, "no routing rows left")
        }
    }

    @Test("a server in the other region: double NAT over the router's north-south bridge, both regions hold their half; delete leaves nothing",
          arguments: TestDatabases.backends)
    func floatingIPThroughBridge(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let neutron = try NeutronClient(harness)
            let admin = try NeutronClient(harness, user: "admin")
            let topo = try await Self.topology(harness, cidr: "10.61.0.0/24")
            let (topPort, bottomPort) = try await Self.serverPort(harness, neutron, network: topo.networkID, region: "RegionTwo")
            let fip = try await neutron.create("floatingips", "floatingip", [
                "floating_network_id": .string(topo.externalID), "port_id": .string(topPort),
            ])
            let fipID = fip["id"]?.stringValue ?? ""
            let address = fip["floating_ip_address"]?.stringValue ?? ""
            #expect(try await Self.eventually {
                let one = try await Self.floatingIPs(neutron, "RegionOne").count, two = try await Self.floatingIPs(neutron, "RegionTwo").count
                return one == 1 && two == 1
            }, "each region holds one floating IP")
            // RegionTwo: a bridge address mapped to the server's port; the router's gateway is on the bridge.
            let inner = try #require(try await Self.floatingIPs(neutron, "RegionTwo").first)
            let bridgeAddress = inner["floating_ip_address"]?.stringValue ?? ""
            #expect(bridgeAddress.hasPrefix("100.64.1."))
            #expect(inner["port_id"]?.stringValue == bottomPort)
            let bridgeNetwork = try await neutron.direct("RegionTwo", "/networks/\(inner["floating_network_id"]?.stringValue ?? "")").json["network"]
            #expect(bridgeNetwork?["router:external"] == true)
            let serverRouter = try await Self.podRouter(neutron, "RegionTwo", topo.routerID)
            #expect(serverRouter?["external_gateway_info"]?["network_id"] == inner["floating_network_id"])
            #expect(serverRouter?["external_gateway_info"]?["external_fixed_ips"]?.at(0)?["ip_address"]?.stringValue?.hasPrefix("100.64.1.") == true)
            // RegionOne: the top's address mapped to a port holding the bridge address; the router has the
            // top's gateway and an interface at the bridge's gateway address.
            let outer = try #require(try await Self.floatingIPs(neutron, "RegionOne").first)
            #expect(outer["floating_ip_address"]?.stringValue == address)
            #expect(outer["fixed_ip_address"]?.stringValue == bridgeAddress)
            let holder = try await neutron.direct("RegionOne", "/ports/\(outer["port_id"]?.stringValue ?? "")").json["port"]
            #expect(holder?["fixed_ips"]?.at(0)?["ip_address"]?.stringValue == bridgeAddress)
            #expect(holder?["name"]?.stringValue?.isEmpty == false, "the holder is named by its top port")
            let externalRouter = try #require(try await Self.podRouter(neutron, "RegionOne", topo.routerID))
            #expect(externalRouter["external_gateway_info"]?["external_fixed_ips"]?.at(0)?["ip_address"]?.stringValue == topo.gatewayIP)
            let interfaces = try await neutron.direct("RegionOne", "/ports?device_id=\(externalRouter["id"]?.stringValue ?? "")&device_owner=network:router_interface")
            #expect(interfaces.json["ports"]?.arrayValue?.compactMap { $0["fixed_ips"]?.at(0)?["ip_address"]?.stringValue } == ["100.64.1.1"])
            let placement = try await admin.send("GET", "/tricircle/placements/floatingip/\(fipID)")
            #expect(placement.json["placements"]?.arrayValue?.map { $0["region"]?.stringValue ?? "" } == ["RegionOne", "RegionTwo"])

            // Deleted at the top: nothing of it in either region (the bridge port included).
            #expect(try await neutron.send("DELETE", "/floatingips/\(fipID)").status == 204)
            for region in ["RegionOne", "RegionTwo"] {
                #expect(try await Self.eventually { try await Self.floatingIPs(neutron, region).isEmpty }, "\(region) holds no floating IP")
            }
            #expect(try await Self.eventually {
                try await neutron.direct("RegionOne", "/ports?name=\(holder?["name"]?.stringValue ?? "-")").json["ports"] == []
            }, "the bridge address's port is gone")
            #expect(try await Self.eventually {
                try await neutron.direct("RegionOne", "/ports/\(holder?["id"]?.stringValue ?? "")").status == 404
            })
            #expect(try await admin.send("GET", "/tricircle/placements/floatingip/\(fipID)").json["placements"] == [])

            // The router's network leaves: RegionTwo's router goes, the north-south bridge with it (both copies);
            // RegionOne keeps the router for its gateway.
            #expect(try await neutron.send("PUT", "/routers/\(topo.routerID)/remove_router_interface", ["subnet_id": .string(topo.subnetID)]).status == 200)
            #expect(try await Self.eventually {
                let two = try await neutron.direct("RegionTwo", "/networks").json["networks"]?.arrayValue ?? []
                let one = try await neutron.direct("RegionOne", "/networks").json["networks"]?.arrayValue ?? []
                return try await Self.podRouter(neutron, "RegionTwo", topo.routerID) == nil
                    && !two.contains { $0["router:external"] == true } && one.count == 1
            }, "RegionTwo's router and both bridge copies are gone")
            #expect(try await Self.podRouter(neutron, "RegionOne", topo.routerID)?["external_gateway_info"]?["external_fixed_ips"]?.at(0)?["ip_address"]?
                .stringValue == topo.gatewayIP)
        }
    }

    @Test("a network deleted right after it left its router: its copy goes with the delete although the pod's router still has an interface on it, no cleanup job retried",
          arguments: TestDatabases.backends)
    func networkDeletedBeforeRouterSync(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let neutron = try NeutronClient(harness)
            let topo = try await Self.topology(harness, cidr: "10.63.0.0/24")
            let (topPort, _) = try await Self.serverPort(harness, neutron, network: topo.networkID, region: "RegionTwo")
            // RegionTwo's router on the network's copy (the router sync, a job).
            #expect(try await Self.eventually {
                guard let router = try await Self.podRouter(neutron, "RegionTwo", topo.routerID)?["id"]?.stringValue else { return false }
                return try await neutron.direct("RegionTwo", "/ports?device_id=\(router)&device_owner=network:router_interface").json["ports"]?
                    .arrayValue?.isEmpty == false
            }, "RegionTwo's router has its interface")
            #expect(try await neutron.send("DELETE", "/ports/\(topPort)").status == 204)
            #expect(try await neutron.send("PUT", "/routers/\(topo.routerID)/remove_router_interface", ["subnet_id": .string(topo.subnetID)]).status == 200)
            // At once, before the router's sync can have detached RegionTwo's router: the copy goes with the delete.
            #expect(try await neutron.send("DELETE", "/networks/\(topo.networkID)").status == 204)
            #expect(try await neutron.direct("RegionTwo", "/networks?name=\(topo.networkID)").json["networks"] == [])
            #expect(try await harness.runtime.jobs.list(filter: .init(type: "neutron_cleanup")).isEmpty, "no copy was left to a retried job")
        }
    }

    @Test("a router's gateway is set in the external network's region with the top's address and cleared there when cleared at the top",
          arguments: TestDatabases.backends)
    func gatewaySetAndCleared(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let neutron = try NeutronClient(harness)
            let topo = try await Self.topology(harness, cidr: "10.62.0.0/24")
            _ = try await Self.serverPort(harness, neutron, network: topo.networkID, region: "RegionOne")
            #expect(try await Self.eventually {
                try await Self.podRouter(neutron, "RegionOne", topo.routerID)?["external_gateway_info"]?["external_fixed_ips"]?.at(0)?["ip_address"]?
                    .stringValue == topo.gatewayIP
            }, "RegionOne's router has the top's gateway address \(topo.gatewayIP)")
            #expect(try await neutron.send("PUT", "/routers/\(topo.routerID)", ["router": ["external_gateway_info": .null]]).status == 200)
            #expect(try await Self.eventually {
                try await Self.podRouter(neutron, "RegionOne", topo.routerID)?["external_gateway_info"] == .null
            }, "RegionOne's router has no gateway any more")
            #expect(try await Self.podRouter(neutron, "RegionOne", topo.routerID) != nil, "the router stays for its interface")

            // A router with a gateway only: made in the external region; gone there when the gateway goes.
            let lone = try await neutron.create("routers", "router", ["name": "lone", "external_gateway_info": ["network_id": .string(topo.externalID)]])
            let loneID = lone["id"]?.stringValue ?? ""
            #expect(try await Self.eventually { try await Self.podRouter(neutron, "RegionOne", loneID)?["external_gateway_info"] != nil })
            #expect(try await neutron.send("PUT", "/routers/\(loneID)", ["router": ["external_gateway_info": [:]]]).status == 200)
            #expect(try await Self.eventually { try await Self.podRouter(neutron, "RegionOne", loneID) == nil })
            #expect(try await Self.podRouter(neutron, "RegionTwo", loneID) == nil)
        }
    }

    @Test("the external region failing for a while: the router sync is retried and the gateway and floating IP arrive once it answers",
          arguments: TestDatabases.backends)
    func retriedWhileRegionFails(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend, overrides: ["job.backoff_max_seconds": "0.3", "job.max_attempts": "1000"]) { harness in
            let neutron = try NeutronClient(harness)
            let admin = try NeutronClient(harness, user: "admin")
            let external = try await admin.create("networks", "network", ["name": "public", "router:external": true])
            let externalID = external["id"]?.stringValue ?? ""
            _ = try await admin.create("subnets", "subnet", ["network_id": .string(externalID), "cidr": "203.0.113.0/24", "ip_version": 4])
            let (networkID, subnetID) = try await neutron.networkWithSubnet("10.67.0.0/24")
            let router = try await neutron.create("routers", "router", ["name": "r"])
            let routerID = router["id"]?.stringValue ?? ""
            #expect(try await neutron.send("PUT", "/routers/\(routerID)/add_router_interface", ["subnet_id": .string(subnetID)]).status == 200)
            let (topPort, bottomPort) = try await Self.serverPort(harness, neutron, network: networkID, region: "RegionOne")
            #expect(try await Self.eventually { try await Self.podRouter(neutron, "RegionOne", routerID) != nil })

            // RegionOne's Neutron (no AZ hint: the default pod, az1) answers 503 to everything now.
            harness.cloud.setFault(FaultSettings(errorRate: 1.0, errorStatus: 503), region: "RegionOne", service: .network)
            let gateway = try await neutron.send("PUT", "/routers/\(routerID)", ["router": ["external_gateway_info": ["network_id": .string(externalID)]]])
            #expect(gateway.status == 200)
            let fip = try await neutron.create("floatingips", "floatingip", ["floating_network_id": .string(externalID), "port_id": .string(topPort)])
            #expect(try await Self.eventually {
                try await harness.runtime.jobs.list(filter: .init(type: "neutron_sync")).contains { $0.attempts > 1 && $0.lastError?.contains("RegionOne") == true }
            }, "the router sync failed against RegionOne and is retried")

            harness.cloud.setFault(FaultSettings(), region: "RegionOne", service: .network)
            #expect(try await Self.eventually {
                try await Self.floatingIPs(neutron, "RegionOne").contains {
                    $0["floating_ip_address"] == fip["floating_ip_address"] && $0["port_id"]?.stringValue == bottomPort
                }
            }, "the floating IP reached RegionOne once it answered")
            let gatewayIP = gateway.json["router"]?["external_gateway_info"]?["external_fixed_ips"]?.at(0)?["ip_address"]
            #expect(try await Self.podRouter(neutron, "RegionOne", routerID)?["external_gateway_info"]?["external_fixed_ips"]?.at(0)?["ip_address"] == gatewayIP)
        }
    }

    @Test("extra routes reach the pods' routers: as is where the nexthop's subnet is, through the bridge elsewhere; removed below when removed at the top",
          arguments: TestDatabases.backends)
    func extraRoutes(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let neutron = try NeutronClient(harness)
            let (netA, subA) = try await neutron.networkWithSubnet("10.63.0.0/24", name: "a")
            let (netB, subB) = try await neutron.networkWithSubnet("10.64.0.0/24", name: "b")
            let router = try await neutron.create("routers", "router", ["name": "r"])
            let routerID = router["id"]?.stringValue ?? ""
            for subnet in [subA, subB] {
                #expect(try await neutron.send("PUT", "/routers/\(routerID)/add_router_interface", ["subnet_id": .string(subnet)]).status == 200)
            }
            _ = try await Self.serverPort(harness, neutron, network: netA, region: "RegionOne")
            _ = try await Self.serverPort(harness, neutron, network: netB, region: "RegionTwo")
            // A nexthop beyond the addresses the top hands out first (at random among 32), so it is never a pod router's own.
            let route: JSONValue = ["destination": "192.168.50.0/24", "nexthop": "10.63.0.250"]
            #expect(try await neutron.send("PUT", "/routers/\(routerID)/add_extraroutes", ["router": ["routes": [route]]]).status == 200)
            func routes(_ region: String) async throws -> [JSONValue] {
                try await Self.podRouter(neutron, region, routerID)?["routes"]?.arrayValue ?? []
            }
            #expect(try await Self.eventually {
                let one = try await routes("RegionOne"), two = try await routes("RegionTwo")
                return one.contains(route) && two.contains { $0["destination"] == "192.168.50.0/24" }
            }, "both pods' routers carry the extra route")
            // RegionTwo reaches the nexthop's subnet through RegionOne's bridge address.
            let viaBridge = try await routes("RegionTwo").first { $0["destination"] == "192.168.50.0/24" }
            #expect(viaBridge?["nexthop"]?.stringValue?.hasPrefix("100.64.0.") == true)
            #expect(try await routes("RegionTwo").contains { $0["destination"] == "10.63.0.0/24" }, "the east-west route stays")

            #expect(try await neutron.send("PUT", "/routers/\(routerID)/remove_extraroutes", ["router": ["routes": [route]]]).status == 200)
            #expect(try await Self.eventually {
                let one = try await routes("RegionOne"), two = try await routes("RegionTwo")
                return !one.contains(route) && !two.contains { $0["destination"] == "192.168.50.0/24" }
            }, "the extra route is gone from both")
            // PUT routes schedules the push too.
            #expect(try await neutron.send("PUT", "/routers/\(routerID)", ["router": ["routes": [route]]]).status == 200)
            #expect(try await Self.eventually { try await routes("RegionOne").contains(route) })
            #expect(try await neutron.send("PUT", "/routers/\(routerID)", ["router": ["routes": []]]).status == 200)
            #expect(try await Self.eventually { try await !routes("RegionOne").contains(route) })
        }
    }

    @Test("bad input: a floating IP on a network that is not external, a port without a router to that network, two AZ hints on an external network, a gateway cleared under a floating IP",
          arguments: TestDatabases.backends)
    func badInput(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let neutron = try NeutronClient(harness)
            let admin = try NeutronClient(harness, user: "admin")
            let topo = try await Self.topology(harness, cidr: "10.65.0.0/24")

            let onInternal = try await neutron.send("POST", "/floatingips", ["floatingip": ["floating_network_id": .string(topo.networkID)]])
            #expect(onInternal.status == 400)
            #expect(onInternal.json["NeutronError"]?["type"] == "BadRequest")
            #expect(onInternal.json["NeutronError"]?["message"]?.stringValue?.contains("is not a valid external network") == true)

            // A port on a network no router connects to the external network.
            let (lonely, _) = try await neutron.networkWithSubnet("10.66.0.0/24", name: "lonely")
            let port = try await neutron.create("ports", "port", ["network_id": .string(lonely)])
            let unrouted = try await neutron.send("POST", "/floatingips", ["floatingip": [
                "floating_network_id": .string(topo.externalID), "port_id": port["id"] ?? .null,
            ]])
            #expect(unrouted.status == 404)
            #expect(unrouted.json["NeutronError"]?["type"] == "ExternalGatewayForFloatingIPNotFound")
            #expect(try await neutron.send("GET", "/floatingips").json["floatingips"] == [], "nothing half-created")

            let twoZones = try await admin.send("POST", "/networks", ["network": [
                "name": "public2", "router:external": true, "availability_zone_hints": ["az1", "az2"],
            ]])
            #expect(twoZones.status == 400)
            #expect(twoZones.json["NeutronError"]?["type"] == "InvalidInput")
            #expect(try await admin.send("GET", "/networks?name=public2").json["networks"] == [], "nothing half-created")
            // The same through an update that makes a two-zone network external.
            let spread = try await admin.create("networks", "network", ["name": "spread", "availability_zone_hints": ["az1", "az2"]])
            let madeExternal = try await admin.send("PUT", "/networks/\(spread["id"]?.stringValue ?? "")", ["network": ["router:external": true]])
            #expect(madeExternal.status == 400)
            #expect(madeExternal.json["NeutronError"]?["type"] == "InvalidInput")

            // A gateway a floating IP needs cannot be cleared, as in Neutron.
            let (topPort, _) = try await Self.serverPort(harness, neutron, network: topo.networkID, region: "RegionOne")
            _ = try await neutron.create("floatingips", "floatingip", [
                "floating_network_id": .string(topo.externalID), "port_id": .string(topPort),
            ])
            let cleared = try await neutron.send("PUT", "/routers/\(topo.routerID)", ["router": ["external_gateway_info": .null]])
            #expect(cleared.status == 409)
            #expect(cleared.json["NeutronError"]?["type"] == "RouterExternalGatewayInUseByFloatingIp")
        }
    }
}
