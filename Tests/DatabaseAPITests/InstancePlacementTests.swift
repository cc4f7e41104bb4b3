import Foundation
import GatewayTestHarness
import OpenStackModels
import RegionSimulator
import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport

/// Where `POST /instances` builds, and that the instance is then reached through the top by its id.
@Suite struct InstancePlacementTests {
    @Test(arguments: TestDatabases.backends) func regionNameBuildsInThatRegionsOwnTrove(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { h in
            let db = try DatabaseClient(h)
            let reply = try await db.create(["region_name": "RegionTwo"])
            #expect(reply.status == 200)
            #expect(reply.json["instance"]?["region"]?.stringValue == "RegionTwo")
            let id = try #require(reply.json["instance"]?["id"]?.stringValue)
            // Links lead back to the gateway.
            #expect(reply.json["instance"]?["links"]?.arrayValue?.first?["href"]?.stringValue?.hasPrefix(h.origin("database")) == true)
            #expect(try await db.direct("RegionTwo", "/instances/\(id)").status == 200)
            #expect(try await db.direct("RegionOne", "/instances/\(id)").status == 404)
        }
    }

    @Test func specRegionKeyAndAvailabilityZoneAndDefaultPlaceByPod() async throws {
        try await GatewayHarness.with { h in
            let db = try DatabaseClient(h)
            let byRegion = try await db.create(["region": "RegionTwo"])
            #expect(byRegion.json["instance"]?["region"]?.stringValue == "RegionTwo")
            let byZone = try await db.create(["availability_zone": "az2"])
            #expect(byZone.json["instance"]?["region"]?.stringValue == "RegionTwo")
            let byDefault = try await db.create([:])
            #expect(byDefault.json["instance"]?["region"]?.stringValue == "RegionOne")
        }
    }

    @Test func unknownRegionOrConflictingZoneIsTroveBadRequest() async throws {
        try await GatewayHarness.with { h in
            let db = try DatabaseClient(h)
            let unknown = try await db.create(["region_name": "RegionNine"])
            #expect(unknown.status == 400)
            #expect(unknown.json["badRequest"]?["message"]?.stringValue?.contains("RegionNine") == true)
            let conflict = try await db.create(["region_name": "RegionTwo", "availability_zone": "az1"])
            #expect(conflict.status == 400)
            let zone = try await db.create(["availability_zone": "az9"])
            #expect(zone.status == 400)
            #expect(zone.json["badRequest"]?["code"]?.intValue == 400)
        }
    }

    @Test(arguments: TestDatabases.backends) func listMergesBothRegionsAndPagesWithNextLinks(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { h in
            let db = try DatabaseClient(h)
            let one = try await db.createdID(["availability_zone": "az1", "name": "one"])
            let two = try await db.createdID(["availability_zone": "az2", "name": "two"])
            let three = try await db.createdID(["availability_zone": "az1", "name": "three"])
            let all = try await db.send("GET", "/instances")
            let ids = all.json["instances"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            #expect(Set(ids) == [one, two, three])
            #expect(Set(all.json["instances"]?.arrayValue?.compactMap { $0["region"]?.stringValue } ?? []) == ["RegionOne", "RegionTwo"])
            #expect(all.json["links"] == nil)

            var seen: [String] = []
            var next: String? = "/instances?limit=2"
            var pages = 0
            while let url = next, pages < 5 {
                let page = try await db.send("GET", url)
                #expect(page.status == 200)
                seen += page.json["instances"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
                next = page.json["links"]?.arrayValue?.first { $0["rel"]?.stringValue == "next" }?["href"]?.stringValue
                if let next { #expect(next.hasPrefix(h.origin("database"))) }
                pages += 1
            }
            #expect(pages == 2)
            #expect(seen == ids)
            #expect(try await db.send("GET", "/instances/detail").json["instances"]?.arrayValue?.count == 3)
            // Another project sees none of them, and cannot show one.
            let other = try DatabaseClient(h, user: "alt_demo")
            #expect(try await other.send("GET", "/instances").json["instances"]?.arrayValue?.isEmpty == true)
            #expect(try await other.send("GET", "/instances/\(two)").status == 404)
        }
    }

    @Test func aDeadPodIsLeftOutOfTheList() async throws {
        try await GatewayHarness.with(overrides: ["client.list_timeout": "1"]) { h in
            let db = try DatabaseClient(h)
            let one = try await db.createdID(["availability_zone": "az1"])
            _ = try await db.createdID(["availability_zone": "az2"])
            h.cloud.setFault(FaultSettings(errorRate: 1.0), region: "RegionTwo", service: .database)
            let list = try await db.send("GET", "/instances")
            #expect(list.status == 200)
            #expect(list.json["instances"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [one])
        }
    }

    @Test(arguments: TestDatabases.backends) func routedCallsReachTheInstancesPod(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { h in
            let db = try DatabaseClient(h)
            let id = try await db.createdID(["region_name": "RegionTwo"])
            try await db.waitFor(id, status: "ACTIVE")
            #expect(try await db.send("PATCH", "/instances/\(id)", body: #"{"instance": {"name": "renamed"}}"#).status == 202)
            #expect(try await db.direct("RegionTwo", "/instances/\(id)").json["instance"]?["name"]?.stringValue == "renamed")
            #expect(try await db.send("POST", "/instances/\(id)/databases", body: #"{"databases": [{"name": "orders"}]}"#).status == 202)
            let databases = try await db.send("GET", "/instances/\(id)/databases")
            #expect(databases.json["databases"]?.arrayValue?.first?["name"]?.stringValue == "orders")
            #expect(try await db.send("POST", "/instances/\(id)/users", body: #"{"users": [{"name": "app", "password": "pw"}]}"#).status == 202)
            #expect(try await db.send("DELETE", "/instances/\(id)/users/app").status == 202)
            #expect(try await db.send("POST", "/instances/\(id)/root").json["user"]?["name"]?.stringValue == "root")
            #expect(try await db.send("GET", "/instances/\(id)/root").json["rootEnabled"]?.boolValue == true)
            #expect(try await db.send("POST", "/instances/\(id)/action", body: #"{"resize": {"volume": {"size": 2}}}"#).status == 202)
            try await db.waitFor(id, status: "ACTIVE")
            #expect(try await db.send("POST", "/instances/\(id)/action", body: #"{"restart": {}}"#).status == 202)
            try await db.waitFor(id, status: "ACTIVE")
            #expect(try await db.send("DELETE", "/instances/\(id)").status == 202)
            for _ in 0..<300 where try await db.direct("RegionTwo", "/instances/\(id)").status != 404 {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(try await db.send("GET", "/instances/\(id)").status == 404)
            #expect(try await h.runtime.routing.resolveOne(topID: id, type: .databaseInstance, projectID: nil) == nil)
        }
    }
}
