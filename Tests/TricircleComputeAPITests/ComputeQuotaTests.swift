import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleCore
import TricircleGateway
import TricircleStore
import TricircleTestSupport

/// One Compute quota per project over all regions, enforced at the top, exactly, by several gateways.
@Suite("Compute quotas over all regions")
struct ComputeQuotaTests {
    /// Servers the project has in every region, asked of the regions themselves.
    static func serversInRegions(_ client: ComputeClient) async throws -> Int {
        var total = 0
        for (region, _) in GatewayHarness.bottomRegions {
            total += try await client.direct(region, "/servers").json["servers"]?.arrayValue?.count ?? 0
        }
        return total
    }

    @Test("instances=5: 20 concurrent boots over az1 and az2 through two gateways make exactly 5 servers; the other 15 get Nova's 403",
          arguments: TestDatabases.backends)
    func concurrentBootsThroughTwoGateways(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { first in
            let admin = try ComputeClient(first, user: "admin")
            let demo = try ComputeClient(first)
            let set = try await admin.send("PUT", "/os-quota-sets/\(demo.token.projectID)", ["quota_set": ["instances": 5]])
            #expect(set.status == 200)
            let images = [try await demo.image(for: "az1"), try await demo.image(for: "az2")]
            try await first.withSecondGateway { second in
                let clients = [demo, try ComputeClient(second)]
                let replies = try await withThrowingTaskGroup(of: HarnessReply.self) { group in
                    for i in 0..<20 {
                        let client = clients[i % 2]
                        let zone = (i / 2) % 2
                        group.addTask {
                            try await client.send("POST", "/servers", ["server": [
                                "name": .string("q\(i)"), "flavorRef": "1", "imageRef": .string(images[zone]),
                                "availability_zone": .string(zone == 0 ? "az1" : "az2"),
                            ]])
                        }
                    }
                    var out: [HarnessReply] = []
                    for try await reply in group { out.append(reply) }
                    return out
                }
                let accepted = replies.filter { $0.status == 202 }
                let refused = replies.filter { $0.status == 403 }
                #expect(accepted.count == 5, "\(replies.map { "\($0.status) \($0.text.prefix(300))" })")
                #expect(refused.count == 15)
                for reply in refused {
                    let message = reply.json["forbidden"]?["message"]?.stringValue ?? ""
                    #expect(message.hasPrefix("Quota exceeded for instances: Requested 1, but already used "), "\(reply.text)")
                    #expect(message.hasSuffix(" of 5 instances"), "\(reply.text)")
                }
            }
            #expect(try await Self.serversInRegions(demo) == 5)
            let detail = try await demo.send("GET", "/os-quota-sets/\(demo.token.projectID)/detail")
            #expect(detail.json["quota_set"]?["instances"] == ["limit": 5, "in_use": 5, "reserved": 0])
            // A boot with max_count is cut to what fits (none here): Nova's 403 for min_count.
            let more = try await demo.send("POST", "/servers", ["server": [
                "name": "more", "flavorRef": "1", "imageRef": .string(images[0]), "min_count": 1, "max_count": 3,
            ]])
            #expect(more.status == 403)
            #expect(more.json["forbidden"]?["message"]?.stringValue == "Quota exceeded for instances: Requested 3, but already used 5 of 5 instances")
        }
    }

    @Test("max_count is lowered to what the quota leaves; cores are counted from the top's flavor")
    func multipleCreateIsCutToTheQuota() async throws {
        try await GatewayHarness.with { harness in
            let admin = try ComputeClient(harness, user: "admin")
            let demo = try ComputeClient(harness)
            let project = demo.token.projectID
            #expect(try await admin.send("PUT", "/os-quota-sets/\(project)", ["quota_set": ["instances": 3]]).status == 200)
            let image = try await demo.image(for: "az1")
            _ = try await demo.boot("one", az: "az1")
            let many = try await demo.send("POST", "/servers", ["server": [
                "name": "many", "flavorRef": "1", "imageRef": .string(image), "min_count": 1, "max_count": 5,
            ]])
            #expect(many.status == 202, "\(many.text)")
            #expect(try await Self.serversInRegions(demo) == 3)
            let detail = try await demo.send("GET", "/os-quota-sets/\(project)/detail").json["quota_set"]
            #expect(detail?["instances"]?["in_use"] == 3)
            // metadata_items is the top's limit too.
            #expect(try await admin.send("PUT", "/os-quota-sets/\(project)", ["quota_set": ["metadata_items": 1]]).status == 200)
            let metadata = try await demo.send("POST", "/servers", ["server": [
                "name": "meta", "flavorRef": "1", "imageRef": .string(image), "metadata": ["a": "1", "b": "2"],
            ]])
            #expect(metadata.status == 403)
            #expect(metadata.json["forbidden"]?["message"] == "Maximum number of metadata items exceeds 1")
            let flavor = try await demo.send("GET", "/flavors/1").json["flavor"]
            #expect(detail?["cores"]?["in_use"]?.intValue == 3 * (flavor?["vcpus"]?.intValue ?? -1))
            #expect(detail?["ram"]?["in_use"]?.intValue == 3 * (flavor?["ram"]?.intValue ?? -1))
            let limits = try await demo.send("GET", "/limits").json["limits"]?["absolute"]
            #expect(limits?["totalInstancesUsed"] == 3)
            #expect(limits?["maxTotalInstances"] == 3)
        }
    }

    @Test("a gateway killed with reservations held leaves no quota stuck once they expired and the reconcile ran",
          arguments: TestDatabases.backends)
    func reservationsOfADeadGatewayExpire(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { first in
            let admin = try ComputeClient(first, user: "admin")
            let demo = try ComputeClient(first)
            let project = demo.token.projectID
            #expect(try await admin.send("PUT", "/os-quota-sets/\(project)", ["quota_set": ["instances": 2]]).status == 200)
            // The second gateway takes two boots' reservations, then its process is gone before any pod answered.
            let ttl = try await first.withSecondGateway { second in
                let quota = QuotaService(runtime: second.runtime)
                for _ in 0..<2 {
                    let decision = try await quota.reserve(.compute, project: project, perUnit: ["instances": 1])
                    guard case .reserved = decision else { throw HarnessError("no reservation: \(decision)") }
                }
                return quota.reservationTTL
            }
            let ledger = QuotaLedger(store: first.runtime.store)
            #expect(try await ledger.reservationRows(projectID: project) == 2)
            // Until they expire they count, as a create under way would.
            let held = try await demo.send("POST", "/servers", ["server": [
                "name": "held", "flavorRef": "1", "imageRef": .string(try await demo.image(for: "az1")),
            ]])
            #expect(held.status == 403)
            #expect(try await demo.send("GET", "/os-quota-sets/\(project)/detail").json["quota_set"]?["instances"]?["reserved"] == 2)

            let report = try await QuotaReconciler(runtime: first.runtime).run(now: Date().addingTimeInterval(ttl + 1))
            #expect(report.expiredReservations == 2)
            #expect(try await ledger.reservationRows(projectID: project) == 0)
            #expect(try await demo.send("GET", "/os-quota-sets/\(project)/detail").json["quota_set"]?["instances"]
                == ["limit": 2, "in_use": 0, "reserved": 0])
            _ = try await demo.boot("a", az: "az1")
            _ = try await demo.boot("b", az: "az2")
            #expect(try await Self.serversInRegions(demo) == 2)
        }
    }

    @Test("a server deleted straight in its region frees its quota after the reconcile; drift is reported")
    func directDeleteIsReconciled() async throws {
        try await GatewayHarness.with { harness in
            let admin = try ComputeClient(harness, user: "admin")
            let demo = try ComputeClient(harness)
            let project = demo.token.projectID
            #expect(try await admin.send("PUT", "/os-quota-sets/\(project)", ["quota_set": ["instances": 1]]).status == 200)
            let id = try await demo.boot("only", az: "az2")
            let image = try await demo.image(for: "az1")
            let refused = try await demo.send("POST", "/servers", ["server": [
                "name": "second", "flavorRef": "1", "imageRef": .string(image),
            ]])
            #expect(refused.status == 403)
            guard let endpoint = harness.cloud.endpoint(region: "RegionTwo", service: .compute) else { throw HarnessError("no compute") }
            let deleted = try await harness.send("DELETE", endpoint + "/servers/\(id)", token: demo.token.id)
            #expect(deleted.status == 204)
            // Gone from the region once its delete has finished (a deleting server still holds its quota).
            for _ in 0..<500 where try await demo.direct("RegionTwo", "/servers/\(id)").status != 404 {
                try await Task.sleep(for: .milliseconds(10))
            }
            let report = try await QuotaReconciler(runtime: harness.runtime).run()
            #expect(report.freed == 1)
            #expect(report.drifted)
            _ = try await demo.boot("second", az: "az1")
        }
    }

    @Test("a resize reserves its growth in cores: Nova's 403 when it does not fit; the new flavor is counted once accepted")
    func resizeIsChecked() async throws {
        try await GatewayHarness.with { harness in
            let admin = try ComputeClient(harness, user: "admin")
            let demo = try ComputeClient(harness)
            let project = demo.token.projectID
            #expect(try await admin.send("PUT", "/os-quota-sets/\(project)", ["quota_set": ["cores": 3]]).status == 200)
            let id = try await demo.boot("r", az: "az1")
            try await demo.waitFor(id, status: "ACTIVE")
            let large = try await demo.send("POST", "/servers/\(id)/action", ["resize": ["flavorRef": "4"]])
            #expect(large.status == 403)
            #expect(large.json["forbidden"]?["message"] == "Quota exceeded for cores: Requested 3, but already used 1 of 3 cores")
            let medium = try await demo.send("POST", "/servers/\(id)/action", ["resize": ["flavorRef": "3"]])
            #expect(medium.status == 202, "\(medium.text)")
            let detail = try await demo.send("GET", "/os-quota-sets/\(project)/detail").json["quota_set"]
            #expect(detail?["cores"] == ["limit": 3, "in_use": 2, "reserved": 0])
            #expect(detail?["ram"]?["in_use"] == 4096)
        }
    }

    @Test("each region's own quota follows the global limit minus the usage elsewhere: a boot sent straight to a region past it is refused there")
    func regionsQuotasFollowTheGlobalLimit() async throws {
        try await GatewayHarness.with { harness in
            let admin = try ComputeClient(harness, user: "admin")
            let demo = try ComputeClient(harness)
            let project = demo.token.projectID
            #expect(try await admin.send("PUT", "/os-quota-sets/\(project)", ["quota_set": ["instances": 3]]).status == 200)
            _ = try await demo.boot("top", az: "az1")
            try await QuotaPodSync(runtime: harness.runtime).run(projects: [project])
            #expect(try await demo.direct("RegionOne", "/os-quota-sets/\(project)").json["quota_set"]?["instances"] == 3)
            #expect(try await demo.direct("RegionTwo", "/os-quota-sets/\(project)").json["quota_set"]?["instances"] == 2)

            // Straight to RegionTwo, around the gateway: its own quota now holds the global limit.
            guard let nova = harness.cloud.endpoint(region: "RegionTwo", service: .compute),
                  let image = harness.cloud.store(region: "RegionTwo")?.seededImageID
            else { throw HarnessError("no RegionTwo") }
            var statuses: [Int] = []
            for index in 0..<3 {
                let body = JSONValue.object(["server": ["name": .string("direct\(index)"), "flavorRef": "1", "imageRef": .string(image)]])
                statuses.append(try await harness.send("POST", nova + "/servers", token: demo.token.id,
                                                       body: String(decoding: body.encoded(), as: UTF8.self)).status)
            }
            #expect(statuses == [202, 202, 403])

            // An admin lowers the limit: one sync later the regions follow.
            #expect(try await admin.send("PUT", "/os-quota-sets/\(project)", ["quota_set": ["instances": 1]]).status == 200)
            try await QuotaPodSync(runtime: harness.runtime).run(projects: [project])
            #expect(try await demo.direct("RegionTwo", "/os-quota-sets/\(project)").json["quota_set"]?["instances"] == 0)
        }
    }

    @Test("a project Keystone no longer knows: Nova refuses its quota (400), and the sync leaves it instead of retrying forever")
    func syncOfADeletedProjectIsNotRetried() async throws {
        try await GatewayHarness.with { harness in
            let admin = try ComputeClient(harness, user: "admin")
            let gone = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            // A limit set at the top while the project existed (Tempest's dynamic projects, deleted after each class).
            #expect(try await admin.send("PUT", "/os-quota-sets/\(gone)", ["quota_set": ["instances": 3]]).status == 200)
            guard let nova = harness.cloud.endpoint(region: "RegionOne", service: .compute) else { throw HarnessError("no RegionOne") }
            let direct = try await harness.send("PUT", nova + "/os-quota-sets/\(gone)", token: admin.token.id,
                                                body: #"{"quota_set": {"instances": 3}}"#)
            #expect(direct.status == 400, "\(direct.text)")
            let failed = try await QuotaPodSync(runtime: harness.runtime).run(projects: [gone])
            #expect(failed.isEmpty, "regions not set: \(failed)")
        }
    }

    @Test("the admin API shows a project's quotas with each region's part: in use there and its own quota's share")
    func perRegionView() async throws {
        try await GatewayHarness.with { harness in
            let admin = try ComputeClient(harness, user: "admin")
            let demo = try ComputeClient(harness)
            let project = demo.token.projectID
            #expect(try await admin.send("PUT", "/os-quota-sets/\(project)", ["quota_set": ["instances": 4]]).status == 200)
            _ = try await demo.boot("one", az: "az1")
            let reply = try await harness.send("GET", harness.origin("admin") + "/v1.0/quotas/\(project)", token: admin.token.id)
            #expect(reply.status == 200, "\(reply.text)")
            let rows = reply.json["quota"]?["resources"]?.arrayValue ?? []
            let instances = rows.first { $0["service"] == "compute" && $0["resource"] == "instances" }
            #expect(instances?["limit"] == 4)
            #expect(instances?["in_use"] == 1)
            #expect(instances?["regions"]?["RegionOne"] == ["in_use": 1, "share": 4])
            #expect(instances?["regions"]?["RegionTwo"] == ["in_use": 0, "share": 3])
            #expect(rows.contains { $0["service"] == "network" && $0["resource"] == "port" })
            #expect(try await harness.send("GET", harness.origin("admin") + "/v1.0/quotas/\(project)", token: demo.token.id).status == 403)
        }
    }
}
