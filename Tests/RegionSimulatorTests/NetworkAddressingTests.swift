import Foundation
import OpenStackModels
import RegionSimulator
import Testing

@Suite("Simulated Neutron: subnets and IP allocation")
struct NetworkAddressingTests {
    @Test func concurrentPortCreatesNeverShareAnAddress() async throws {
        try await withNetDBService(SimulatedNetworking()) { c in
            let net = try await c.network()
            _ = try await c.subnet(net, "10.1.0.0/24", extra: #", "enable_dhcp": false"#)
            let addresses = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<200 {
                    group.addTask {
                        let reply = try await c.send(.post, "/v2.0/ports", token: c.demo,
                                                     json: #"{"port": {"network_id": "\#(net)"}}"#)
                        return try reply.decode(PortEnvelope<NeutronPort>.self).port.fixedIPs.compactMap(\.ipAddress)
                    }
                }
                var all: [String] = []
                for try await ips in group { all += ips }
                return all
            }
            #expect(addresses.count == 200)
            #expect(Set(addresses).count == 200)
            // The gateway (.1) is never handed to a port.
            #expect(!addresses.contains("10.1.0.1"))
        }
    }

    @Test func exhaustedPoolAnswers409IpAddressGenerationFailure() async throws {
        try await withNetDBService(SimulatedNetworking()) { c in
            let net = try await c.network()
            let subnet = try await c.subnet(
                net, "10.2.0.0/24",
                extra: #", "enable_dhcp": false, "allocation_pools": [{"start": "10.2.0.10", "end": "10.2.0.12"}]"#)
            var taken: [String] = []
            for _ in 0..<3 {
                let reply = try await c.send(.post, "/v2.0/ports", token: c.demo, json: #"{"port": {"network_id": "\#(net)"}}"#)
                #expect(reply.status == .created)
                taken += try reply.decode(PortEnvelope<NeutronPort>.self).port.fixedIPs.compactMap(\.ipAddress)
            }
            #expect(taken == ["10.2.0.10", "10.2.0.11", "10.2.0.12"])
            let exhausted = try await c.send(.post, "/v2.0/ports", token: c.demo, json: #"{"port": {"network_id": "\#(net)"}}"#)
            #expect(exhausted.status == .conflict)
            #expect(exhausted.neutronError?.type == "IpAddressGenerationFailure")
            #expect(exhausted.neutronError?.message == "No more IP addresses available on network \(net).")
            #expect(exhausted.header("x-openstack-request-id")?.hasPrefix("req-") == true)

            let bySubnet = try await c.send(.post, "/v2.0/ports", token: c.demo,
                                            json: #"{"port": {"network_id": "\#(net)", "fixed_ips": [{"subnet_id": "\#(subnet)"}]}}"#)
            #expect(bySubnet.neutronError?.type == "IpAddressGenerationFailure")
            // An address outside the pools but inside the CIDR may still be asked for by name...
            let explicit = try await c.send(.post, "/v2.0/ports", token: c.demo,
                                            json: #"{"port": {"network_id": "\#(net)", "fixed_ips": [{"ip_address": "10.2.0.50"}]}}"#)
            #expect(explicit.status == .created)
            // ...but never twice.
            let again = try await c.send(.post, "/v2.0/ports", token: c.demo,
                                         json: #"{"port": {"network_id": "\#(net)", "fixed_ips": [{"subnet_id": "\#(subnet)", "ip_address": "10.2.0.50"}]}}"#)
            #expect(again.status == .conflict)
            #expect(again.neutronError?.type == "IpAddressAlreadyAllocated")
            let outside = try await c.send(.post, "/v2.0/ports", token: c.demo,
                                           json: #"{"port": {"network_id": "\#(net)", "fixed_ips": [{"ip_address": "192.168.9.9"}]}}"#)
            #expect(outside.status == .badRequest)
            #expect(outside.neutronError?.type == "InvalidIpForNetwork")
        }
    }

    @Test func deletingAPortReturnsItsAddressToThePool() async throws {
        try await withNetDBService(SimulatedNetworking()) { c in
            let net = try await c.network()
            _ = try await c.subnet(net, "10.3.0.0/29", extra: #", "enable_dhcp": false"#)
            // /29: .1 gateway, .2-.6 usable, .7 broadcast.
            var ports: [String] = []
            for _ in 0..<5 {
                let reply = try await c.send(.post, "/v2.0/ports", token: c.demo, json: #"{"port": {"network_id": "\#(net)"}}"#)
                ports.append(try reply.decode(PortEnvelope<NeutronPort>.self).port.id)
            }
            let full = try await c.send(.post, "/v2.0/ports", token: c.demo, json: #"{"port": {"network_id": "\#(net)"}}"#)
            #expect(full.neutronError?.type == "IpAddressGenerationFailure")
            #expect(try await c.send(.delete, "/v2.0/ports/\(ports[2])", token: c.demo).status == .noContent)
            let reused = try await c.send(.post, "/v2.0/ports", token: c.demo, json: #"{"port": {"network_id": "\#(net)"}}"#)
            #expect(try reused.decode(PortEnvelope<NeutronPort>.self).port.fixedIPs.first?.ipAddress == "10.3.0.4")
        }
    }

    @Test func overlappingCIDROnOneNetworkIsRefusedButAllowedOnAnother() async throws {
        try await withNetDBService(SimulatedNetworking()) { c in
            let net = try await c.network()
            _ = try await c.subnet(net, "10.4.0.0/16")
            let overlap = try await c.send(.post, "/v2.0/subnets", token: c.demo,
                                           json: #"{"subnet": {"network_id": "\#(net)", "cidr": "10.4.5.0/24", "ip_version": 4}}"#)
            #expect(overlap.status == .badRequest)
            #expect(overlap.neutronError?.type == "InvalidInput")
            #expect(overlap.neutronError?.message ==
                "Invalid input for operation: Requested subnet with cidr: 10.4.5.0/24 for network: \(net) overlaps with another subnet.")
            let other = try await c.network("other")
            let elsewhere = try await c.send(.post, "/v2.0/subnets", token: c.demo,
                                             json: #"{"subnet": {"network_id": "\#(other)", "cidr": "10.4.5.0/24", "ip_version": 4}}"#)
            #expect(elsewhere.status == .created)
        }
    }

    @Test func badCIDRsAnswer400() async throws {
        try await withNetDBService(SimulatedNetworking()) { c in
            let net = try await c.network()
            func create(_ cidr: String, _ version: Int = 4) async throws -> NetDBReply {
                try await c.send(.post, "/v2.0/subnets", token: c.demo,
                                 json: #"{"subnet": {"network_id": "\#(net)", "cidr": "\#(cidr)", "ip_version": \#(version)}}"#)
            }
            let garbage = try await create("10.0.0.300/24")
            #expect(garbage.status == .badRequest)
            #expect(garbage.neutronError?.type == "HTTPBadRequest")
            #expect(garbage.neutronError?.message == "Invalid input for cidr. Reason: '10.0.0.300/24' is not a valid IP subnet.")
            // Host bits are dropped (see SubnetCIDRTests); a prefix not written the canonical way is refused.
            let oddPrefix = try await create("10.0.0.0/024")
            #expect(oddPrefix.neutronError?.message ==
                "Invalid input for cidr. Reason: '10.0.0.0/024' isn't a recognized IP subnet cidr, '10.0.0.0/24' is recommended.")
            let mismatch = try await create("2001:db8::/64", 4)
            #expect(mismatch.status == .badRequest)
            #expect(mismatch.neutronError?.type == "InvalidInput")
            let unknownNetwork = try await c.send(.post, "/v2.0/subnets", token: c.demo,
                                                  json: #"{"subnet": {"network_id": "nope", "cidr": "10.9.0.0/24", "ip_version": 4}}"#)
            #expect(unknownNetwork.status == .notFound)
            #expect(unknownNetwork.neutronError?.type == "NetworkNotFound")
            let list = try await c.send(.get, "/v2.0/subnets?network_id=\(net)", token: c.demo).decode(SubnetList.self)
            #expect(list.subnets.isEmpty)
        }
    }

    @Test func ipv6SlaacAddressComesFromTheMAC() async throws {
        try await withNetDBService(SimulatedNetworking()) { c in
            let net = try await c.network()
            _ = try await c.subnet(net, "2001:db8:1::/64",
                                   extra: #", "ipv6_address_mode": "slaac", "ipv6_ra_mode": "slaac""#)
            let reply = try await c.send(.post, "/v2.0/ports", token: c.demo,
                                         json: #"{"port": {"network_id": "\#(net)", "mac_address": "fa:16:3e:12:34:56"}}"#)
            let port = try reply.decode(PortEnvelope<NeutronPort>.self).port
            #expect(port.fixedIPs.first?.ipAddress == "2001:db8:1:0:f816:3eff:fe12:3456")
            let sameMAC = try await c.send(.post, "/v2.0/ports", token: c.demo,
                                           json: #"{"port": {"network_id": "\#(net)", "mac_address": "fa:16:3e:12:34:56"}}"#)
            #expect(sameMAC.neutronError?.type == "MacAddressInUse")
        }
    }

    @Test func dhcpAgentPortTakesTheFirstPoolAddressOrClaimsAReservedPort() async throws {
        try await withNetDBService(SimulatedNetworking()) { c in
            let net = try await c.network()
            _ = try await c.subnet(net, "10.5.0.0/24")
            let dhcp = try await c.send(.get, "/v2.0/ports?network_id=\(net)&device_owner=network:dhcp", token: c.demo)
                .decode(PortList.self).ports
            #expect(dhcp.count == 1)
            #expect(dhcp.first?.fixedIPs.first?.ipAddress == "10.5.0.2")

            // Tricircle pre-creates the DHCP port with a chosen address before enabling DHCP.
            let other = try await c.network("pre")
            _ = try await c.subnet(other, "10.6.0.0/24", extra: #", "enable_dhcp": false"#)
            let reserved = try await c.send(.post, "/v2.0/ports", token: c.admin, json: #"""
                {"port": {"network_id": "\#(other)", "device_owner": "network:dhcp", "device_id": "reserved_dhcp_port",
                          "fixed_ips": [{"ip_address": "10.6.0.200"}], "project_id": "\#(c.demoProject)"}}
                """#).decode(PortEnvelope<NeutronPort>.self).port
            let subnets = try await c.send(.get, "/v2.0/subnets?network_id=\(other)", token: c.demo).decode(SubnetList.self)
            let subnetID = try #require(subnets.subnets.first?.id)
            _ = try await c.send(.put, "/v2.0/subnets/\(subnetID)", token: c.demo, json: #"{"subnet": {"enable_dhcp": true}}"#)
            let after = try await c.send(.get, "/v2.0/ports?network_id=\(other)&device_owner=network:dhcp", token: c.demo)
                .decode(PortList.self).ports
            #expect(after.map(\.id) == [reserved.id])
            #expect(after.first?.deviceID.hasPrefix("dhcp") == true)
            #expect(after.first?.fixedIPs.map(\.ipAddress) == ["10.6.0.200"])

            // Reserved after DHCP was enabled: the agent's own port gives way, the reserved one is claimed.
            let third = try await c.network("late")
            _ = try await c.subnet(third, "10.7.0.0/24")
            let late = try await c.send(.post, "/v2.0/ports", token: c.admin, json: #"""
                {"port": {"network_id": "\#(third)", "device_owner": "network:dhcp", "device_id": "reserved_dhcp_port",
                          "fixed_ips": [{"ip_address": "10.7.0.2"}], "project_id": "\#(c.demoProject)"}}
                """#)
            #expect(late.status == .created)
            let lateDHCP = try await c.send(.get, "/v2.0/ports?network_id=\(third)&device_owner=network:dhcp", token: c.demo)
                .decode(PortList.self).ports
            #expect(lateDHCP.count == 1 && lateDHCP.first?.deviceID.hasPrefix("dhcp") == true)
        }
    }

    @Test func refusedBulkCreateAndPortUpdateLeaveNothingHalfDone() async throws {
        let networking = SimulatedNetworking()
        try await withNetDBService(networking) { c in
            let net = try await c.network()
            _ = try await c.subnet(net, "10.10.0.0/24", extra: #", "enable_dhcp": false"#)
            let bulk = try await c.send(.post, "/v2.0/ports", token: c.demo, json: #"""
                {"ports": [{"network_id": "\#(net)", "fixed_ips": [{"ip_address": "10.10.0.5"}]},
                           {"network_id": "\#(net)"},
                           {"network_id": "\#(net)", "fixed_ips": [{"ip_address": "10.10.0.5"}]}]}
                """#)
            #expect(bulk.status == .conflict)
            #expect(bulk.neutronError?.type == "IpAddressAlreadyAllocated")
            #expect(networking.portCount == 0)
            let port = try await c.send(.post, "/v2.0/ports", token: c.demo,
                                        json: #"{"port": {"network_id": "\#(net)", "fixed_ips": [{"ip_address": "10.10.0.5"}]}}"#)
                .decode(PortEnvelope<NeutronPort>.self).port
            let other = try await c.send(.post, "/v2.0/ports", token: c.demo,
                                         json: #"{"port": {"network_id": "\#(net)", "fixed_ips": [{"ip_address": "10.10.0.6"}]}}"#)
            #expect(other.status == .created)
            // Moving to a taken address fails and the port keeps its old one (still reserved).
            let clash = try await c.send(.put, "/v2.0/ports/\(port.id)", token: c.demo,
                                         json: #"{"port": {"fixed_ips": [{"ip_address": "10.10.0.6"}]}}"#)
            #expect(clash.neutronError?.type == "IpAddressAlreadyAllocated")
            let kept = try await c.send(.get, "/v2.0/ports/\(port.id)", token: c.demo).decode(PortEnvelope<NeutronPort>.self).port
            #expect(kept.fixedIPs.map(\.ipAddress) == ["10.10.0.5"])
            let stolen = try await c.send(.post, "/v2.0/ports", token: c.demo,
                                          json: #"{"port": {"network_id": "\#(net)", "fixed_ips": [{"ip_address": "10.10.0.5"}]}}"#)
            #expect(stolen.status == .conflict)
            let moved = try await c.send(.put, "/v2.0/ports/\(port.id)", token: c.demo,
                                         json: #"{"port": {"fixed_ips": [{"ip_address": "10.10.0.7"}]}}"#)
            #expect(try moved.decode(PortEnvelope<NeutronPort>.self).port.fixedIPs.map(\.ipAddress) == ["10.10.0.7"])
            #expect(try moved.decode(PortEnvelope<NeutronPort>.self).port.revisionNumber == 2)
        }
    }
}
