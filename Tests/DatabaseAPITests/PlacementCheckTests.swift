import Foundation
import GatewayTestHarness
import OpenStackModels
import RegionSimulator
import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport

/// The spec's checks before a create in a region, and the pre-flight endpoint that shows them.
/// The harness's home image service is RegionOne's Glance.
@Suite struct PlacementCheckTests {
    @Test func anImageThatDiffersIsRefusedForThatRegionOnly() async throws {
        try await GatewayHarness.with { h in
            let images = DatastoreImages(h: h)
            let imageID = try await images.imageID(region: "RegionOne")
            try await images.register(imageID, data: "the mysql guest image", region: "RegionOne")
            try await images.register(imageID, data: "a different build", region: "RegionTwo")
            let db = try DatabaseClient(h)
            let refused = try await db.create(["datastore": mysql8, "region_name": "RegionTwo"])
            #expect(refused.status == 400)
            let message = refused.json["badRequest"]?["message"]?.stringValue ?? ""
            #expect(message.contains("RegionTwo") && message.contains("differs") && message.contains("checksum"))
            #expect(try await db.create(["datastore": mysql8, "region_name": "RegionOne"]).status == 200)

            let preflight = try await db.send("GET", "/datastores/mysql/versions/8.0.21/regions?flavor=2")
            #expect(preflight.status == 200)
            let regions = preflight.json["regions"]?.arrayValue ?? []
            let one = regions.first { $0["region"]?.stringValue == "RegionOne" }
            let two = regions.first { $0["region"]?.stringValue == "RegionTwo" }
            #expect(one?["placeable"]?.boolValue == true)
            #expect(one?["checks"]?["flavor"]?.stringValue == "same")
            #expect(two?["placeable"]?.boolValue == false)
            #expect(two?["checks"]?["image"]?.stringValue == "differs")
        }
    }

    @Test(arguments: TestDatabases.backends) func aMissingImageIsCopiedAndTheCreateGoesOn(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { h in
            let images = DatastoreImages(h: h)
            let imageID = try await images.imageID(region: "RegionOne")
            try await images.register(imageID, data: "the mysql guest image", region: "RegionOne")
            let db = try DatabaseClient(h)
            let before = try await db.send("GET", "/datastores/mysql/versions/8.0.21/regions")
            let two = before.json["regions"]?.arrayValue?.first { $0["region"]?.stringValue == "RegionTwo" }
            #expect(two?["checks"]?["image"]?.stringValue == "missing")
            #expect(two?["placeable"]?.boolValue == true)
            #expect(try await images.images(region: "RegionTwo").isEmpty)

            let created = try await db.create(["datastore": mysql8, "availability_zone": "az2"])
            #expect(created.status == 200)
            #expect(created.json["instance"]?["region"]?.stringValue == "RegionTwo")
            let copies = try await images.images(region: "RegionTwo")
            #expect(copies.count == 1)
            let home = try await images.images(region: "RegionOne").first
            #expect(copies.first?["checksum"] == home?["checksum"])
            let after = try await db.send("GET", "/datastores/mysql/versions/8.0.21/regions")
            #expect(after.json["regions"]?.arrayValue?.allSatisfy { $0["checks"]?["image"]?.stringValue == "same" } == true)
        }
    }

    @Test func aVersionMissingInTheRegionIsRefusedNamingIt() async throws {
        try await GatewayHarness.with { h in
            let images = DatastoreImages(h: h)
            let imageID = try await images.imageID(region: "RegionOne")
            try await images.register(imageID, data: "the mysql guest image", region: "RegionOne")
            try await images.removeVersion(region: "RegionTwo")
            let db = try DatabaseClient(h)
            let refused = try await db.create(["datastore": mysql8, "region_name": "RegionTwo"])
            #expect(refused.status == 400)
            let message = refused.json["badRequest"]?["message"]?.stringValue ?? ""
            #expect(message.contains("mysql 8.0.21 does not exist in region RegionTwo"))
            let preflight = try await db.send("GET", "/datastores/mysql/versions/8.0.21/regions")
            let two = preflight.json["regions"]?.arrayValue?.first { $0["region"]?.stringValue == "RegionTwo" }
            #expect(two?["checks"]?["datastore_version"]?.stringValue == "missing")
            // Nothing was built anywhere.
            #expect(try await db.direct("RegionTwo", "/instances").json["instances"]?.arrayValue?.isEmpty == true)
        }
    }

    @Test func anUnknownFlavorIsRefusedBeforeAnythingIsBuilt() async throws {
        try await GatewayHarness.with { h in
            let db = try DatabaseClient(h)
            let refused = try await db.create(["flavorRef": "no-such-flavor", "region_name": "RegionTwo"])
            #expect(refused.status == 400)
            #expect(refused.json["badRequest"]?["message"]?.stringValue?.contains("no-such-flavor") == true)
            #expect(try await db.direct("RegionTwo", "/instances").json["instances"]?.arrayValue?.isEmpty == true)
        }
    }
}
