import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport

@Suite("Compute AZs, limits and quota sets at the top")
struct ComputeCatalogTests {
    @Test("the top's zones are the pods' AZs, available when the pod answers; detail is for admins")
    func zones() async throws {
        try await GatewayHarness.with { harness in
            let demo = try CatalogClient(harness)
            let zones = try await demo.send("GET", "/os-availability-zone")
            #expect(zones.status == 200)
            let info = zones.json["availabilityZoneInfo"]?.arrayValue ?? []
            #expect(info.compactMap { $0["zoneName"]?.stringValue } == ["az1", "az2"])
            #expect(info.allSatisfy { $0["zoneState"]?["available"] == true && $0["hosts"] == .null })
            let denied = try await demo.send("GET", "/os-availability-zone/detail")
            #expect(denied.status == 403)
            #expect(denied.json["forbidden"] != nil)
            let admin = try CatalogClient(harness, user: "admin")
            let detail = try await admin.send("GET", "/os-availability-zone/detail")
            let names = detail.json["availabilityZoneInfo"]?.arrayValue?.compactMap { $0["zoneName"]?.stringValue }
            #expect(names == ["internal", "az1", "az2"])
            #expect(detail.json["availabilityZoneInfo"]?.at(1)?["hosts"]?.objectValue?.isEmpty == false)
        }
    }

    @Test("a pod that does not answer makes its zone unavailable")
    func deadPodZone() async throws {
        try await GatewayHarness.with(overrides: ["client.list_timeout": "0.5"]) { harness in
            let demo = try CatalogClient(harness)
            // A pod registered for a region with no Compute endpoint never answers.
            _ = try await harness.runtime.pods.create(regionName: "CentralRegion-ghost", azName: "az9")
            harness.runtime.podDirectory.invalidate()
            let zones = try await demo.send("GET", "/os-availability-zone")
            let info = zones.json["availabilityZoneInfo"]?.arrayValue ?? []
            #expect(info.first { $0["zoneName"] == "az9" }?["zoneState"]?["available"] == false)
            #expect(info.first { $0["zoneName"] == "az1" }?["zoneState"]?["available"] == true)
        }
    }

    @Test("limits and quota sets come from the top: defaults, admin updates, usage from the quota ledger",
          arguments: TestDatabases.backends)
    func limitsAndQuotas(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let demo = try CatalogClient(harness)
            let admin = try CatalogClient(harness, user: "admin")
            let pod = try await harness.pod("RegionOne")
            _ = try await RoutingStore(store: harness.runtime.store).create(
                topID: "srv-1", bottomID: "srv-1", podID: pod.podID, projectID: demo.projectID, resourceType: .server)
            // What the server holds of the quota, as a boot through the top (or the reconcile job) records it.
            try await QuotaLedger(store: harness.runtime.store).record(
                QuotaHolding(objectType: "server", objectID: "srv-1", projectID: demo.projectID, podID: pod.podID,
                             amounts: ["instances": 1, "cores": 1, "ram": 512]),
                service: "compute")

            let limits = try await demo.send("GET", "/limits")
            #expect(limits.status == 200)
            let absolute = limits.json["limits"]?["absolute"]
            #expect(absolute?["maxTotalInstances"]?.intValue == 10)
            #expect(absolute?["totalInstancesUsed"]?.intValue == 1)
            #expect(absolute?["maxTotalFloatingIps"] != nil)
            #expect(try await demo.send("GET", "/limits", version: "2.57").json["limits"]?["absolute"]?["maxPersonality"] == nil)
            #expect(try await demo.send("GET", "/limits?tenant_id=\(admin.projectID)").status == 403)

            let path = "/os-quota-sets/\(demo.projectID)"
            #expect(try await demo.send("PUT", path, ["quota_set": ["instances": 20]]).status == 403)
            let updated = try await admin.send("PUT", path, ["quota_set": ["instances": 20, "cores": "-1", "force": true]])
            #expect(updated.status == 200)
            #expect(updated.json["quota_set"]?["instances"]?.intValue == 20)
            #expect(try await admin.send("PUT", path, ["quota_set": ["bogus": 1]]).status == 400)
            #expect(try await admin.send("PUT", path, ["quota_set": ["instances": -2]]).status == 400)
            #expect(try await admin.send("PUT", path, ["quota_set": ["floating_ips": 3]], version: "2.36").status == 400)

            let shown = try await demo.send("GET", path)
            #expect(shown.json["quota_set"]?["id"]?.stringValue == demo.projectID)
            #expect(shown.json["quota_set"]?["instances"]?.intValue == 20)
            #expect(shown.json["quota_set"]?["cores"]?.intValue == -1)
            #expect(try await demo.send("GET", "/os-quota-sets/\(admin.projectID)").status == 403)
            let detail = try await demo.send("GET", path + "/detail", version: "2.57")
            #expect(detail.json["quota_set"]?["instances"] == ["limit": 20, "in_use": 1, "reserved": 0])
            #expect(detail.json["quota_set"]?["injected_files"] == nil)
            #expect(try await demo.send("GET", path + "/defaults").json["quota_set"]?["instances"]?.intValue == 10)
            #expect(try await demo.send("GET", "/limits").json["limits"]?["absolute"]?["maxTotalInstances"]?.intValue == 20)

            #expect(try await admin.send("DELETE", path).status == 202)
            #expect(try await demo.send("GET", path).json["quota_set"]?["instances"]?.intValue == 10)
        }
    }
}
