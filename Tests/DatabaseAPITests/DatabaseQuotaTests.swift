import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport

/// One Database quota per project over all regions: instance creates and volume resizes are checked at
/// the top (Trove's 413 `overLimit`), and Trove's own quota surfaces answer from the top.
@Suite("Database quotas over all regions")
struct DatabaseQuotaTests {
    /// The project's instances in every region, asked of the regions' own Trove.
    static func instancesInRegions(_ db: DatabaseClient) async throws -> Int {
        var n = 0
        for region in ["RegionOne", "RegionTwo"] {
            n += try await db.direct(region, "/instances").json["instances"]?.arrayValue?.count ?? 0
        }
        return n
    }

    static func setQuota(_ h: GatewayHarness, project: String, _ quotas: JSONValue) async throws {
        let admin = try DatabaseClient(h, user: "admin")
        let body = String(decoding: try JSONEncoder().encode(JSONValue.object(["quotas": quotas])), as: UTF8.self)
        let reply = try await admin.send("PUT", "/mgmt/quotas/\(project)", body: body)
        guard reply.status == 200 else { throw HarnessError("quota update: \(reply.status) \(reply.text)") }
    }

    @Test("instances=3: 10 concurrent creates over az1 and az2 through two gateways make exactly 3; the rest get Trove's 413 overLimit",
          arguments: TestDatabases.backends)
    func concurrentCreatesThroughTwoGateways(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { first in
            let demo = try DatabaseClient(first)
            try await Self.setQuota(first, project: demo.token.projectID, ["instances": 3])
            try await first.withSecondGateway { second in
                let clients = [demo, try DatabaseClient(second)]
                let replies = try await withThrowingTaskGroup(of: HarnessReply.self) { group in
                    for i in 0..<10 {
                        let client = clients[i % 2]
                        let zone = (i / 2) % 2 == 0 ? "az1" : "az2"
                        group.addTask { try await client.create(["name": .string("db\(i)"), "availability_zone": .string(zone)]) }
                    }
                    var out: [HarnessReply] = []
                    for try await reply in group { out.append(reply) }
                    return out
                }
                #expect(replies.filter { $0.status == 200 }.count == 3, "\(replies.map { "\($0.status) \($0.text.prefix(200))" })")
                let refused = replies.filter { $0.status == 413 }
                #expect(refused.count == 7)
                for reply in refused {
                    #expect(reply.json["overLimit"]?["message"] == "Quota exceeded for resources: ['instances'].")
                    #expect(reply.json["overLimit"]?["code"] == 413)
                }
            }
            #expect(try await Self.instancesInRegions(demo) == 3)
        }
    }

    @Test("a delete frees the instance at once; volumes count each instance's GiB and a volume resize's growth",
          arguments: TestDatabases.backends)
    func volumesAndResizeAndDelete(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { h in
            let db = try DatabaseClient(h)
            try await Self.setQuota(h, project: db.token.projectID, ["instances": 2, "volumes": 5])
            let one = try await db.createdID(["availability_zone": "az1", "volume": ["size": 2]])
            let two = try await db.createdID(["availability_zone": "az2", "volume": ["size": 2]])
            let third = try await db.create(["availability_zone": "az2", "volume": ["size": 2]])
            #expect(third.status == 413)
            // Trove names every resource over, sorted.
            #expect(third.json["overLimit"]?["message"] == "Quota exceeded for resources: ['instances', 'volumes'].")

            // Growing one volume by 1 GiB fits (5 of 5); by 2 more it does not.
            try await db.waitFor(one, status: "ACTIVE")
            let grow = try await db.send("POST", "/instances/\(one)/action", body: #"{"resize": {"volume": {"size": 3}}}"#)
            #expect(grow.status == 202, "\(grow.text)")
            try await db.waitFor(one, status: "ACTIVE")
            let tooMuch = try await db.send("POST", "/instances/\(one)/action", body: #"{"resize": {"volume": {"size": 5}}}"#)
            #expect(tooMuch.status == 413)
            #expect(tooMuch.json["overLimit"]?["message"] == "Quota exceeded for resources: ['volumes'].")
            #expect(try await db.direct("RegionOne", "/instances/\(one)").json["instance"]?["volume"]?["size"] == 3)

            let usage = try await db.send("GET", "/mgmt/quotas/\(db.token.projectID)")
            #expect(usage.status == 200)
            let rows = usage.json["quotas"]?.arrayValue ?? []
            #expect(rows.first { $0["resource"] == "instances" } == ["resource": "instances", "in_use": 2, "reserved": 0, "limit": 2])
            #expect(rows.first { $0["resource"] == "volumes" } == ["resource": "volumes", "in_use": 5, "reserved": 0, "limit": 5])

            // A delete frees the instance and its GiB at once (as Trove's own delete does).
            try await db.waitFor(two, status: "ACTIVE")
            #expect(try await db.send("DELETE", "/instances/\(two)").status == 202)
            #expect(try await db.create(["availability_zone": "az1", "volume": ["size": 2]]).status == 200)
        }
    }

    @Test func limitsAndQuotaSurfacesAnswerFromTheTop() async throws {
        try await GatewayHarness.with { h in
            let db = try DatabaseClient(h)
            let project = db.token.projectID
            let defaults = try await db.send("GET", "/limits")
            #expect(defaults.status == 200)
            #expect(defaults.json["limits"]?.arrayValue?.first?["verb"] == "ABSOLUTE")
            #expect(defaults.json["limits"]?.arrayValue?.first?["max_instances"] == 10)
            #expect(defaults.json["limits"]?.arrayValue?.first?["max_volumes"] == 40)
            try await Self.setQuota(h, project: project, ["instances": 4])
            #expect(try await db.send("GET", "/limits").json["limits"]?.arrayValue?.first?["max_instances"] == 4)

            // Only admins change quotas; a project reads only its own; unknown resources are Trove's 404.
            let denied = try await db.send("PUT", "/mgmt/quotas/\(project)", body: #"{"quotas": {"instances": 50}}"#)
            #expect(denied.status == 403)
            #expect(denied.json["forbidden"]?["message"] == "User does not have admin privileges.")
            let other = try DatabaseClient(h, user: "alt_demo")
            #expect(try await other.send("GET", "/mgmt/quotas/\(project)").status == 403)
            let admin = try DatabaseClient(h, user: "admin")
            #expect(try await admin.send("GET", "/mgmt/quotas/\(project)").status == 200)
            let unknown = try await admin.send("PUT", "/mgmt/quotas/\(project)", body: #"{"quotas": {"cores": 5}}"#)
            #expect(unknown.status == 404)
            #expect(unknown.json["itemNotFound"]?["message"] == "Unknown quota resources ['cores'].")
            let small = try await admin.send("PUT", "/mgmt/quotas/\(project)", body: #"{"quotas": {"instances": -2}}"#)
            #expect(small.status == 400)
            let set = try await admin.send("PUT", "/mgmt/quotas/\(project)", body: #"{"quotas": {"volumes": 7}}"#)
            #expect(set.json == ["quotas": ["volumes": 7]])
        }
    }
}
