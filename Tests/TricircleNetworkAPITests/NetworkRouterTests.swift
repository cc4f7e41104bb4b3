import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleCore
import TricircleGateway
import TricircleNetworkAPI

/// L3 east-west: a top router whose network sits in two pods becomes a router in each, joined over a bridge.
@Suite("Routers across pods")
struct NetworkRouterTests {
    @Test("a router on a network stretched over two pods: one router per pod on the pod's gateway, bridge interfaces, /32 routes to the other pod's port")
    func routerInBothPods() async throws {
        try await GatewayHarness.with { harness in
            let neutron = try NeutronClient(harness)
            let (networkID, subnetID) = try await neutron.networkWithSubnet("10.50.0.0/24")
            let router = try await neutron.create("routers", "router", ["name": "r"])
            let routerID = router["id"]?.stringValue ?? ""
            #expect(try await neutron.send("PUT", "/routers/\(routerID)/add_router_interface", ["subnet_id": .string(subnetID)]).status == 200)
            let provisioner = try #require(harness.assembly.frontEnds.compactMap { $0 as? NetworkFrontEnd }.first?.networkProvisioner)
            var addresses: [String: String] = [:]
            for region in ["RegionOne", "RegionTwo"] {
                let prepared = try await provisioner.prepare(networks: [["uuid": .string(networkID)]], securityGroups: [],
                                                             in: try await harness.pod(region), context: neutron.podContext())
                let bottomPort = prepared.createdPorts.first ?? ""
                let port = try await neutron.direct(region, "/ports/\(bottomPort)")
                addresses[region] = port.json["port"]?["fixed_ips"]?.at(0)?["ip_address"]?.stringValue
            }
            // The setup runs as a job: wait until both pods' routers carry their route to the other side.
            var routes: [String: [JSONValue]] = [:]
            for _ in 0..<200 {
                for region in ["RegionOne", "RegionTwo"] {
                    let routers = try await neutron.direct(region, "/routers?name=\(routerID)")
                    routes[region] = routers.json["routers"]?.at(0)?["routes"]?.arrayValue ?? []
                }
                if routes.values.allSatisfy({ !$0.isEmpty }) { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            for (region, other) in [("RegionOne", "RegionTwo"), ("RegionTwo", "RegionOne")] {
                let routers = try await neutron.direct(region, "/routers?name=\(routerID)")
                #expect(routers.json["routers"]?.arrayValue?.count == 1, "one router in \(region)")
                let bottomRouter = routers.json["routers"]?.at(0)?["id"]?.stringValue ?? ""
                let subnet = try await neutron.direct(region, "/subnets?name=\(subnetID)")
                let podGateway = subnet.json["subnets"]?.at(0)?["gateway_ip"]?.stringValue ?? ""
                let interfaces = try await neutron.direct(region, "/ports?device_id=\(bottomRouter)")
                let held = interfaces.json["ports"]?.arrayValue?.compactMap { $0["fixed_ips"]?.at(0)?["ip_address"]?.stringValue } ?? []
                #expect(held.contains(podGateway), "\(region)'s router holds the pod gateway \(podGateway)")
                #expect(held.contains { $0.hasPrefix("100.64.0.") }, "\(region)'s router is on the bridge")
                let destinations = routes[region]?.compactMap { $0["destination"]?.stringValue } ?? []
                #expect(destinations == ["\(addresses[other] ?? "")/32"], "\(region) routes to \(other)'s port")
            }

            // Detached at the top: the pods' routers go (by job); then the network leaves nothing behind.
            #expect(try await neutron.send("PUT", "/routers/\(routerID)/remove_router_interface", ["subnet_id": .string(subnetID)]).status == 200)
            var remaining = 2
            for _ in 0..<200 where remaining > 0 {
                remaining = 0
                for region in ["RegionOne", "RegionTwo"] {
                    remaining += try await neutron.direct(region, "/routers?name=\(routerID)").json["routers"]?.arrayValue?.count ?? 0
                }
                if remaining > 0 { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(remaining == 0)
            #expect(try await neutron.send("DELETE", "/networks/\(networkID)").status == 204)
            #expect(try await neutron.send("DELETE", "/routers/\(routerID)").status == 204)
            // The bridge went with the last router using it: the pods hold no network at all.
            for region in ["RegionOne", "RegionTwo"] {
                #expect(try await neutron.direct(region, "/networks").json["networks"] == [], "\(region) is empty")
            }
        }
    }
}
