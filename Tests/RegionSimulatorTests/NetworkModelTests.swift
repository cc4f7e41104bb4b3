import Foundation
import OpenStackModels
import Testing

@Suite("Neutron and Trove models")
struct NetworkModelTests {
    /// Shaped like the API reference's "Show network details" answer.
    static let realNetwork = #"""
        {"network": {"admin_state_up": true, "availability_zone_hints": [], "availability_zones": ["nova"],
          "created_at": "2016-03-08T20:19:41", "dns_domain": "my-domain.org.", "id": "d32019d3-bc6e-4319-9c1d-6722fc136a22",
          "ipv4_address_scope": null, "ipv6_address_scope": null, "l2_adjacency": false, "mtu": 1500,
          "name": "private-network", "port_security_enabled": true, "project_id": "4fd44f30292945e481c7b8a0c8908869",
          "provider:network_type": "vlan", "provider:physical_network": "public", "provider:segmentation_id": 3,
          "qos_policy_id": null, "revision_number": 1, "router:external": false, "shared": true, "status": "ACTIVE",
          "subnets": ["54d6f61d-db07-451c-9ab3-b9609b6b6f0b"], "tags": ["tag1,tag2"],
          "tenant_id": "4fd44f30292945e481c7b8a0c8908869", "updated_at": "2016-03-08T20:19:41",
          "vlan_transparent": false, "description": "", "is_default": false}}
        """#

    static let realPort = #"""
        {"port": {"admin_state_up": true, "allowed_address_pairs": [], "binding:host_id": "devstack",
          "binding:profile": {}, "binding:vif_details": {"ovs_hybrid_plug": true, "port_filter": true},
          "binding:vif_type": "ovs", "binding:vnic_type": "normal", "created_at": "2016-03-08T20:19:41",
          "data_plane_status": null, "description": "", "device_id": "5e3898d7-11be-483e-9732-b2f5eccd2b2e",
          "device_owner": "network:router_interface", "dns_assignment": [], "extra_dhcp_opts": [],
          "fixed_ips": [{"ip_address": "10.0.0.1", "subnet_id": "a0304c3a-4f08-4c43-88af-d796509c97d2"}],
          "id": "46d4bfb9-b26e-41f3-bd2e-e6dcc1ccedb2", "mac_address": "fa:16:3e:23:fd:d7", "name": "",
          "network_id": "a87cc70a-3e15-4acf-8205-9b711a3531b7", "port_security_enabled": false,
          "project_id": "7e02058126cc4950b75f9970368ba177", "revision_number": 1, "security_groups": [],
          "status": "ACTIVE", "tags": ["tag1,tag2"], "tenant_id": "7e02058126cc4950b75f9970368ba177",
          "updated_at": "2016-03-08T20:19:41", "qos_policy_id": null}}
        """#

    @Test func decodesWhatNeutronSendsAndEncodesTheKeysClientsExpect() throws {
        let network = try JSONDecoder().decode(NetworkEnvelope<Network>.self, from: Data(Self.realNetwork.utf8)).network
        #expect(network.providerSegmentationID == 3 && network.shared && network.subnets.count == 1)
        let port = try JSONDecoder().decode(PortEnvelope<NeutronPort>.self, from: Data(Self.realPort.utf8)).port
        #expect(port.bindingVifDetails["port_filter"] == true)
        #expect(port.fixedIPs.first?.ipAddress == "10.0.0.1")

        let encoded = try JSONValue(encoding: network).objectValue ?? [:]
        for key in ["provider:network_type", "provider:physical_network", "provider:segmentation_id", "router:external",
                    "availability_zone_hints", "revision_number", "tags", "project_id", "tenant_id", "qos_policy_id"] {
            #expect(encoded[key] != nil, "missing \(key)")
        }
        #expect(encoded["qos_policy_id"] == .null)
        let portKeys = try JSONValue(encoding: port).objectValue ?? [:]
        for key in ["binding:host_id", "binding:profile", "binding:vif_type", "allowed_address_pairs", "security_groups"] {
            #expect(portKeys[key] != nil, "missing \(key)")
        }
    }

    @Test func requestBodiesTellNullFromAbsent() throws {
        var create = SubnetCreate(networkID: "n", cidr: "10.0.0.0/24")
        #expect(try JSONValue(encoding: create)["gateway_ip"] == nil)
        create.gatewayIP = .null
        #expect(try JSONValue(encoding: create)["gateway_ip"] == .null)
        let decoded = try JSONDecoder().decode(SubnetCreate.self, from: Data(#"{"network_id": "n", "gateway_ip": null}"#.utf8))
        #expect(decoded.gatewayIP == .null)
        let absent = try JSONDecoder().decode(FloatingIPUpdate.self, from: Data(#"{"description": "x"}"#.utf8))
        #expect(absent.portID == .absent)
        let error = try #require(NeutronError(status: 404, body: Data(#"{"NeutronError": {"type": "PortNotFound", "message": "m", "detail": ""}}"#.utf8)))
        #expect(error.type == "PortNotFound")
    }

    @Test func troveActionsAndFlavorsDecodeAsTroveSendsThem() throws {
        let resize = try JSONDecoder().decode(DatabaseInstanceAction.self, from: Data(#"{"resize": {"flavorRef": 7}}"#.utf8))
        #expect(resize == .resizeFlavor(flavorRef: "7"))
        let volume = try JSONDecoder().decode(DatabaseInstanceAction.self, from: Data(#"{"resize": {"volume": {"size": 4}}}"#.utf8))
        #expect(volume == .resizeVolume(size: 4))
        let old = try JSONDecoder().decode(DatabaseFlavor.self, from: Data(#"{"id": 2, "str_id": "2", "name": "m1.small", "ram": 2048}"#.utf8))
        #expect(old.id == "2")
    }
}
