import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing

@Suite("Block Storage admin surfaces at the top: os-services, scheduler-stats/get_pools")
struct VolumeAdminSurfaceTests {
    @Test("os-services and get_pools merge every pod's, hosts and pool names keeping the region; admin only")
    func servicesAndPools() async throws {
        try await GatewayHarness.with { harness in
            let admin = try VolumeClient(harness, user: "admin")
            let demo = try VolumeClient(harness)
            let refused = try await demo.send("GET", "/os-services")
            #expect(refused.status == 403)
            #expect(refused.json["forbidden"]?["message"] == "Policy doesn't allow volume_extension:services:index to be performed.")
            #expect(try await demo.send("GET", "/scheduler-stats/get_pools").status == 403)

            let services = try await admin.send("GET", "/os-services").json["services"]?.arrayValue ?? []
            let volumes = services.filter { $0["binary"] == "cinder-volume" }
            #expect(Set(volumes.compactMap { $0["host"]?.stringValue }) == [
                "RegionOne:regionone-volume-1@lvmdriver-1", "RegionTwo:regiontwo-volume-1@lvmdriver-1",
            ])
            #expect(Set(volumes.compactMap { $0["zone"]?.stringValue }) == ["az1", "az2"])
            let one = try await admin.send("GET", "/os-services?host=RegionTwo:regiontwo-volume-1@lvmdriver-1")
            #expect(one.json["services"]?.arrayValue?.count == 1)

            let pools = try await admin.send("GET", "/scheduler-stats/get_pools?detail=True")
            #expect(pools.status == 200)
            let items = pools.json["pools"]?.arrayValue ?? []
            #expect(Set(items.compactMap { $0["name"]?.stringValue }) == [
                "RegionOne:regionone-volume-1@lvmdriver-1#lvmdriver-1", "RegionTwo:regiontwo-volume-1@lvmdriver-1#lvmdriver-1",
            ])
            #expect(items.first?["capabilities"]?["total_capacity_gb"]?.intValue == 1000)
        }
    }
}
