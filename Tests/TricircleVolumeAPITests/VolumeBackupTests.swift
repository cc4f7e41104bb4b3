import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport

/// Cinder backups at the top: made in their volume's region, listed across regions, routed by id,
/// restored in their region, and counted in the project's one backups/backup_gigabytes quota.
@Suite("Block Storage backups at the top")
struct VolumeBackupTests {
    static func backup(_ client: VolumeClient, volume: String, name: String) async throws -> HarnessReply {
        try await client.send("POST", "/backups", ["backup": ["volume_id": .string(volume), "name": .string(name)]])
    }

    @Test("create in the volume's region, merged paged list, show, restore (new volume and onto one), delete; another project sees none",
          arguments: TestDatabases.backends)
    func backupsAreRoutedToTheVolumesRegion(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { h in
            let demo = try VolumeClient(h)
            let v1 = try await demo.createVolume(name: "one", zone: "az1", size: 1)
            let v2 = try await demo.createVolume(name: "two", zone: "az2", size: 2)
            try await demo.waitFor("/volumes/\(v1)", member: "volume", status: "available")
            try await demo.waitFor("/volumes/\(v2)", member: "volume", status: "available")
            let b1 = try await Self.backup(demo, volume: v1, name: "b1")
            #expect(b1.status == 202, "\(b1.text)")
            let id1 = try #require(b1.json["backup"]?["id"]?.stringValue)
            #expect(b1.json["backup"]?["links"]?.arrayValue?.first?["href"]?.stringValue?.hasPrefix(h.origin("volume")) == true)
            let id2 = try #require(try await Self.backup(demo, volume: v2, name: "b2").json["backup"]?["id"]?.stringValue)
            // Made by RegionTwo's own Cinder.
            let cinder2 = try #require(h.cloud.endpoint(region: "RegionTwo", service: .volume))
            #expect(try await h.send("GET", cinder2 + "/backups/\(id2)", token: demo.token.id).status == 200)

            try await demo.waitFor("/backups/\(id1)", member: "backup", status: "available")
            try await demo.waitFor("/backups/\(id2)", member: "backup", status: "available")
            let shown = try await demo.send("GET", "/backups/\(id2)")
            #expect(shown.json["backup"]?["volume_id"]?.stringValue == v2)
            #expect(shown.json["backup"]?["size"] == 2)
            let summary = try await demo.send("GET", "/backups")
            #expect(Set(summary.json["backups"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []) == [id1, id2])
            #expect(summary.json["backups"]?.arrayValue?.first?.objectValue.map { Set($0.keys) } == ["id", "name", "links"])
            let paged = try await demo.walk("/backups/detail?limit=1", collection: "backups")
            #expect(Set(paged.ids) == [id1, id2])
            #expect(paged.pages >= 2)

            // Restore into a new volume (recorded at the top, in the backup's region) and onto an existing one.
            let restored = try await demo.send("POST", "/backups/\(id2)/restore", ["restore": ["name": "back"]])
            #expect(restored.status == 202, "\(restored.text)")
            let newVolume = try #require(restored.json["restore"]?["volume_id"]?.stringValue)
            #expect(try await demo.send("GET", "/volumes/\(newVolume)").json["volume"]?["availability_zone"] == "az2")
            let elsewhere = try await demo.send("POST", "/backups/\(id2)/restore", ["restore": ["volume_id": .string(v1)]])
            #expect(elsewhere.status == 400)
            try await demo.waitFor("/volumes/\(newVolume)", member: "volume", status: "available")
            #expect(try await demo.send("POST", "/backups/\(id1)/restore", ["restore": ["volume_id": .string(v1)]]).status == 202)

            let other = try VolumeClient(h, user: "alt_demo")
            #expect(try await other.send("GET", "/backups/\(id1)").status == 404)
            #expect(try await other.send("GET", "/backups").json["backups"]?.arrayValue?.isEmpty == true)
            #expect(try await Self.backup(other, volume: v1, name: "theirs").status == 404)

            #expect(try await demo.send("DELETE", "/backups/\(id2)").status == 202)
            #expect(try await demo.send("GET", "/backups/\(id2)").status == 404)
        }
    }

    @Test("backups=2 and backup_gigabytes over both regions: Cinder's 413 in its words; a delete frees the quota",
          arguments: TestDatabases.backends)
    func backupQuotaIsOneOverAllRegions(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { h in
            let admin = try VolumeClient(h, user: "admin")
            let demo = try VolumeClient(h)
            let project = demo.token.projectID
            #expect(try await admin.send("PUT", "/os-quota-sets/\(project)", ["quota_set": ["backups": 2, "backup_gigabytes": 10]]).status == 200)
            let v1 = try await demo.createVolume(name: "one", zone: "az1", size: 2)
            let v2 = try await demo.createVolume(name: "two", zone: "az2", size: 2)
            try await demo.waitFor("/volumes/\(v1)", member: "volume", status: "available")
            try await demo.waitFor("/volumes/\(v2)", member: "volume", status: "available")
            let first = try #require(try await Self.backup(demo, volume: v1, name: "a").json["backup"]?["id"]?.stringValue)
            #expect(try await Self.backup(demo, volume: v2, name: "b").status == 202)
            let third = try await Self.backup(demo, volume: v2, name: "c")
            #expect(third.status == 413)
            #expect(third.json["overLimit"]?["message"] == "Maximum number of backups allowed (2) exceeded")
            #expect(third.header("Retry-After") == "0")

            #expect(try await admin.send("PUT", "/os-quota-sets/\(project)", ["quota_set": ["backups": 10, "backup_gigabytes": 5]]).status == 200)
            let big = try await Self.backup(demo, volume: v1, name: "d")
            #expect(big.status == 413)
            #expect(big.json["overLimit"]?["message"]
                == "Requested backup exceeds allowed Backup gigabytes quota. Requested 2G, quota is 5G and 4G has been consumed.")
            let usage = try await demo.send("GET", "/os-quota-sets/\(project)?usage=true").json["quota_set"]
            #expect(usage?["backups"]?["in_use"] == 2)
            #expect(usage?["backup_gigabytes"]?["in_use"] == 4)

            try await demo.waitFor("/backups/\(first)", member: "backup", status: "available")
            #expect(try await demo.send("DELETE", "/backups/\(first)").status == 202)
            #expect(try await Self.backup(demo, volume: v1, name: "e").status == 202)
        }
    }
}
