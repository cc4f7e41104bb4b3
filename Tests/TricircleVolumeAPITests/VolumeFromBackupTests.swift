import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport

/// `POST /volumes` with `backup_id`: made in the backup's region, reserved and recorded at the top.
@Suite("Block Storage volumes from a backup")
struct VolumeFromBackupTests {
    @Test("a volume from a backup is made in the backup's region with the backup's size, counted at the top; another project's backup is 404, a smaller size 400, over quota 413",
          arguments: TestDatabases.backends)
    func volumeFromBackup(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { h in
            let demo = try VolumeClient(h)
            let project = demo.token.projectID
            let source = try await demo.createVolume(name: "source", zone: "az2", size: 2)
            try await demo.waitFor("/volumes/\(source)", member: "volume", status: "available")
            let backup = try await VolumeBackupTests.backup(demo, volume: source, name: "b")
            let backupID = try #require(backup.json["backup"]?["id"]?.stringValue)
            try await demo.waitFor("/backups/\(backupID)", member: "backup", status: "available")

            let made = try await demo.send("POST", "/volumes", ["volume": ["name": "restored", "backup_id": .string(backupID)]])
            #expect(made.status == 202, "\(made.text)")
            let id = try #require(made.json["volume"]?["id"]?.stringValue)
            #expect(made.json["volume"]?["size"] == 2)
            let shown = try await demo.send("GET", "/volumes/\(id)")
            #expect(shown.status == 200)
            #expect(shown.json["volume"]?["availability_zone"] == "az2")
            let cinder2 = try #require(h.cloud.endpoint(region: "RegionTwo", service: .volume))
            #expect(try await h.send("GET", cinder2 + "/volumes/\(id)", token: demo.token.id).status == 200)
            let usage = try await demo.send("GET", "/os-quota-sets/\(project)?usage=true").json["quota_set"]
            #expect(usage?["volumes"]?["in_use"] == 2)
            #expect(usage?["gigabytes"]?["in_use"] == 4)

            let smaller = try await demo.send("POST", "/volumes", ["volume": ["size": 1, "backup_id": .string(backupID)]])
            #expect(smaller.status == 400)
            #expect(smaller.json["badRequest"]?["message"] == "Invalid input received: Volume size 1GB cannot be smaller than the backup size 2GB. It must be >= backup size.")
            let other = try VolumeClient(h, user: "alt_demo")
            let theirs = try await other.send("POST", "/volumes", ["volume": ["size": 2, "backup_id": .string(backupID)]])
            #expect(theirs.status == 404)
            #expect(theirs.json["itemNotFound"]?["message"]?.stringValue == "Backup \(backupID) could not be found.")

            let admin = try VolumeClient(h, user: "admin")
            #expect(try await admin.send("PUT", "/os-quota-sets/\(project)", ["quota_set": ["gigabytes": 5]]).status == 200)
            let over = try await demo.send("POST", "/volumes", ["volume": ["backup_id": .string(backupID)]])
            #expect(over.status == 413, "\(over.text)")
        }
    }
}
