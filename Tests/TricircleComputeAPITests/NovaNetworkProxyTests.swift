import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleCore

/// Nova's networking proxies below 2.36 answer from the top's Neutron in Nova's shapes; from 2.36 they
/// are Nova's own 404 with a body.
@Suite("Nova networking proxies")
struct NovaNetworkProxyTests {
    private func neutron(_ harness: GatewayHarness, _ token: String, _ method: String, _ path: String, _ body: String? = nil) async throws -> HarnessReply {
        try await harness.send(method, harness.url("network") + "/v2.0" + path, token: token, body: body)
    }

    @Test("os-security-groups and os-security-group-rules proxy the top's groups below 2.36, Nova's 404 from 2.36")
    func securityGroups() async throws {
        try await GatewayHarness.with { harness in
            let client = try ComputeClient(harness)
            let token = client.token.id
            let made = try await neutron(harness, token, "POST", "/security-groups", #"{"security_group": {"name": "web", "description": "w"}}"#)
            let groupID = try #require(made.json["security_group"]?["id"]?.stringValue)
            let rule = try await neutron(harness, token, "POST", "/security-group-rules", #"""
                {"security_group_rule": {"security_group_id": "\#(groupID)", "direction": "ingress", "protocol": "tcp",
                 "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "10.0.0.0/8"}}
                """#)
            #expect(rule.status == 201)

            let listed = try await client.send("GET", "/os-security-groups")
            #expect(listed.status == 200)
            let web = try #require(listed.json["security_groups"]?.arrayValue?.first { $0["name"] == "web" })
            #expect(web["tenant_id"]?.stringValue == client.token.projectID)
            // Ingress rules only (Neutron adds two egress rules to every group), in Nova's words.
            #expect(web["rules"]?.arrayValue?.count == 1)
            let shownRule = try #require(web["rules"]?.arrayValue?.first)
            #expect(shownRule["ip_protocol"] == "tcp")
            #expect(shownRule["from_port"]?.intValue == 22)
            #expect(shownRule["ip_range"]?["cidr"] == "10.0.0.0/8")
            #expect(shownRule["parent_group_id"]?.stringValue == groupID)
            #expect(try await client.send("GET", "/os-security-groups/\(groupID)", version: "2.35").json["security_group"]?["name"] == "web")
            let bad = try await client.send("GET", "/os-security-groups/not-a-uuid")
            #expect(bad.status == 400)

            let late = try await client.send("GET", "/os-security-groups", version: "2.36")
            #expect(late.status == 404)
            #expect(late.json["itemNotFound"]?["message"] == "The resource could not be found.")

            // Writes go to the top's Neutron.
            let created = try await client.send("POST", "/os-security-groups", ["security_group": ["name": "nova-made", "description": "d"]])
            #expect(created.status == 200)
            let novaID = try #require(created.json["security_group"]?["id"]?.stringValue)
            #expect(try await neutron(harness, token, "GET", "/security-groups/\(novaID)").status == 200)
            let icmp = try await client.send("POST", "/os-security-group-rules", ["security_group_rule": [
                "parent_group_id": .string(novaID), "ip_protocol": "icmp", "from_port": -1, "to_port": -1, "cidr": "0.0.0.0/0"]])
            #expect(icmp.status == 200)
            #expect(icmp.json["security_group_rule"]?["from_port"]?.intValue == -1)
            #expect(icmp.json["security_group_rule"]?["ip_protocol"] == "icmp")
            let ruleID = try #require(icmp.json["security_group_rule"]?["id"]?.stringValue)
            #expect(try await client.send("DELETE", "/os-security-group-rules/\(ruleID)").status == 202)
            #expect(try await client.send("DELETE", "/os-security-groups/\(novaID)").status == 202)
            #expect(try await neutron(harness, token, "GET", "/security-groups/\(novaID)").status == 404)
            #expect(try await client.send("GET", "/os-security-groups/\(novaID)").status == 404)
        }
    }

    @Test("os-networks, os-tenant-networks and os-floating-ips proxy the top's Neutron below 2.36")
    func networksAndFloatingIPs() async throws {
        try await GatewayHarness.with { harness in
            let client = try ComputeClient(harness)
            let admin = try ComputeClient(harness, user: "admin")
            let blue = try await neutron(harness, client.token.id, "POST", "/networks", #"{"network": {"name": "blue"}}"#)
            let blueID = try #require(blue.json["network"]?["id"]?.stringValue)

            let networks = try await client.send("GET", "/os-networks")
            #expect(networks.status == 200)
            let shown = try #require(networks.json["networks"]?.arrayValue?.first { $0["id"]?.stringValue == blueID })
            #expect(shown["label"] == "blue")
            #expect(shown["cidr"] == .null)
            #expect(shown["project_id"] == nil)
            let tenant = try await client.send("GET", "/os-tenant-networks/\(blueID)")
            #expect(tenant.json["network"] == ["id": .string(blueID), "cidr": "None", "label": "blue"])
            let missing = try await client.send("GET", "/os-networks/3f0e5d4c-8e7a-4f6b-9a51-0c2d1e3f4a5b")
            #expect(missing.status == 404)
            #expect(missing.json["itemNotFound"]?["message"] == "Network not found")
            #expect(try await client.send("POST", "/os-networks", ["network": ["label": "x"]]).status == 410)
            #expect(try await client.send("GET", "/os-tenant-networks", version: "2.36").status == 404)

            let external = try await neutron(harness, admin.token.id, "POST", "/networks",
                                             #"{"network": {"name": "public", "router:external": true, "availability_zone_hints": ["az1"]}}"#)
            let externalID = try #require(external.json["network"]?["id"]?.stringValue)
            let subnet = try await neutron(harness, admin.token.id, "POST", "/subnets",
                #"{"subnet": {"network_id": "\#(externalID)", "cidr": "203.0.113.0/24", "ip_version": 4}}"#)
            #expect(subnet.status == 201)
            let pools = try await client.send("GET", "/os-floating-ip-pools")
            #expect(pools.json["floating_ip_pools"] == [["name": "public"]])
            let allocated = try await client.send("POST", "/os-floating-ips", ["pool": "public"])
            #expect(allocated.status == 200)
            let fip = try #require(allocated.json["floating_ip"])
            #expect(fip["pool"] == "public")
            #expect(fip["ip"]?.stringValue?.hasPrefix("203.0.113.") == true)
            #expect(fip["instance_id"] == .null)
            let id = try #require(fip["id"]?.stringValue)
            #expect(try await client.send("GET", "/os-floating-ips").json["floating_ips"]?.arrayValue?.count == 1)
            #expect(try await client.send("POST", "/os-floating-ips", ["pool": "nowhere"]).status == 404)
            #expect(try await client.send("DELETE", "/os-floating-ips/\(id)").status == 202)
            let gone = try await client.send("GET", "/os-floating-ips/\(id)")
            #expect(gone.status == 404)
            #expect(gone.json["itemNotFound"]?["message"]?.stringValue == "Floating IP not found for ID \(id)")
            #expect(try await client.send("GET", "/os-floating-ips", version: "2.36").json["itemNotFound"] != nil)
        }
    }
}
