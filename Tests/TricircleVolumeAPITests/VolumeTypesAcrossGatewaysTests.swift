import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleStore
import TricircleTestSupport

/// Volume types made through one gateway process are usable at once through another, whose cached
/// per-pod type lists are older (two gateways behind one load balancer).
@Suite("Volume types across gateways")
struct VolumeTypesAcrossGatewaysTests {
    @Test("a type an admin made through one gateway is shown and used by its top id through another that cached the pods' lists",
          arguments: TestDatabases.backends)
    func newTypeSeenThroughOtherGateway(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { first in
            let admin = try VolumeClient(first, user: "admin")
            try await first.withSecondGateway { second in
                let demo = try VolumeClient(second)
                let otherAdmin = try VolumeClient(second, user: "admin")
                // The second gateway keeps RegionTwo's type list for demo, and every pod's for the admin.
                let warm = try await demo.createVolume(name: "warm", zone: "az2", extra: ["volume_type": "lvmdriver-1"])
                #expect(try await demo.send("GET", "/volumes/\(warm)").json["volume"]?["volume_type"] == "lvmdriver-1")
                let lvm = try await demo.send("GET", "/types").json["volume_types"]?.arrayValue?
                    .first { $0["name"] == "lvmdriver-1" }?["id"]?.stringValue ?? ""
                #expect(try await otherAdmin.send("POST", "/types/\(lvm)/extra_specs", ["extra_specs": ["tier": "bronze"]]).status == 200)
                let created = try await admin.send("POST", "/types", ["volume_type": ["name": "fast"]])
                #expect(created.status == 200)
                let topID = created.json["volume_type"]?["id"]?.stringValue ?? ""
                // Its top id is RegionOne's: a create in RegionTwo through the second gateway maps it by name.
                let volume = try await demo.createVolume(name: "typed", zone: "az2", extra: ["volume_type": .string(topID)])
                #expect(try await demo.send("GET", "/volumes/\(volume)").json["volume"]?["volume_type"] == "fast")
                let specs = try await otherAdmin.send("POST", "/types/\(topID)/extra_specs", ["extra_specs": ["tier": "gold"]])
                #expect(specs.status == 200, "\(specs.text)")
            }
        }
    }
}
