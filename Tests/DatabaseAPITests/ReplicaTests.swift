import Foundation
import GatewayTestHarness
import OpenStackModels
import RegionSimulator
import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport

/// Replicas in another region than their source, and replica-set actions routed through the top.
@Suite struct ReplicaTests {
    @Test(arguments: TestDatabases.backends) func aReplicaOfAnAz1InstanceIsCreatedInAz2AndCanBePromoted(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { h in
            let images = DatastoreImages(h: h)
            let imageID = try await images.imageID(region: "RegionOne")
            try await images.register(imageID, data: "the mysql guest image", region: "RegionOne")
            let db = try DatabaseClient(h)
            let source = try await db.createdID(["datastore": mysql8, "availability_zone": "az1", "name": "primary"])
            try await db.waitFor(source, status: "ACTIVE")

            let created = try await db.create(["replica_of": .string(source), "availability_zone": "az2", "name": "replica"])
            #expect(created.status == 200)
            #expect(created.json["instance"]?["region"]?.stringValue == "RegionTwo")
            let replica = try #require(created.json["instance"]?["id"]?.stringValue)
            #expect(created.json["instance"]?["replica_of"]?["id"]?.stringValue == source)
            // Same datastore version as the source; the image was checked (copied) for RegionTwo first.
            #expect(created.json["instance"]?["datastore"]?["version"]?.stringValue == "8.0.21")
            #expect(try await images.images(region: "RegionTwo").count == 1)
            try await db.waitFor(replica, status: "ACTIVE")
            let shownSource = try await db.send("GET", "/instances/\(source)")
            #expect(shownSource.json["instance"]?["replicas"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [replica])
            // Both show up in the merged list.
            let ids = try await db.send("GET", "/instances").json["instances"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            #expect(Set(ids) == [source, replica])

            #expect(try await db.send("POST", "/instances/\(replica)/action", body: #"{"promote_to_replica_source": {}}"#).status == 202)
            let promoted = try await db.send("GET", "/instances/\(replica)")
            #expect(promoted.json["instance"]?["replica_of"] == nil)
            #expect(promoted.json["instance"]?["replicas"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [source])
            // The old source is a replica now, so it can be deleted; the new source cannot while it has one.
            #expect(try await db.send("DELETE", "/instances/\(replica)").status == 403)
            #expect(try await db.send("DELETE", "/instances/\(source)").status == 202)
        }
    }

    @Test func aReplicaOfAnUnknownInstanceIsNotFound() async throws {
        try await GatewayHarness.with { h in
            let db = try DatabaseClient(h)
            let reply = try await db.create(["replica_of": "nope", "availability_zone": "az2"])
            #expect(reply.status == 404)
            #expect(reply.json["itemNotFound"] != nil)
        }
    }

    @Test func aReplicaAsPythonTroveclientSendsItGetsItsSourcesFlavorAndVolume() async throws {
        try await GatewayHarness.with { h in
            let images = DatastoreImages(h: h)
            try await images.register(try await images.imageID(region: "RegionOne"), data: "the mysql guest image", region: "RegionOne")
            let db = try DatabaseClient(h)
            let source = try await db.createdID(["datastore": mysql8, "availability_zone": "az1", "flavorRef": "3", "volume": ["size": 2]])
            try await db.waitFor(source, status: "ACTIVE")
            // `openstack database instance create --replica-of` sends neither flavorRef nor volume.
            let body = #"{"instance": {"name": "replica", "replica_of": "\#(source)", "availability_zone": "az2"}}"#
            let reply = try await db.send("POST", "/instances", body: body)
            #expect(reply.status == 200)
            #expect(reply.json["instance"]?["flavor"]?["id"]?.stringValue == "3")
            #expect(reply.json["instance"]?["volume"]?["size"]?.intValue == 2)
            #expect(reply.json["instance"]?["region"]?.stringValue == "RegionTwo")
        }
    }
}

/// Backups are made by their instance's region and found there; a restore is built in the backup's region.
@Suite struct BackupTests {
    @Test func aBackupIsMadeInItsInstancesRegionAndRestoredThere() async throws {
        try await GatewayHarness.with { h in
            let db = try DatabaseClient(h)
            let id = try await db.createdID(["region_name": "RegionTwo"])
            try await db.waitFor(id, status: "ACTIVE")
            let made = try await db.send("POST", "/backups", body: #"{"backup": {"name": "nightly", "instance": "\#(id)"}}"#)
            #expect(made.status == 200)
            let backup = try #require(made.json["backup"]?["id"]?.stringValue)
            #expect(try await db.direct("RegionTwo", "/backups/\(backup)").status == 200)
            #expect(try await db.send("GET", "/backups/\(backup)").json["backup"]?["instance_id"]?.stringValue == id)
            #expect(try await db.send("GET", "/backups").json["backups"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [backup])
            #expect(try await db.send("GET", "/instances/\(id)/backups").json["backups"]?.arrayValue?.count == 1)

            let restorePoint: JSONValue = ["backupRef": .string(backup)]
            let elsewhere = try await db.create(["region_name": "RegionOne", "restorePoint": restorePoint])
            #expect(elsewhere.status == 400)
            #expect(elsewhere.json["badRequest"]?["message"]?.stringValue?.contains("RegionTwo") == true)
            let restored = try await db.create(["restorePoint": restorePoint])
            #expect(restored.json["instance"]?["region"]?.stringValue == "RegionTwo")

            #expect(try await db.send("DELETE", "/backups/\(backup)").status == 202)
            #expect(try await db.send("GET", "/backups/\(backup)").status == 404)
            #expect(try await db.send("POST", "/backups", body: #"{"backup": {"name": "x", "instance": "nope"}}"#).status == 404)
        }
    }
}
