import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing

/// `GET /v3/{project_id}/extensions` at the top (openstacksdk's block storage `extensions()`).
@Suite("Block Storage extension list at the top")
struct VolumeExtensionListTests {
    @Test("every extension has an alias, name, description and updated date")
    func list() async throws {
        try await GatewayHarness.with { harness in
            let demo = try VolumeClient(harness)
            let reply = try await demo.send("GET", "/extensions")
            #expect(reply.status == 200)
            let items = reply.json["extensions"]?.arrayValue ?? []
            #expect(items.contains { $0["alias"] == "os-availability-zone" })
            for item in items {
                #expect(item["alias"]?.stringValue != nil && item["description"]?.stringValue != nil)
                #expect(item["updated"]?.stringValue != nil && item["name"]?.stringValue != nil)
            }
        }
    }
}
