import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing

/// Snapshot lists merged over the pods with Cinder's `offset` and sort parameters (Tempest's
/// `test_snapshot_list_param_*`), volumes' lists likewise.
@Suite("Snapshot lists with offset and sort")
struct SnapshotListTests {
    @Test("offset skips the first items of the merged, sorted list; sort=name:asc|desc and sort_key/sort_dir order it by name")
    func offsetAndSortByName() async throws {
        try await GatewayHarness.with { harness in
            let cinder = try VolumeClient(harness)
            var made: [String: String] = [:]
            for (name, zone) in [("snap-b", "az1"), ("snap-d", "az2"), ("snap-a", "az2"), ("snap-c", "az1")] {
                let volume = try await cinder.createVolume(name: "vol-\(name)", zone: zone)
                try await cinder.waitFor("/volumes/\(volume)", member: "volume", status: "available")
                let reply = try await cinder.send("POST", "/snapshots", ["snapshot": ["volume_id": .string(volume), "name": .string(name)]])
                #expect(reply.status == 202, "\(reply.text)")
                made[name] = reply.json["snapshot"]?["id"]?.stringValue
            }
            func names(_ query: String, detail: Bool = false) async throws -> [String] {
                let reply = try await cinder.send("GET", (detail ? "/snapshots/detail?" : "/snapshots?") + query)
                #expect(reply.status == 200, "\(query): \(reply.text)")
                return reply.json["snapshots"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            }
            #expect(try await names("sort=name:asc") == ["snap-a", "snap-b", "snap-c", "snap-d"])
            #expect(try await names("sort=name:desc", detail: true) == ["snap-d", "snap-c", "snap-b", "snap-a"])
            #expect(try await names("sort_key=name&sort_dir=asc") == ["snap-a", "snap-b", "snap-c", "snap-d"])
            #expect(try await names("sort_key=name&sort_dir=desc", detail: true) == ["snap-d", "snap-c", "snap-b", "snap-a"])
            // Tempest's form: Cinder's snapshot list sorts by `display_name` and refuses `name` (the regions are
            // asked with display_name whatever the client wrote).
            #expect(try await names("sort_key=display_name&sort_dir=asc") == ["snap-a", "snap-b", "snap-c", "snap-d"])
            #expect(try await names("sort=display_name:desc", detail: true) == ["snap-d", "snap-c", "snap-b", "snap-a"])

            // Tempest: offset=2&limit=3 over 3 snapshots shows 1; here over 4, ordered by name.
            #expect(try await names("sort=name:asc&offset=2&limit=3") == ["snap-c", "snap-d"])
            #expect(try await names("sort=name:asc&offset=1&limit=2") == ["snap-b", "snap-c"])
            #expect(try await names("offset=4").isEmpty)
            #expect(try await names("offset=3").count == 1)
            #expect(try await names("sort=name:asc&offset=1", detail: true) == ["snap-b", "snap-c", "snap-d"])
            let bad = try await cinder.send("GET", "/snapshots?offset=abc")
            #expect(bad.status == 400)
            #expect(bad.text.contains("offset must be an integer"))
            #expect(try await cinder.send("GET", "/snapshots?offset=-1").status == 400)
            // Volumes' lists take the same offset.
            let volumes = try await cinder.send("GET", "/volumes?sort=name:asc&offset=3").json["volumes"]?.arrayValue ?? []
            #expect(volumes.compactMap { $0["name"]?.stringValue } == ["vol-snap-d"])
        }
    }
}
