import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OpenStackModels
import RegionSimulator
import Testing

@Suite("Simulated Neutron: API behaviour")
struct NetworkAPITests {
    @Test func defaultSecurityGroupIsCreatedOnceWithItsFourRules() async throws {
        try await withNetDBService(SimulatedNetworking()) { c in
            async let first = c.send(.get, "/v2.0/security-groups", token: c.demo)
            async let second = c.send(.get, "/v2.0/security-groups", token: c.demo)
            _ = try await (first, second)
            let net = try await c.network()
            _ = try await c.subnet(net, "10.7.0.0/24")
            let port = try await c.send(.post, "/v2.0/ports", token: c.demo, json: #"{"port": {"network_id": "\#(net)"}}"#)
                .decode(PortEnvelope<NeutronPort>.self).port
            let listed = try await c.send(.get, "/v2.0/security-groups?name=default", token: c.demo)
            let groups = try listed.decode(SecurityGroupList.self).securityGroups
            #expect(groups.count == 1)
            let group = try #require(groups.first)
            #expect(port.securityGroups == [group.id])
            #expect(group.securityGroupRules.count == 4)
            #expect(group.securityGroupRules.filter { $0.direction == "ingress" }.allSatisfy { $0.remoteGroupID == group.id })
            let duplicate = try await c.send(.post, "/v2.0/security-groups", token: c.demo, json: #"{"security_group": {"name": "default"}}"#)
            #expect(duplicate.status == .conflict)
            #expect(duplicate.neutronError?.type == "SecurityGroupDefaultAlreadyExists")
            let cannotDelete = try await c.send(.delete, "/v2.0/security-groups/\(group.id)", token: c.demo)
            #expect(cannotDelete.neutronError?.type == "SecurityGroupCannotRemoveDefault")
            // The other project gets its own default group.
            let alt = try await c.send(.get, "/v2.0/security-groups", token: c.altDemo).decode(SecurityGroupList.self)
            #expect(alt.securityGroups.map(\.name) == ["default"])
            #expect(alt.securityGroups.first?.id != group.id)
        }
    }

    @Test func duplicateRuleIs409SecurityGroupRuleExists() async throws {
        try await withNetDBService(SimulatedNetworking()) { c in
            let group = try await c.send(.post, "/v2.0/security-groups", token: c.demo, json: #"{"security_group": {"name": "web"}}"#)
                .decode(SecurityGroupEnvelope<SecurityGroup>.self).securityGroup
            #expect(group.securityGroupRules.map(\.direction) == ["egress", "egress"])
            let rule = #"{"security_group_rule": {"security_group_id": "\#(group.id)", "direction": "ingress", "protocol": "tcp", "port_range_min": 80, "port_range_max": 80, "remote_ip_prefix": "0.0.0.0/0"}}"#
            let created = try await c.send(.post, "/v2.0/security-group-rules", token: c.demo, json: rule)
            #expect(created.status == .created)
            let ruleID = try created.decode(SecurityGroupRuleEnvelope<SecurityGroupRule>.self).securityGroupRule.id
            let again = try await c.send(.post, "/v2.0/security-group-rules", token: c.demo, json: rule)
            #expect(again.status == .conflict)
            #expect(again.neutronError?.type == "SecurityGroupRuleExists")
            #expect(again.neutronError?.message == "Security group rule already exists. Rule id is \(ruleID).")
            // Protocol by number and "any" prefix are the same rule.
            let byNumber = #"{"security_group_rule": {"security_group_id": "\#(group.id)", "direction": "ingress", "protocol": "6", "port_range_min": 80, "port_range_max": 80}}"#
            #expect(try await c.send(.post, "/v2.0/security-group-rules", token: c.demo, json: byNumber).status == .conflict)
            let badRange = #"{"security_group_rule": {"security_group_id": "\#(group.id)", "direction": "ingress", "protocol": "tcp", "port_range_min": 90, "port_range_max": 80}}"#
            #expect(try await c.send(.post, "/v2.0/security-group-rules", token: c.demo, json: badRange).neutronError?.type == "SecurityGroupInvalidPortRange")
        }
    }

    @Test func pagingFollowsNextLinksWithoutLossOrRepeat() async throws {
        try await withNetDBService(SimulatedNetworking()) { c in
            var created: Set<String> = []
            for i in 0..<23 { created.insert(try await c.network(String(format: "n%02d", i))) }
            var seen: [String] = []
            var uri = "/v2.0/networks?limit=5&sort_key=name&sort_dir=desc"
            var pages = 0
            while pages < 20 {
                pages += 1
                let page = try await c.send(.get, uri, token: c.demo).decode(NetworkList.self)
                seen += page.networks.map(\.id)
                guard let next = Link.next(in: page.networksLinks) else { break }
                let components = try #require(URLComponents(string: next.href))
                uri = components.path + "?" + (components.percentEncodedQuery ?? "")
            }
            #expect(seen.count == 23)
            #expect(Set(seen) == created)
            let names = try await c.send(.get, "/v2.0/networks?sort_key=name&sort_dir=desc&fields=name", token: c.demo)
            let list = try #require(names.json["networks"]?.arrayValue)
            #expect(list.first?.objectValue?.keys.sorted() == ["name"])
            #expect(list.first?["name"]?.stringValue == "n22")
            let filtered = try await c.send(.get, "/v2.0/networks?name=n03&name=n04", token: c.demo).decode(NetworkList.self)
            #expect(filtered.networks.map(\.name).sorted() == ["n03", "n04"])
            let unknown = try await c.send(.get, "/v2.0/networks?colour=blue", token: c.demo)
            #expect(unknown.status == .badRequest)
        }
    }

    @Test func projectsAreIsolatedAndAdminSeesAll() async throws {
        try await withNetDBService(SimulatedNetworking()) { c in
            let mine = try await c.network("private")
            let hidden = try await c.send(.get, "/v2.0/networks/\(mine)", token: c.altDemo)
            #expect(hidden.status == .notFound)
            #expect(hidden.neutronError?.type == "NetworkNotFound")
            #expect(hidden.neutronError?.message == "Network \(mine) could not be found.")
            #expect(try await c.send(.delete, "/v2.0/networks/\(mine)", token: c.altDemo).status == .notFound)
            let altList = try await c.send(.get, "/v2.0/networks", token: c.altDemo).decode(NetworkList.self)
            #expect(altList.networks.isEmpty)
            let adminList = try await c.send(.get, "/v2.0/networks", token: c.admin).decode(NetworkList.self)
            #expect(adminList.networks.map(\.id).contains(mine))
            // Shared networks are visible to everyone; creating one needs admin.
            let forbidden = try await c.send(.post, "/v2.0/networks", token: c.demo, json: #"{"network": {"shared": true}}"#)
            #expect(forbidden.status == .forbidden)
            let shared = try await c.network("shared", token: c.admin, extra: #", "shared": true"#)
            #expect(try await c.send(.get, "/v2.0/networks/\(shared)", token: c.altDemo).status == .ok)
            let noToken = try await c.sendRaw(.get, "/v2.0/networks")
            #expect(noToken.status == .unauthorized)
        }
    }

    @Test func networkShowsProviderAndExternalAttributesAsNeutronNamesThem() async throws {
        try await withNetDBService(SimulatedNetworking()) { c in
            let reply = try await c.send(.post, "/v2.0/networks", token: c.admin, json: #"""
                {"network": {"name": "v", "provider:network_type": "vlan", "provider:physical_network": "physnet1",
                             "provider:segmentation_id": 101, "availability_zone_hints": ["az1"]}}
                """#)
            #expect(reply.status == .created)
            let object = try #require(reply.json["network"]?.objectValue)
            #expect(object["provider:network_type"] == "vlan")
            #expect(object["provider:segmentation_id"] == 101)
            #expect(object["router:external"] == false)
            #expect(object["availability_zone_hints"] == ["az1"])
            #expect(object["mtu"] == 1500)
            #expect(object["revision_number"] != nil && object["tags"] == [] && object["project_id"] == object["tenant_id"])
            let clash = try await c.send(.post, "/v2.0/networks", token: c.admin, json: #"""
                {"network": {"provider:network_type": "vlan", "provider:physical_network": "physnet1", "provider:segmentation_id": 101}}
                """#)
            #expect(clash.neutronError?.type == "VlanIdInUse")
            let badZone = try await c.send(.post, "/v2.0/networks", token: c.demo, json: #"{"network": {"availability_zone_hints": ["nowhere"]}}"#)
            #expect(badZone.neutronError?.type == "AvailabilityZoneNotFound")
            let unknownAttribute = try await c.send(.post, "/v2.0/networks", token: c.demo, json: #"{"network": {"colour": "red"}}"#)
            #expect(unknownAttribute.neutronError?.message == "Unrecognized attribute(s) 'colour'")
            let extensions = try await c.send(.get, "/v2.0/extensions", token: c.demo).decode(NeutronExtensionList.self)
            #expect(Set(["router", "extraroute", "security-group", "provider", "external-net", "binding"]).isSubset(of: Set(extensions.extensions.map(\.alias))))
        }
    }

    @Test func routerInterfacesExtraRoutesAndFloatingIPs() async throws {
        let networking = SimulatedNetworking()
        let external = try networking.createExternalNetwork(cidr: "172.24.4.0/24")
        try await withNetDBService(networking) { c in
            let net = try await c.network()
            let subnet = try await c.subnet(net, "10.8.0.0/24")
            let router = try await c.send(.post, "/v2.0/routers", token: c.demo, json: #"""
                {"router": {"name": "r", "external_gateway_info": {"network_id": "\#(external.networkID)"}}}
                """#).decode(RouterEnvelope<NeutronRouter>.self).router
            #expect(router.externalGatewayInfo?.externalFixedIPs?.first?.ipAddress == "172.24.4.2")
            let added = try await c.send(.put, "/v2.0/routers/\(router.id)/add_router_interface", token: c.demo,
                                         json: #"{"subnet_id": "\#(subnet)"}"#)
            let info = try added.decode(RouterInterfaceInfo.self)
            #expect(info.subnetID == subnet && info.id == router.id)
            let interfacePort = try await c.send(.get, "/v2.0/ports/\(info.portID)", token: c.demo).decode(PortEnvelope<NeutronPort>.self).port
            #expect(interfacePort.fixedIPs.first?.ipAddress == "10.8.0.1")
            #expect(interfacePort.deviceOwner == "network:router_interface")
            let twice = try await c.send(.put, "/v2.0/routers/\(router.id)/add_router_interface", token: c.demo, json: #"{"subnet_id": "\#(subnet)"}"#)
            #expect(twice.neutronError?.type == "BadRequest")

            let unreachable = try await c.send(.put, "/v2.0/routers/\(router.id)", token: c.demo,
                                               json: #"{"router": {"routes": [{"destination": "10.99.0.0/24", "nexthop": "192.168.1.1"}]}}"#)
            #expect(unreachable.neutronError?.type == "InvalidRoutes")
            let withRoutes = try await c.send(.put, "/v2.0/routers/\(router.id)/add_extraroutes", token: c.demo,
                                              json: #"{"router": {"routes": [{"destination": "10.99.0.0/24", "nexthop": "10.8.0.20"}]}}"#)
                .decode(RouterEnvelope<NeutronRouter>.self).router
            #expect(withRoutes.routes == [HostRoute(destination: "10.99.0.0/24", nexthop: "10.8.0.20")])
            let blocked = try await c.send(.put, "/v2.0/routers/\(router.id)/remove_router_interface", token: c.demo, json: #"{"subnet_id": "\#(subnet)"}"#)
            #expect(blocked.neutronError?.type == "RouterInterfaceInUseByRoute")

            let vm = try await c.send(.post, "/v2.0/ports", token: c.demo, json: #"{"port": {"network_id": "\#(net)"}}"#)
                .decode(PortEnvelope<NeutronPort>.self).port
            let fip = try await c.send(.post, "/v2.0/floatingips", token: c.demo, json: #"""
                {"floatingip": {"floating_network_id": "\#(external.networkID)", "port_id": "\#(vm.id)"}}
                """#).decode(FloatingIPEnvelope<FloatingIP>.self).floatingip
            #expect(fip.routerID == router.id && fip.status == "ACTIVE")
            #expect(fip.fixedIPAddress == vm.fixedIPs.first?.ipAddress)
            #expect(try await c.send(.delete, "/v2.0/routers/\(router.id)", token: c.demo).neutronError?.type == "RouterInUse")
            let onPrivate = try await c.send(.post, "/v2.0/floatingips", token: c.demo, json: #"{"floatingip": {"floating_network_id": "\#(net)"}}"#)
            #expect(onPrivate.neutronError?.type == "BadRequest")
            #expect(try await c.send(.delete, "/v2.0/ports/\(vm.id)", token: c.demo).status == .noContent)
            let released = try await c.send(.get, "/v2.0/floatingips/\(fip.id)", token: c.demo).decode(FloatingIPEnvelope<FloatingIP>.self).floatingip
            #expect(released.portID == nil && released.status == "DOWN")
            let nulls = try await c.send(.get, "/v2.0/floatingips/\(fip.id)", token: c.demo).json["floatingip"]
            #expect(nulls?["port_id"] == .null)
        }
    }

    @Test func gatewaysOnExternalNetworksOnlyAndNeverOnAnInterfaceSubnet() async throws {
        let networking = SimulatedNetworking()
        let external = try networking.createExternalNetwork(cidr: "172.25.4.0/24")
        try await withNetDBService(networking) { c in
            let net = try await c.network()
            let subnet = try await c.subnet(net, "10.18.0.0/24")
            let onInternal = try await c.send(.post, "/v2.0/routers", token: c.demo,
                                              json: #"{"router": {"name": "r", "external_gateway_info": {"network_id": "\#(net)"}}}"#)
            #expect(onInternal.status == .badRequest)
            #expect(onInternal.neutronError?.type == "BadRequest")
            let router = try await c.send(.post, "/v2.0/routers", token: c.demo, json: #"{"router": {"name": "r"}}"#)
                .decode(RouterEnvelope<NeutronRouter>.self).router
            // A floating IP needs a router with an interface on the port's subnet and a gateway on its network.
            let vm = try await c.send(.post, "/v2.0/ports", token: c.demo, json: #"{"port": {"network_id": "\#(net)"}}"#)
                .decode(PortEnvelope<NeutronPort>.self).port
            let fipJSON = #"{"floatingip": {"floating_network_id": "\#(external.networkID)", "port_id": "\#(vm.id)"}}"#
            #expect(try await c.send(.post, "/v2.0/floatingips", token: c.demo, json: fipJSON).neutronError?.type == "ExternalGatewayForFloatingIPNotFound")
            _ = try await c.send(.put, "/v2.0/routers/\(router.id)/add_router_interface", token: c.demo, json: #"{"subnet_id": "\#(subnet)"}"#)
            #expect(try await c.send(.post, "/v2.0/floatingips", token: c.demo, json: fipJSON).neutronError?.type == "ExternalGatewayForFloatingIPNotFound")
            let gateway = #"{"router": {"external_gateway_info": {"network_id": "\#(external.networkID)"}}}"#
            #expect(try await c.send(.put, "/v2.0/routers/\(router.id)", token: c.demo, json: gateway).status == .ok)
            #expect(try await c.send(.post, "/v2.0/floatingips", token: c.demo, json: fipJSON).status == .created)
            // The gateway's subnet cannot also be an interface, and an interface's network cannot be the gateway.
            let admin = c.admin
            let onGateway = try await c.send(.put, "/v2.0/routers/\(router.id)/add_router_interface", token: admin,
                                             json: #"{"subnet_id": "\#(external.subnetID)"}"#)
            #expect(onGateway.status == .badRequest)
            #expect(onGateway.neutronError?.message.contains("Router already has a port on subnet") == true)
            let other = try await c.send(.post, "/v2.0/routers", token: admin, json: #"{"router": {"name": "o"}}"#)
                .decode(RouterEnvelope<NeutronRouter>.self).router
            _ = try await c.send(.put, "/v2.0/routers/\(other.id)/add_router_interface", token: admin, json: #"{"subnet_id": "\#(external.subnetID)"}"#)
            let gatewayOnInterface = try await c.send(.put, "/v2.0/routers/\(other.id)", token: admin, json: gateway)
            #expect(gatewayOnInterface.status == .badRequest)
            #expect(gatewayOnInterface.neutronError?.message.contains("Router already has a port on subnet") == true)
        }
    }

    @Test func networkInUseUntilPortsAreGoneThenDeleteCleansUp() async throws {
        let networking = SimulatedNetworking()
        try await withNetDBService(networking) { c in
            let net = try await c.network()
            _ = try await c.subnet(net, "10.9.0.0/24")
            let port = try await c.send(.post, "/v2.0/ports", token: c.demo, json: #"{"port": {"network_id": "\#(net)"}}"#)
                .decode(PortEnvelope<NeutronPort>.self).port
            let inUse = try await c.send(.delete, "/v2.0/networks/\(net)", token: c.demo)
            #expect(inUse.status == .conflict)
            #expect(inUse.neutronError?.type == "NetworkInUse")
            #expect(try await c.send(.delete, "/v2.0/ports/\(port.id)", token: c.demo).status == .noContent)
            #expect(try await c.send(.delete, "/v2.0/networks/\(net)", token: c.demo).status == .noContent)
            #expect(networking.portCount == 0)  // the DHCP port went with the network
            let fresh = try await c.network("rev")
            var headers = "revision_number=1"
            let ok = try await c.sendIfMatch(.put, "/v2.0/networks/\(fresh)", ifMatch: headers, json: #"{"network": {"name": "r2"}}"#)
            #expect(ok.status == .ok)
            headers = "revision_number=1"
            let stale = try await c.sendIfMatch(.put, "/v2.0/networks/\(fresh)", ifMatch: headers, json: #"{"network": {"name": "r3"}}"#)
            #expect(stale.status.code == 412)
            #expect(stale.neutronError?.type == "RevisionNumberConstraintFailed")
            #expect(try await c.send(.get, "/v2.0/subnets", token: c.demo).decode(SubnetList.self).subnets.isEmpty)
        }
    }

    @Test func quotaSetByAdminIsEnforcedAndUsageReported() async throws {
        try await withNetDBService(SimulatedNetworking()) { c in
            let net = try await c.network()
            let unlimited = try await c.send(.get, "/v2.0/quotas/\(c.demoProject)", token: c.demo)
            #expect(unlimited.json["quota"]?["port"] == -1)
            #expect(try await c.send(.put, "/v2.0/quotas/\(c.demoProject)", token: c.demo, json: #"{"quota": {"port": 1}}"#).status == .forbidden)
            let set = try await c.send(.put, "/v2.0/quotas/\(c.demoProject)", token: c.admin, json: #"{"quota": {"port": 2}}"#)
            #expect(set.json["quota"]?["port"] == 2)
            for _ in 0..<2 {
                #expect(try await c.send(.post, "/v2.0/ports", token: c.demo, json: #"{"port": {"network_id": "\#(net)"}}"#).status == .created)
            }
            let over = try await c.send(.post, "/v2.0/ports", token: c.demo, json: #"{"port": {"network_id": "\#(net)"}}"#)
            #expect(over.status == .conflict)
            #expect(over.neutronError?.type == "OverQuota")
            #expect(over.neutronError?.message == "Quota exceeded for resources: ['port'].")
            let details = try await c.send(.get, "/v2.0/quotas/\(c.demoProject)/details", token: c.demo)
            #expect(details.json["quota"]?["port"]?["used"] == 2)
            #expect(details.json["quota"]?["network"]?["used"] == 1)
            #expect(try await c.send(.get, "/v2.0/quotas/\(c.altProject)", token: c.demo).status == .forbidden)
        }
    }
}

@Suite("Simulated Neutron over loopback")
struct NetworkLoopbackTests {
    @Test func answersOverARealSocketWithRequestIDs() async throws {
        let identity = SimulatedIdentity()
        let token = try #require(identity.issueToken(userName: "demo", password: "demopass", projectName: "demo"))
        let context = SimulatedRegionContext(regionName: "RegionOne", availabilityZone: "az1", identity: identity)
        let app = Application(
            router: SimulatedNetworking().makeRouter(context: context),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let versions = try await client.execute(uri: "/", method: .get)
            #expect(versions.status == .ok)
            var headers: HTTPFields = [.contentType: "application/json"]
            headers[HTTPField.Name("X-Auth-Token")!] = token.id
            let created = try await client.execute(
                uri: "/v2.0/networks", method: .post, headers: headers,
                body: ByteBuffer(string: #"{"network": {"name": "live"}}"#))
            #expect(created.status == .created)
            #expect(created.headers[HTTPField.Name("x-openstack-request-id")!]?.hasPrefix("req-") == true)
            let missing = try await client.execute(uri: "/v2.0/networks/nope", method: .get, headers: headers)
            #expect(missing.status == .notFound)
            let body = try JSONDecoder().decode(NeutronErrorBody.self, from: Data(buffer: missing.body))
            #expect(body.neutronError.type == "NetworkNotFound")
        }
    }
}
