import Foundation
import GatewayTestHarness
import OpenStackModels
import RegionSimulator
import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport

/// A `flavorRef` at the top names a top flavor; every request that brings one to a region (create, resize,
/// a replica's inherited flavor) must reach it as that region's own flavor, as a boot does.
@Suite struct DatabaseFlavorMappingTests {
    /// RegionTwo's Nova (whose flavors are its Trove's) made as an operator of that region may have made it:
    /// m1.medium under a generated id instead of the top's "3", and an m1.large ("4") with 8 vCPUs instead of
    /// the top's 4. Returns m1.medium's id there.
    static func regionTwoFlavors(_ h: GatewayHarness) async throws -> String {
        let admin = try h.token(user: "admin")
        let nova = h.cloud.endpoint(region: "RegionTwo", service: .compute) ?? ""
        for id in ["3", "4"] {
            let gone = try await h.send("DELETE", nova + "/flavors/\(id)", token: admin.id)
            guard gone.status == 202 else { throw HarnessError("flavor \(id) delete: \(gone.status) \(gone.text)") }
        }
        let large = try await h.send("POST", nova + "/flavors", token: admin.id,
                                     body: #"{"flavor": {"name": "m1.large", "id": "4", "ram": 8192, "vcpus": 8, "disk": 80}}"#)
        guard large.status == 200 else { throw HarnessError("flavor create: \(large.status) \(large.text)") }
        let medium = try await h.send("POST", nova + "/flavors", token: admin.id,
                                      body: #"{"flavor": {"name": "m1.medium", "ram": 4096, "vcpus": 2, "disk": 40}}"#)
        guard let id = medium.json["flavor"]?["id"]?.stringValue, id != "3" else { throw HarnessError("flavor create: \(medium.status) \(medium.text)") }
        return id
    }

    /// The flavor a region's Trove says an instance has, once it is ACTIVE again there.
    static func flavorThere(_ db: DatabaseClient, _ region: String, _ id: String) async throws -> String? {
        for _ in 0..<300 {
            let shown = try await db.direct(region, "/instances/\(id)").json["instance"]
            if shown?["status"]?.stringValue == "ACTIVE" { return shown?["flavor"]?["id"]?.stringValue }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw HarnessError("instance \(id) never became ACTIVE in \(region)")
    }

    @Test(arguments: TestDatabases.backends)
    func aResizeReachesTheRegionAsItsOwnFlavorAndOneWithoutAMatchIsTroves400(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { h in
            let mediumThere = try await Self.regionTwoFlavors(h)
            let db = try DatabaseClient(h)
            let id = try await db.createdID(["region_name": "RegionTwo", "flavorRef": "2"])
            try await db.waitFor(id, status: "ACTIVE")

            let resize = try await db.send("POST", "/instances/\(id)/action", body: #"{"resize": {"flavorRef": "3"}}"#)
            #expect(resize.status == 202, "\(resize.text)")
            // RegionTwo's own Trove: resized to its m1.medium, not to the top's id.
            #expect(try await Self.flavorThere(db, "RegionTwo", id) == mediumThere)

            // m1.large has other vCPUs in RegionTwo: refused at the top in Trove's format, naming the region.
            let refused = try await db.send("POST", "/instances/\(id)/action", body: #"{"resize": {"flavorRef": "4"}}"#)
            #expect(refused.status == 400)
            let message = refused.json["badRequest"]?["message"]?.stringValue ?? ""
            #expect(refused.json["badRequest"]?["code"]?.intValue == 400)
            #expect(message.contains("RegionTwo") && message.contains("vCPUs"), "\(refused.text)")
            #expect(try await Self.flavorThere(db, "RegionTwo", id) == mediumThere)
        }
    }

    @Test func aReplicaNamedWithoutAFlavorGetsItsSourcesFlavorAsTheRegionNamesIt() async throws {
        try await GatewayHarness.with { h in
            let mediumThere = try await Self.regionTwoFlavors(h)
            let images = DatastoreImages(h: h)
            try await images.register(try await images.imageID(region: "RegionOne"), data: "the mysql guest image", region: "RegionOne")
            let db = try DatabaseClient(h)
            let source = try await db.createdID(["datastore": mysql8, "region_name": "RegionTwo", "flavorRef": "3", "name": "primary"])
            #expect(try await Self.flavorThere(db, "RegionTwo", source) == mediumThere)

            // As python-troveclient sends it: no flavor. RegionTwo shows the source's flavor by its own id,
            // which is no top flavor; the top names m1.medium ("3") and maps it back for the replica.
            let created = try await db.send("POST", "/instances", body: #"{"instance": {"name": "replica", "replica_of": "\#(source)"}}"#)
            #expect(created.status == 200, "\(created.text)")
            let replica = try #require(created.json["instance"]?["id"]?.stringValue)
            #expect(try await Self.flavorThere(db, "RegionTwo", replica) == mediumThere)
        }
    }

    @Test func clusterMembersAndGrowItemsReachTheRegionAsItsOwnFlavor() async throws {
        try await GatewayHarness.with { h in
            let mediumThere = try await Self.regionTwoFlavors(h)
            let images = DatastoreImages(h: h)
            let imageID = try await images.imageID(region: "RegionOne", datastore: "mariadb", version: "10.4")
            try await images.register(imageID, data: "the mariadb guest image", region: "RegionOne", name: "trove-mariadb")
            let db = try DatabaseClient(h)
            let body = #"{"cluster": {"name": "c", "datastore": {"type": "mariadb", "version": "10.4"}, "instances": [{"flavorRef": "3", "volume": {"size": 1}, "region_name": "RegionOne"}, {"flavorRef": "3", "volume": {"size": 1}, "region_name": "RegionTwo"}]}}"#
            let reply = try await db.send("POST", "/clusters", body: body)
            #expect(reply.status == 200, "\(reply.text)")
            let id = try #require(reply.json["cluster"]?["id"]?.stringValue)
            for _ in 0..<300 where try await db.send("GET", "/clusters/\(id)").json["cluster"]?["task"]?["name"]?.stringValue != "NONE" {
                try await Task.sleep(for: .milliseconds(10))
            }
            let grow = try await db.send("POST", "/clusters/\(id)", body: #"{"grow": [{"flavorRef": "3", "volume": {"size": 1}, "region_name": "RegionTwo"}]}"#)
            #expect(grow.status == 202, "\(grow.text)")
            let partTwo = try await db.direct("RegionTwo", "/clusters").json["clusters"]?.arrayValue?.first
            let flavorsTwo = partTwo?["instances"]?.arrayValue?.compactMap { $0["flavor"]?["id"]?.stringValue }
            #expect(flavorsTwo == [mediumThere, mediumThere])
            let partOne = try await db.direct("RegionOne", "/clusters").json["clusters"]?.arrayValue?.first
            #expect(partOne?["instances"]?.arrayValue?.compactMap { $0["flavor"]?["id"]?.stringValue } == ["3"])
        }
    }
}
