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

    @Test("A volume's host names its service at the top: os-vol-host-attr:host is <region>:<host>@<backend>#<pool>, and os-services?host=<region>:<host> finds its cinder-volume")
    func volumeHostFindsItsService() async throws {
        try await GatewayHarness.with { harness in
            let admin = try VolumeClient(harness, user: "admin")
            let id = try await admin.createVolume(name: "hosted", zone: "az2")
            try await admin.waitFor("/volumes/\(id)", member: "volume", status: "available")
            let host = try await admin.send("GET", "/volumes/\(id)").json["volume"]?["os-vol-host-attr:host"]?.stringValue
            #expect(host == "RegionTwo:regiontwo-volume-1@lvmdriver-1#lvmdriver-1")
            let listed = try await admin.send("GET", "/volumes/detail").json["volumes"]?.arrayValue?.first { $0["id"]?.stringValue == id }
            #expect(listed?["os-vol-host-attr:host"]?.stringValue == host)
            // Tempest's _get_host: the part before '@'.
            let bare = String((host ?? "").split(separator: "@").first ?? "")
            let services = try await admin.send("GET", "/os-services?host=\(bare)&binary=cinder-volume").json["services"]?.arrayValue ?? []
            #expect(services.count == 1)
            #expect(services.first?["host"]?.stringValue?.split(separator: "@").first.map(String.init) == bare)
            // A bare pod host matches its backends too, as Cinder's host filter does.
            let anyRegion = try await admin.send("GET", "/os-services?host=regiontwo-volume-1").json["services"]?.arrayValue ?? []
            #expect(anyRegion.compactMap { $0["host"]?.stringValue } == ["RegionTwo:regiontwo-volume-1@lvmdriver-1"])
        }
    }
}
