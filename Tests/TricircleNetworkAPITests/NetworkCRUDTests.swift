import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleStore
import TricircleTestSupport

/// Networks, subnets and ports at the top: Neutron's answers for good and bad input.
@Suite("Networking API at the top")
struct NetworkCRUDTests {
    @Test("network, subnet and port: create, show, list with filters and fields, update, delete")
    func crud() async throws {
        try await GatewayHarness.with { harness in
            let neutron = try NeutronClient(harness)
            let (networkID, subnetID) = try await neutron.networkWithSubnet()
            let shown = try await neutron.send("GET", "/networks/\(networkID)")
            #expect(shown.status == 200)
            #expect(shown.json["network"]?["subnets"] == [.string(subnetID)])
            #expect(shown.json["network"]?["provider:network_type"] == "vxlan")

            let subnet = try await neutron.send("GET", "/subnets/\(subnetID)")
            #expect(subnet.json["subnet"]?["gateway_ip"] == "10.0.0.1")
            #expect(subnet.json["subnet"]?["allocation_pools"] == [["start": "10.0.0.2", "end": "10.0.0.254"]])

            let port = try await neutron.create("ports", "port", ["network_id": .string(networkID), "name": "p1"])
            #expect(port["fixed_ips"]?.at(0)?["subnet_id"]?.stringValue == subnetID)
            #expect(port["mac_address"]?.stringValue?.hasPrefix("fa:16:3e:") == true)
            #expect(port["security_groups"]?.arrayValue?.count == 1)

            let filtered = try await neutron.send("GET", "/ports?network_id=\(networkID)&fields=id&fields=name")
            #expect(filtered.json["ports"] == [["id": port["id"] ?? .null, "name": "p1"]])

            let renamed = try await neutron.send("PUT", "/networks/\(networkID)", ["network": ["name": "renamed"]])
            #expect(renamed.status == 200)
            #expect(renamed.json["network"]?["name"] == "renamed")

            // In use: a port holds it.
            let refused = try await neutron.send("DELETE", "/networks/\(networkID)")
            #expect(refused.status == 409)
            #expect(refused.json["NeutronError"]?["type"] == "NetworkInUse")

            #expect(try await neutron.send("DELETE", "/ports/\(port["id"]?.stringValue ?? "")").status == 204)
            #expect(try await neutron.send("DELETE", "/networks/\(networkID)").status == 204)
            let gone = try await neutron.send("GET", "/subnets/\(subnetID)")
            #expect(gone.status == 404)
            #expect(gone.json["NeutronError"]?["type"] == "SubnetNotFound")
        }
    }

    @Test("bad input gets Neutron's status and error body, and nothing is half-created")
    func badInput() async throws {
        try await GatewayHarness.with { harness in
            let neutron = try NeutronClient(harness)
            let (networkID, subnetID) = try await neutron.networkWithSubnet("10.1.0.0/29")

            let overlapping = try await neutron.send("POST", "/subnets", ["subnet": ["network_id": .string(networkID), "cidr": "10.1.0.0/24", "ip_version": 4]])
            #expect(overlapping.status == 400)
            #expect(overlapping.json["NeutronError"]?["type"] == "InvalidInput")
            #expect(overlapping.json["NeutronError"]?["message"]?.stringValue?.contains("overlaps with another subnet") == true)

            let badCIDR = try await neutron.send("POST", "/subnets", ["subnet": ["network_id": .string(networkID), "cidr": "10.300.0.0/24", "ip_version": 4]])
            #expect(badCIDR.status == 400)
            #expect(badCIDR.json["NeutronError"]?["message"] == "Invalid input for cidr. Reason: '10.300.0.0/24' is not a valid IP subnet.")

            let unknown = try await neutron.send("POST", "/ports", ["port": ["network_id": "5e1cbd43-0000-4000-8000-000000000000"]])
            #expect(unknown.status == 404)
            #expect(unknown.json["NeutronError"]?["type"] == "NetworkNotFound")

            let outside = try await neutron.send("POST", "/ports", ["port": ["network_id": .string(networkID),
                                                                            "fixed_ips": [["subnet_id": .string(subnetID), "ip_address": "10.9.9.9"]]]])
            #expect(outside.status == 400)
            #expect(outside.json["NeutronError"]?["type"] == "InvalidIpForSubnet")

            // A /29 has 5 pool addresses (.2-.6): the sixth port finds none.
            for _ in 0..<5 { _ = try await neutron.create("ports", "port", ["network_id": .string(networkID)]) }
            let exhausted = try await neutron.send("POST", "/ports", ["port": ["network_id": .string(networkID)]])
            #expect(exhausted.status == 409)
            #expect(exhausted.json["NeutronError"]?["type"] == "IpAddressGenerationFailure")

            let taken = try await neutron.send("POST", "/ports", ["port": ["network_id": .string(networkID),
                                                                          "fixed_ips": [["ip_address": "10.1.0.2"]]]])
            #expect(taken.status == 409)
            #expect(taken.json["NeutronError"]?["type"] == "IpAddressAlreadyAllocated")

            let unknownAttribute = try await neutron.send("POST", "/networks", ["network": ["colour": "blue"]])
            #expect(unknownAttribute.status == 400)
            #expect(unknownAttribute.json["NeutronError"]?["message"] == "Unrecognized attribute(s) 'colour'")

            // Nothing half-created: still one subnet and five ports.
            let subnets = try await neutron.send("GET", "/subnets?network_id=\(networkID)")
            #expect(subnets.json["subnets"]?.arrayValue?.count == 1)
            let ports = try await neutron.send("GET", "/ports?network_id=\(networkID)")
            #expect(ports.json["ports"]?.arrayValue?.count == 5)
        }
    }

    @Test("another project's network is NetworkNotFound; the admin sees every project's")
    func projectIsolation() async throws {
        try await GatewayHarness.with { harness in
            let demo = try NeutronClient(harness)
            let other = try NeutronClient(harness, user: "alt_demo")
            let admin = try NeutronClient(harness, user: "admin")
            let (networkID, _) = try await demo.networkWithSubnet()
            let hidden = try await other.send("GET", "/networks/\(networkID)")
            #expect(hidden.status == 404)
            #expect(hidden.json["NeutronError"]?["type"] == "NetworkNotFound")
            #expect(try await other.send("GET", "/networks").json["networks"] == [])
            #expect(try await other.send("DELETE", "/networks/\(networkID)").status == 404)
            #expect(try await admin.send("GET", "/networks/\(networkID)").status == 200)
        }
    }

    @Test("limit and marker page by id with networks_links; sort_key sorts")
    func paging() async throws {
        try await GatewayHarness.with { harness in
            let neutron = try NeutronClient(harness)
            var ids: [String] = []
            for index in 0..<5 {
                ids.append(try await neutron.create("networks", "network", ["name": .string("n\(index)")])["id"]?.stringValue ?? "")
            }
            ids.sort()
            let first = try await neutron.send("GET", "/networks?limit=2")
            #expect(first.json["networks"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == Array(ids.prefix(2)))
            let next = first.json["networks_links"]?.at(0)?["href"]?.stringValue ?? ""
            #expect(first.json["networks_links"]?.at(0)?["rel"] == "next")
            let second = try await neutron.send("GET", next)
            #expect(second.json["networks"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == Array(ids[2..<4]))
            let sorted = try await neutron.send("GET", "/networks?sort_key=name&sort_dir=desc")
            #expect(sorted.json["networks"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["n4", "n3", "n2", "n1", "n0"])
            let badSort = try await neutron.send("GET", "/networks?sort_key=colour")
            #expect(badSort.status == 400)
        }
    }

    @Test("security groups: default group on first use with its rules; rules validate; routers take interfaces; floating IPs")
    func groupsRoutersFloatingIPs() async throws {
        try await GatewayHarness.with { harness in
            let neutron = try NeutronClient(harness)
            let admin = try NeutronClient(harness, user: "admin")
            let groups = try await neutron.send("GET", "/security-groups")
            #expect(groups.json["security_groups"]?.arrayValue?.count == 1)
            #expect(groups.json["security_groups"]?.at(0)?["name"] == "default")
            #expect(groups.json["security_groups"]?.at(0)?["security_group_rules"]?.arrayValue?.count == 4)
            let web = try await neutron.create("security-groups", "security_group", ["name": "web"])
            let webID = web["id"]?.stringValue ?? ""
            let rule = try await neutron.create("security-group-rules", "security_group_rule", [
                "security_group_id": .string(webID), "direction": "ingress", "protocol": "tcp", "port_range_min": 80, "port_range_max": 80])
            #expect(rule["protocol"] == "tcp")
            let duplicate = try await neutron.send("POST", "/security-group-rules", ["security_group_rule": [
                "security_group_id": .string(webID), "direction": "ingress", "protocol": "tcp", "port_range_min": 80, "port_range_max": 80]])
            #expect(duplicate.status == 409)
            #expect(duplicate.json["NeutronError"]?["type"] == "SecurityGroupRuleExists")

            let (networkID, subnetID) = try await neutron.networkWithSubnet()
            let router = try await neutron.create("routers", "router", ["name": "r"])
            let routerID = router["id"]?.stringValue ?? ""
            let added = try await neutron.send("PUT", "/routers/\(routerID)/add_router_interface", ["subnet_id": .string(subnetID)])
            #expect(added.status == 200)
            #expect(added.json["subnet_id"]?.stringValue == subnetID)
            let interface = try await neutron.send("GET", "/ports?device_id=\(routerID)")
            #expect(interface.json["ports"]?.at(0)?["fixed_ips"]?.at(0)?["ip_address"] == "10.0.0.1")

            let external = try await admin.create("networks", "network", ["name": "public", "router:external": true])
            let externalID = external["id"]?.stringValue ?? ""
            _ = try await admin.create("subnets", "subnet", ["network_id": .string(externalID), "cidr": "172.24.4.0/24", "ip_version": 4])
            let gateway = try await neutron.send("PUT", "/routers/\(routerID)", ["router": ["external_gateway_info": ["network_id": .string(externalID)]]])
            #expect(gateway.status == 200)
            #expect(gateway.json["router"]?["external_gateway_info"]?["network_id"]?.stringValue == externalID)
            let port = try await neutron.create("ports", "port", ["network_id": .string(networkID)])
            let fip = try await neutron.create("floatingips", "floatingip", ["floating_network_id": .string(externalID), "port_id": port["id"] ?? .null])
            #expect(fip["router_id"]?.stringValue == routerID)
            #expect(fip["floating_ip_address"]?.stringValue?.hasPrefix("172.24.4.") == true)
            let inUse = try await neutron.send("DELETE", "/routers/\(routerID)")
            #expect(inUse.status == 409)
            #expect(inUse.json["NeutronError"]?["type"] == "RouterInUse")
        }
    }

    @Test("50 parallel port creates on one subnet get 50 distinct addresses", arguments: TestDatabases.backends)
    func parallelPorts(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let neutron = try NeutronClient(harness)
            let (networkID, _) = try await neutron.networkWithSubnet()
            let addresses = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        let port = try await neutron.create("ports", "port", ["network_id": .string(networkID)])
                        return port["fixed_ips"]?.at(0)?["ip_address"]?.stringValue ?? ""
                    }
                }
                var out: [String] = []
                for try await address in group { out.append(address) }
                return out
            }
            #expect(addresses.count == 50)
            #expect(Set(addresses).count == 50)
            #expect(!addresses.contains(""))
        }
    }
}
