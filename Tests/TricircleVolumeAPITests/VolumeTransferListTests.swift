import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing

/// The transfer lists at the top: Horizon's volume list reads them to mark volumes awaiting a transfer.
@Suite("Block Storage transfer list at the top")
struct VolumeTransferListTests {
    @Test("os-volume-transfer(/detail) and, from 3.55, volume-transfers(/detail) answer an empty list")
    func list() async throws {
        try await GatewayHarness.with { harness in
            let demo = try VolumeClient(harness)
            for path in ["/os-volume-transfer", "/os-volume-transfer/detail", "/volume-transfers", "/volume-transfers/detail"] {
                let reply = try await demo.send("GET", path, headers: [("OpenStack-API-Version", "volume 3.55")])
                #expect(reply.status == 200)
                #expect(reply.json["transfers"]?.arrayValue?.isEmpty == true)
            }
            #expect(try await demo.send("GET", "/os-volume-transfer/detail").status == 200)
            let old = try await demo.send("GET", "/volume-transfers/detail", headers: [("OpenStack-API-Version", "volume 3.54")])
            #expect(old.status == 404)
        }
    }
}
