import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleCore
import TricircleGateway
import TricircleStore
import TricircleTestSupport

/// The rest of Trove's quota at the top: backups, cluster members (all at once), RAM, and the regions' own
/// Trove quotas and usage kept true by the pod sync and the reconcile job.
@Suite("Database quotas: backups, clusters, RAM, regions")
struct DatabaseQuotaCoverageTests {
    static func quota(_ db: DatabaseClient, _ resource: String) async throws -> JSONValue? {
        try await db.send("GET", "/mgmt/quotas/\(db.token.projectID)").json["quotas"]?.arrayValue?.first { $0["resource"]?.stringValue == resource }
    }

    static func backup(_ db: DatabaseClient, of instance: String, name: String) async throws -> HarnessReply {
        try await db.send("POST", "/backups", body: #"{"backup": {"name": "\#(name)", "instance": "\#(instance)"}}"#)
    }

    @Test("backups=1: a second backup is Trove's 413 at the top and never reaches a region; a delete frees it",
          arguments: TestDatabases.backends)
    func backupsAreCheckedAtTheTop(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { h in
            let db = try DatabaseClient(h)
            try await DatabaseQuotaTests.setQuota(h, project: db.token.projectID, ["backups": 1])
            let one = try await db.createdID(["availability_zone": "az1"])
            let two = try await db.createdID(["availability_zone": "az2"])
            try await db.waitFor(one, status: "ACTIVE")
            try await db.waitFor(two, status: "ACTIVE")
            let first = try await Self.backup(db, of: one, name: "b1")
            #expect(first.status < 300, "\(first.text)")
            let second = try await Self.backup(db, of: two, name: "b2")
            #expect(second.status == 413)
            #expect(second.json["overLimit"]?["message"] == "Quota exceeded for resources: ['backups'].")
            #expect(try await db.direct("RegionTwo", "/backups").json["backups"]?.arrayValue?.isEmpty == true)
            #expect(try await Self.quota(db, "backups") == ["resource": "backups", "in_use": 1, "reserved": 0, "limit": 1])

            let id = try #require(first.json["backup"]?["id"]?.stringValue)
            #expect(try await db.send("DELETE", "/backups/\(id)").status == 202)
            #expect(try await Self.backup(db, of: two, name: "b3").status < 300)
        }
    }

    @Test("instances=3: a cluster of 4 is refused whole (nothing built anywhere), one of 2 fits, growing it by 2 is refused, a delete frees its members",
          arguments: TestDatabases.backends)
    func clusterMembersAreReservedAtOnce(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { h in
            let clusters = ClusterTests()
            let db = try await clusters.prepare(h)
            try await DatabaseQuotaTests.setQuota(h, project: db.token.projectID, ["instances": 3, "volumes": 10])
            let tooMany = try await clusters.create(db, [
                ClusterTests.member(["region_name": "RegionOne"]), ClusterTests.member(["region_name": "RegionOne"]),
                ClusterTests.member(["region_name": "RegionTwo"]), ClusterTests.member(["region_name": "RegionTwo"]),
            ])
            #expect(tooMany.status == 413)
            #expect(tooMany.json["overLimit"]?["message"] == "Quota exceeded for resources: ['instances'].")
            for region in ["RegionOne", "RegionTwo"] {
                #expect(try await db.direct(region, "/clusters").json["clusters"]?.arrayValue?.isEmpty == true)
            }

            let made = try await clusters.create(db, [ClusterTests.member(["region_name": "RegionOne"]), ClusterTests.member(["region_name": "RegionTwo"], size: 3)])
            #expect(made.status == 200, "\(made.text)")
            let id = try #require(made.json["cluster"]?["id"]?.stringValue)
            #expect(try await Self.quota(db, "instances")?["in_use"] == 2)
            #expect(try await Self.quota(db, "volumes")?["in_use"] == 4)
            _ = try await clusters.waitIdle(db, id)

            let grow: JSONValue = ["grow": [ClusterTests.member(["region_name": "RegionOne"]), ClusterTests.member(["region_name": "RegionTwo"])]]
            let refused = try await db.send("POST", "/clusters/\(id)", body: String(decoding: grow.encoded(), as: UTF8.self))
            #expect(refused.status == 413)
            #expect(try await clusters.waitIdle(db, id)["cluster"]?["instances"]?.arrayValue?.count == 2)

            #expect(try await db.send("DELETE", "/clusters/\(id)").status == 202)
            #expect(try await Self.quota(db, "instances")?["in_use"] == 0)
        }
    }

    @Test("ram=4096 (Trove 25 counts each flavor's RAM): a second 2048 MB instance fits, a third is 413 ['ram'], a resize to 4096 MB too")
    func ramIsCounted() async throws {
        try await GatewayHarness.with { h in
            let db = try DatabaseClient(h)
            try await DatabaseQuotaTests.setQuota(h, project: db.token.projectID, ["ram": 4096])
            let one = try await db.createdID(["availability_zone": "az1", "flavorRef": "2"])
            _ = try await db.createdID(["availability_zone": "az2", "flavorRef": "2"])
            let third = try await db.create(["availability_zone": "az2", "flavorRef": "1"])
            #expect(third.status == 413)
            #expect(third.json["overLimit"]?["message"] == "Quota exceeded for resources: ['ram'].")
            #expect(try await Self.quota(db, "ram") == ["resource": "ram", "in_use": 4096, "reserved": 0, "limit": 4096])
            try await db.waitFor(one, status: "ACTIVE")
            let resize = try await db.send("POST", "/instances/\(one)/action", body: #"{"resize": {"flavorRef": "3"}}"#)
            #expect(resize.status == 413)
            #expect(try await db.send("GET", "/limits").json["limits"]?.arrayValue?.first?["max_ram"] == 4096)
        }
    }

    @Test("each region's Trove quota follows the global limit: a create sent straight to a region past it is refused there; instances and backups deleted in a region are freed by the reconcile",
          arguments: TestDatabases.backends)
    func regionsFollowAndReconcileFrees(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { h in
            let db = try DatabaseClient(h)
            let project = db.token.projectID
            try await DatabaseQuotaTests.setQuota(h, project: project, ["instances": 2, "backups": 1])
            let one = try await db.createdID(["availability_zone": "az1"])
            try await QuotaPodSync(runtime: h.runtime).run(projects: [project])
            let shares = try await db.direct("RegionTwo", "/mgmt/quotas/\(project)").json["quotas"]?.arrayValue ?? []
            #expect(shares.first { $0["resource"] == "instances" }?["limit"] == 1)
            // The admin API's per-region view shows the Database quota's parts too.
            let admin = try h.token(user: "admin")
            let view = try await h.send("GET", h.origin("admin") + "/v1.0/quotas/\(project)", token: admin.id).json
            let row = view["quota"]?["resources"]?.arrayValue?.first { $0["service"] == "database" && $0["resource"] == "instances" }
            #expect(row?["regions"]?["RegionOne"] == ["in_use": 1, "share": 2], "\(String(describing: row))")
            #expect(row?["regions"]?["RegionTwo"] == ["in_use": 0, "share": 1])
            #expect(try await db.direct("RegionOne", "/mgmt/quotas/\(project)").json["quotas"]?.arrayValue?
                .first { $0["resource"] == "instances" }?["limit"] == 2)

            // Straight to RegionTwo, around the gateway: one fits its share, the second is Trove's 413 there.
            let body = #"{"instance": {"name": "direct", "flavorRef": "1", "volume": {"size": 1}}}"#
            #expect(try await h.send("POST", db.troveURL("RegionTwo") + "/instances", token: db.token.id, body: body).status == 200)
            let refused = try await h.send("POST", db.troveURL("RegionTwo") + "/instances", token: db.token.id, body: body)
            #expect(refused.status == 413)
            #expect(refused.json["overLimit"]?["message"] == "Quota exceeded for resources: ['instances'].")

            // A backup and the instance deleted straight in RegionOne: the reconcile frees both at the top.
            try await db.waitFor(one, status: "ACTIVE")
            let backup = try await Self.backup(db, of: one, name: "b")
            let backupID = try #require(backup.json["backup"]?["id"]?.stringValue)
            #expect(try await Self.quota(db, "backups")?["in_use"] == 1)
            for _ in 0..<300 where try await db.direct("RegionOne", "/backups/\(backupID)").json["backup"]?["status"] != "COMPLETED" {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(try await h.send("DELETE", db.troveURL("RegionOne") + "/backups/\(backupID)", token: db.token.id).status == 202)
            #expect(try await h.send("DELETE", db.troveURL("RegionOne") + "/instances/\(one)", token: db.token.id).status == 202)
            let report = try await QuotaReconciler(runtime: h.runtime).run()
            #expect(report.freed == 2, "\(report)")
            #expect(try await Self.quota(db, "instances")?["in_use"] == 0)
            #expect(try await Self.quota(db, "backups")?["in_use"] == 0)
        }
    }
}
