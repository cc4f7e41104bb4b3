import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport

/// Quotas (one per project over all regions, enforced at the top) and availability zones at the top's Neutron.
@Suite("Network quotas and availability zones")
struct NetworkQuotaTests {
    @Test("defaults, admin-only updates, 409 OverQuota on the 11th router, usage in details, reset", arguments: TestDatabases.backends)
    func quotas(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let demo = try NeutronClient(harness)
            let admin = try NeutronClient(harness, user: "admin")
            let project = demo.token.projectID
            let expected: [String: Int] = [
                "network": 100, "subnet": 100, "port": 500, "router": 10, "floatingip": 50, "security_group": 10, "security_group_rule": 100,
                "rbac_policy": 10, "subnetpool": -1,
            ]
            let defaults = try await demo.send("GET", "/quotas/\(project)/default")
            #expect(defaults.status == 200)
            #expect(defaults.json["quota"]?.objectValue?.mapValues { $0.intValue ?? -99 } == expected)
            #expect(try await demo.send("GET", "/quotas/\(project)").json["quota"]?.objectValue?.mapValues { $0.intValue ?? -99 } == expected)
            #expect(try await demo.send("GET", "/quotas/tenant").json["tenant"]?["tenant_id"]?.stringValue == project)

            // Only admins write, or read another project's quota.
            let refused = try await demo.send("PUT", "/quotas/\(project)", ["quota": ["router": 20]])
            #expect(refused.status == 403)
            #expect(refused.json["NeutronError"]?["type"] != nil)
            #expect(try await demo.send("DELETE", "/quotas/\(project)").status == 403)
            #expect(try await demo.send("GET", "/quotas/\(admin.token.projectID)").status == 403)
            #expect(try await demo.send("GET", "/quotas").status == 403)
            // Every key Neutron lists can be set (issue 20: rbac_policy and subnetpool were refused).
            let allKeys = try await admin.send("PUT", "/quotas/\(project)", ["quota": ["rbac_policy": 12, "subnetpool": 3]])
            #expect(allKeys.status == 200, "\(allKeys.text)")
            #expect(allKeys.json["quota"]?["rbac_policy"] == 12)
            #expect(allKeys.json["quota"]?["subnetpool"] == 3)
            #expect(try await admin.send("PUT", "/quotas/\(project)", ["quota": ["bogus": 3]]).status == 400)

            // The 11th router with the default limit of 10.
            for index in 0..<10 {
                _ = try await demo.create("routers", "router", ["name": .string("r\(index)")])
            }
            let over = try await demo.send("POST", "/routers", ["router": ["name": "r10"]])
            #expect(over.status == 409)
            #expect(over.json["NeutronError"]?["type"] == "OverQuota")
            #expect(over.json["NeutronError"]?["message"] == "Quota exceeded for resources: ['router'].")
            #expect(try await demo.send("GET", "/routers").json["routers"]?.arrayValue?.count == 10)

            // Raised by the admin: the 11th fits; a lower network limit refuses a bulk create as a whole.
            let raised = try await admin.send("PUT", "/quotas/\(project)", ["quota": ["router": 11, "network": 2]])
            #expect(raised.status == 200, "\(raised.text)")
            #expect(raised.json["quota"]?["router"]?.intValue == 11)
            #expect(raised.json["quota"]?["subnet"]?.intValue == 100)
            _ = try await demo.create("routers", "router", ["name": "r10"])
            _ = try await demo.create("networks", "network", ["name": "n0"])
            let bulk = try await demo.send("POST", "/networks", ["networks": [["name": "n1"], ["name": "n2"]]])
            #expect(bulk.status == 409)
            #expect(bulk.json["NeutronError"]?["type"] == "OverQuota")
            #expect(try await demo.send("GET", "/networks?name=n1").json["networks"]?.arrayValue?.isEmpty == true)

            let details = try await demo.send("GET", "/quotas/\(project)/details")
            #expect(details.status == 200)
            #expect(details.json["quota"]?["router"] == ["limit": 11, "used": 11, "reserved": 0])
            #expect(details.json["quota"]?["network"]?["used"]?.intValue == 1)
            #expect(details.json["quota"]?["network"]?["limit"]?.intValue == 2)
            #expect(details.json["quota"]?["floatingip"] == ["limit": 50, "used": 0, "reserved": 0])

            // Bad values are Neutron's 400s.
            let negative = try await admin.send("PUT", "/quotas/\(project)", ["quota": ["router": -2]])
            #expect(negative.status == 400)
            let unknown = try await admin.send("PUT", "/quotas/\(project)", ["quota": ["widgets": 3]])
            #expect(unknown.status == 400)
            #expect(unknown.json["NeutronError"]?["type"] == "HTTPBadRequest")

            let listed = try await admin.send("GET", "/quotas")
            let entry = listed.json["quotas"]?.arrayValue?.first { $0["project_id"]?.stringValue == project }
            #expect(entry?["router"]?.intValue == 11)

            // -1 is unlimited; a reset goes back to the defaults.
            #expect(try await admin.send("PUT", "/quotas/\(project)", ["quota": ["router": -1]]).status == 200)
            _ = try await demo.create("routers", "router", ["name": "r11"])
            #expect(try await admin.send("DELETE", "/quotas/\(project)").status == 204)
            #expect(try await demo.send("GET", "/quotas/\(project)").json["quota"]?["router"]?.intValue == 10)
            #expect(try await demo.send("POST", "/routers", ["router": ["name": "r12"]]).status == 409)
        }
    }

    @Test("20 concurrent security group creates with a limit of 5: never more than 5, the rest OverQuota", arguments: TestDatabases.backends)
    func concurrentCreatesStayWithinLimit(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let demo = try NeutronClient(harness)
            let admin = try NeutronClient(harness, user: "admin")
            let project = demo.token.projectID
            // The project's default group is made on first use and counts too: make it now.
            #expect(try await demo.send("GET", "/security-groups").status == 200)
            #expect(try await admin.send("PUT", "/quotas/\(project)", ["quota": ["security_group": 6]]).status == 200)
            let before = try await demo.send("GET", "/quotas/\(project)/details").json["quota"]?["security_group"]?["used"]?.intValue ?? 0
            #expect(before == 1)
            let replies = try await withThrowingTaskGroup(of: HarnessReply.self) { group in
                for index in 0..<20 {
                    group.addTask { try await demo.send("POST", "/security-groups", ["security_group": ["name": .string("g\(index)")]]) }
                }
                var out: [HarnessReply] = []
                for try await reply in group { out.append(reply) }
                return out
            }
            let made = replies.filter { $0.status == 201 }.count
            #expect(made >= 1)
            #expect(before + made <= 6)
            #expect(replies.filter { $0.status != 201 }.allSatisfy { $0.status == 409 && $0.json["NeutronError"]?["type"] == "OverQuota" })
            // Whatever the race refused that would have fitted can be made now; never past the limit.
            for _ in 0..<6 { _ = try await demo.send("POST", "/security-groups", ["security_group": ["name": "late"]]) }
            let used = try await demo.send("GET", "/quotas/\(project)/details").json["quota"]?["security_group"]?["used"]?.intValue
            #expect(used == 6)
        }
    }

    @Test("availability zones: one per pod AZ for networks and routers; the extensions are listed")
    func availabilityZones() async throws {
        try await GatewayHarness.with { harness in
            let demo = try NeutronClient(harness)
            let reply = try await demo.send("GET", "/availability_zones")
            #expect(reply.status == 200)
            let zones = reply.json["availability_zones"]?.arrayValue ?? []
            #expect(zones.count == 4)
            #expect(Set(zones.compactMap { $0["name"]?.stringValue }) == ["az1", "az2"])
            #expect(zones.allSatisfy { $0["state"] == "available" })
            for zone in ["az1", "az2"] {
                #expect(Set(zones.filter { $0["name"]?.stringValue == zone }.compactMap { $0["resource"]?.stringValue }) == ["network", "router"])
            }
            let routers = try await demo.send("GET", "/availability_zones?resource=router")
            #expect(routers.json["availability_zones"]?.arrayValue?.count == 2)
            #expect(try await demo.send("GET", "/availability_zones?bogus=1").status == 400)

            let aliases = Set(try await demo.send("GET", "/extensions").json["extensions"]?.arrayValue?.compactMap { $0["alias"]?.stringValue } ?? [])
            #expect(aliases.isSuperset(of: ["quotas", "quota_details", "availability_zone"]))
        }
    }
}
