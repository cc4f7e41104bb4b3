import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing

/// `GET /v3/{project_id}/groups(/detail)` at the top: Horizon's Create Volume form lists groups first.
@Suite("Block Storage group list at the top")
struct VolumeGroupListTests {
    @Test("groups and groups/detail answer an empty list from 3.13, 404 below it")
    func list() async throws {
        try await GatewayHarness.with { harness in
            let demo = try VolumeClient(harness)
            for path in ["/groups", "/groups/detail"] {
                let reply = try await demo.send("GET", path, headers: [("OpenStack-API-Version", "volume 3.13")])
                #expect(reply.status == 200)
                #expect(reply.json["groups"]?.arrayValue?.isEmpty == true)
                let old = try await demo.send("GET", path, headers: [("OpenStack-API-Version", "volume 3.12")])
                #expect(old.status == 404)
            }
        }
    }
}
