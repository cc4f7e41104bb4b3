import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing

/// Cinder's schema for names, descriptions and metadata, checked at the top before a pod is chosen.
@Suite struct VolumeInputValidationTests {
    @Test("a long name or description, or metadata that is not an object of strings, is Cinder's 400 and no volume is made")
    func badFieldsRefused() async throws {
        try await GatewayHarness.with { h in
            let client = try VolumeClient(h)
            let long = String(repeating: "v", count: 100_000)
            let bad: [[String: JSONValue]] = [
                ["name": .string(long)], ["description": .string(long)], ["name": 5], ["metadata": ["a"]],
                ["metadata": ["k": 1]], ["metadata": ["k": .string(String(repeating: "m", count: 256))]],
            ]
            for fields in bad {
                var volume: [String: JSONValue] = ["size": 1, "availability_zone": "az1"]
                volume.merge(fields) { _, new in new }
                let reply = try await client.send("POST", "/volumes", ["volume": .object(volume)])
                #expect(reply.status == 400, "\(fields.keys.sorted()) \(reply.status) \(reply.text.prefix(120))")
                #expect(reply.json["badRequest"]?["message"]?.stringValue?.hasPrefix("Invalid input for field/attribute") == true)
            }
            let listed = try await client.send("GET", "/volumes")
            #expect(listed.json["volumes"]?.arrayValue?.isEmpty == true)
            let snapshot = try await client.send("POST", "/snapshots", ["snapshot": ["volume_id": "x", "name": .string(long)]])
            #expect(snapshot.status == 400)
            _ = try await client.createVolume(name: String(long.prefix(255)), zone: "az1", extra: ["metadata": ["k": "v"]])
        }
    }
}
