import Foundation
import GatewayTestHarness
import OpenStackModels
import RegionSimulator
import Testing
import TricircleCore
@testable import TricircleDatabaseAPI

/// Cluster and backup lists are merged and paged like instance lists (`TroveListing`): every item once
/// over `limit`/`marker` pages with `next` links to the gateway, a region that does not answer left out.
@Suite struct ListPagingTests {
    /// Follows `next` links from `first`, returning every id of `collection` in order.
    func walk(_ db: DatabaseClient, _ h: GatewayHarness, _ first: String, _ collection: String) async throws -> [String] {
        var ids: [String] = []
        var next: String? = first
        var pages = 0
        while let page = next, pages < 20 {
            let reply = try await db.send("GET", page)
            #expect(reply.status == 200)
            ids += reply.json[collection]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            next = reply.json["links"]?.arrayValue?.first { $0["rel"]?.stringValue == "next" }?["href"]?.stringValue
            if let link = next { #expect(link.hasPrefix(h.origin("database"))) }
            pages += 1
        }
        return ids
    }

    @Test func clustersInBothRegionsArePagedById() async throws {
        try await GatewayHarness.with(overrides: ["client.list_timeout": "0.5"]) { h in
            let db = try await ClusterTests().prepare(h)
            var ids: [String] = []
            for placement in [["availability_zone": "az1"], ["availability_zone": "az2"], ["availability_zone": "az1"]] as [[String: JSONValue]] {
                let reply = try await ClusterTests().create(db, [ClusterTests.member(placement)])
                ids.append(try #require(reply.json["cluster"]?["id"]?.stringValue))
            }
            #expect(try await walk(db, h, "/clusters?limit=1", "clusters") == ids.sorted())
            #expect(try await db.send("GET", "/clusters").json["clusters"]?.arrayValue?.count == 3)
            #expect(try await db.send("GET", "/clusters?marker=nope").status == 404)

            h.cloud.setFault(FaultSettings(blackHole: true), region: "RegionTwo", service: .database)
            let partial = try await db.send("GET", "/clusters")
            #expect(partial.status == 200)
            #expect(partial.json["clusters"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [ids[0], ids[2]].sorted())
        }
    }

    @Test func backupsOfBothRegionsArePagedNewestFirst() async throws {
        try await GatewayHarness.with(overrides: ["client.list_timeout": "0.5"]) { h in
            let db = try DatabaseClient(h)
            let near = try await db.createdID(["availability_zone": "az1"])
            let far = try await db.createdID(["availability_zone": "az2"])
            try await db.waitFor(near, status: "ACTIVE")
            try await db.waitFor(far, status: "ACTIVE")
            var ids: [String] = []
            for instance in [near, far, near] {
                let reply = try await db.send("POST", "/backups", body: #"{"backup": {"name": "b", "instance": "\#(instance)"}}"#)
                ids.append(try #require(reply.json["backup"]?["id"]?.stringValue))
            }
            let walked = try await walk(db, h, "/backups?limit=1", "backups")
            #expect(walked.sorted() == ids.sorted())
            #expect(walked == (try await db.send("GET", "/backups").json["backups"]?.arrayValue?.compactMap { $0["id"]?.stringValue }))

            h.cloud.setFault(FaultSettings(blackHole: true), region: "RegionTwo", service: .database)
            let partial = try await db.send("GET", "/backups")
            #expect(partial.status == 200)
            #expect(Set(partial.json["backups"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []) == [ids[0], ids[2]])
        }
    }
}
