import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleCore
import TricircleGateway
import TricircleNetworkAPI
import TricircleStore
import TricircleTestSupport

/// Materialization in a pod for boots: one copy of network, subnet and group however many boots race.
@Suite("Network provisioning in pods")
struct NetworkProvisioningTests {
    @Test("50 parallel prepares for one new network in one pod: one bottom network and subnet, 50 ports with the top's addresses", arguments: TestDatabases.backends)
    func parallelPrepare(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let neutron = try NeutronClient(harness)
            let (networkID, subnetID) = try await neutron.networkWithSubnet("10.20.0.0/24")
            let provisioner = try #require(harness.assembly.frontEnds.compactMap { $0 as? NetworkFrontEnd }.first?.networkProvisioner)
            let pod = try await harness.pod("RegionOne")
            let prepared = try await withThrowingTaskGroup(of: PreparedNetworks.self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        try await provisioner.prepare(networks: [["uuid": .string(networkID)]], securityGroups: ["default"],
                                                      in: pod, context: neutron.podContext())
                    }
                }
                var out: [PreparedNetworks] = []
                for try await item in group { out.append(item) }
                return out
            }
            #expect(prepared.count == 50)
            let bottomPorts = Set(prepared.flatMap(\.createdPorts))
            #expect(bottomPorts.count == 50)

            let networks = try await neutron.direct("RegionOne", "/networks?name=\(networkID)")
            #expect(networks.json["networks"]?.arrayValue?.count == 1)
            let bottomNetwork = networks.json["networks"]?.at(0)?["id"]?.stringValue ?? ""
            let subnets = try await neutron.direct("RegionOne", "/subnets?name=\(subnetID)")
            #expect(subnets.json["subnets"]?.arrayValue?.count == 1)
            #expect(subnets.json["subnets"]?.at(0)?["cidr"] == "10.20.0.0/24")
            #expect(subnets.json["subnets"]?.at(0)?["enable_dhcp"] == true)
            let groups = try await neutron.direct("RegionOne", "/security-groups?project_id=\(neutron.token.projectID)")
            #expect(groups.json["security_groups"]?.arrayValue?.filter { $0["name"]?.stringValue != "default" }.count == 1, "\(groups.text)")

            // The pod's ports carry the top's MACs and addresses, all distinct, DHCP's included.
            let bottom = try await neutron.direct("RegionOne", "/ports?network_id=\(bottomNetwork)")
            let podPorts = bottom.json["ports"]?.arrayValue ?? []
            #expect(podPorts.count == 51)
            let podAddresses = podPorts.compactMap { $0["fixed_ips"]?.at(0)?["ip_address"]?.stringValue }
            #expect(Set(podAddresses).count == 51)
            let top = try await neutron.send("GET", "/ports?network_id=\(networkID)&device_owner=compute:az1")
            let topPorts = top.json["ports"]?.arrayValue ?? []
            #expect(topPorts.count == 50)
            let topMACs = Set(topPorts.compactMap { $0["mac_address"]?.stringValue })
            #expect(topMACs.isSubset(of: Set(podPorts.compactMap { $0["mac_address"]?.stringValue })))
            // The pod's gateway is reserved at the top, so no port there or here holds it.
            let podGateway = subnets.json["subnets"]?.at(0)?["gateway_ip"]?.stringValue ?? ""
            #expect(!podGateway.isEmpty)
            #expect(!podAddresses.contains(podGateway))
        }
    }

    @Test("a boot through the top's Compute lands on the top's port; a rule added at the top reaches the pod; deleting the network leaves nothing")
    func bootSyncDelete() async throws {
        try await GatewayHarness.with { harness in
            let neutron = try NeutronClient(harness)
            let (networkID, subnetID) = try await neutron.networkWithSubnet("10.30.0.0/24")
            let provisioner = try #require(harness.assembly.frontEnds.compactMap { $0 as? NetworkFrontEnd }.first?.networkProvisioner)
            let group = try await neutron.create("security-groups", "security_group", ["name": "web"])
            let groupID = group["id"]?.stringValue ?? ""
            var prepared: [PreparedNetworks] = []
            for region in ["RegionOne", "RegionTwo"] {
                prepared.append(try await provisioner.prepare(networks: [["uuid": .string(networkID)]], securityGroups: ["web"],
                                                               in: try await harness.pod(region), context: neutron.podContext()))
            }
            let addresses = try await neutron.send("GET", "/ports?network_id=\(networkID)&device_owner=compute:az1&device_owner=compute:az2")
            #expect(Set(addresses.json["ports"]?.arrayValue?.compactMap { $0["fixed_ips"]?.at(0)?["ip_address"]?.stringValue } ?? []).count == 2)

            _ = try await neutron.create("security-group-rules", "security_group_rule", [
                "security_group_id": .string(groupID), "direction": "ingress", "protocol": "tcp", "port_range_min": 22, "port_range_max": 22])
            for region in ["RegionOne", "RegionTwo"] {
                let bottomGroup = try await neutron.direct(region, "/security-groups?name=\(groupID)")
                let bottomID = bottomGroup.json["security_groups"]?.at(0)?["id"]?.stringValue ?? ""
                var found = false
                for _ in 0..<100 where !found {
                    let rules = try await neutron.direct(region, "/security-group-rules?security_group_id=\(bottomID)&port_range_min=22")
                    found = rules.json["security_group_rules"]?.arrayValue?.count == 1
                    if !found { try await Task.sleep(for: .milliseconds(50)) }
                }
                #expect(found, "rule reached \(region)")
            }

            #expect(try await neutron.send("DELETE", "/networks/\(networkID)").status == 204)
            for region in ["RegionOne", "RegionTwo"] {
                #expect(try await neutron.direct(region, "/networks?name=\(networkID)").json["networks"] == [])
                #expect(try await neutron.direct(region, "/subnets?name=\(subnetID)").json["subnets"] == [])
            }
            #expect(try await harness.runtime.routing.resolve(topID: networkID, type: .network, projectID: nil).isEmpty)
        }
    }

    @Test("unknown network in a boot is a 400 in Compute's format and nothing is created in the pod")
    func unknownNetwork() async throws {
        try await GatewayHarness.with { harness in
            let neutron = try NeutronClient(harness)
            let provisioner = try #require(harness.assembly.frontEnds.compactMap { $0 as? NetworkFrontEnd }.first?.networkProvisioner)
            await #expect(throws: APIError.self) {
                _ = try await provisioner.prepare(networks: [["uuid": "00000000-0000-4000-8000-000000000000"]], securityGroups: [],
                                                  in: try await harness.pod("RegionOne"), context: neutron.podContext())
            }
        }
    }
}
