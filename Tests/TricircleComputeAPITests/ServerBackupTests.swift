import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing

/// `createBackup` through the top (Tempest's `ServerActionsTestOtherB.test_create_backup`).
@Suite("Server backups at the top: imported like snapshots, rotated as the pod's Nova rotates them")
struct ServerBackupTests {
    /// The top's active backups of `server` (Glance v2 property filters), oldest first.
    static func backups(_ harness: GatewayHarness, _ demo: ComputeClient, server: String) async throws -> [String] {
        let query = "image_type=backup&backup_type=daily&instance_uuid=\(server)&status=active&sort_key=created_at&sort_dir=asc"
        let reply = try await harness.send("GET", harness.url("image") + "/v2/images?" + query, token: demo.token.id)
        return reply.json["images"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
    }

    /// Polls until `backups` equals `expected` (the import is a job), or returns the last answer.
    static func waitForBackups(_ harness: GatewayHarness, _ demo: ComputeClient, server: String, _ expected: [String]) async throws -> [String] {
        var seen: [String] = []
        for _ in 0..<400 {
            seen = try await backups(harness, demo, server: server)
            if seen == expected { return seen }
            try await Task.sleep(for: .milliseconds(25))
        }
        return seen
    }

    @Test("a server in a pod other than the home one: each backup becomes a top image; the third with rotation 2 removes the first at the top too")
    func rotationMirrored() async throws {
        try await GatewayHarness.with { harness in
            let demo = try ComputeClient(harness)
            let id = try await demo.boot("backed-up", az: "az2")
            try await demo.waitFor(id, status: "ACTIVE")
            var made: [String] = []
            for name in ["backup-1", "backup-2", "backup-3"] {
                let reply = try await demo.send(
                    "POST", "/servers/\(id)/action", ["createBackup": ["name": .string(name), "backup_type": "daily", "rotation": 2]],
                    version: "2.45")
                #expect(reply.status == 202)
                let image = try #require(reply.json["image_id"]?.stringValue)
                made.append(image)
                // Tempest waits on the image's tasks: answered whether the backup is still in the pod or at home.
                let tasks = try await harness.send("GET", harness.url("image") + "/v2/images/\(image)/tasks", token: demo.token.id)
                #expect(tasks.status == 200)
                #expect(tasks.json["tasks"]?.arrayValue != nil)
                try await demo.waitFor(id, status: "ACTIVE")
                if name == "backup-2" {
                    #expect(try await Self.waitForBackups(harness, demo, server: id, ["backup-1", "backup-2"]) == ["backup-1", "backup-2"])
                }
            }
            #expect(try await Self.waitForBackups(harness, demo, server: id, ["backup-2", "backup-3"]) == ["backup-2", "backup-3"])
            let first = try await harness.send("GET", harness.url("image") + "/v2/images/\(made[0])", token: demo.token.id)
            #expect(first.status == 404)
            // A createBackup without its rotation is Nova's 400.
            let incomplete = try await demo.send("POST", "/servers/\(id)/action", ["createBackup": ["name": "x", "backup_type": "daily"]])
            #expect(incomplete.status == 400)
        }
    }
}
