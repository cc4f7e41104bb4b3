import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import OpenStackClient
import TricircleCore

/// Snapshots follow their volume's pod; volume types are merged by name; microversions are negotiated.
@Suite("Snapshots, types and versions")
struct SnapshotTypeVersionTests {
    @Test("a snapshot is made in its volume's pod, listed merged, shown and deleted routed; a clone must stay in that AZ")
    func snapshots() async throws {
        try await GatewayHarness.with { harness in
            let demo = try VolumeClient(harness)
            let volume = try await demo.createVolume(name: "src", zone: "az2")
            try await demo.waitFor("/volumes/\(volume)", member: "volume", status: "available")
            let created = try await demo.send("POST", "/snapshots", ["snapshot": ["volume_id": .string(volume), "name": "snap"]])
            #expect(created.status == 202)
            let snapshot = created.json["snapshot"]?["id"]?.stringValue ?? ""
            let row = try await harness.runtime.routing.resolveOne(topID: snapshot, type: .snapshot, projectID: demo.token.projectID)
            #expect(row?.podID == (try await harness.pod("RegionTwo")).podID)
            try await demo.waitFor("/snapshots/\(snapshot)", member: "snapshot", status: "available")
            #expect(try await demo.walk("/snapshots/detail?limit=1", collection: "snapshots").ids == [snapshot])

            let crossAZ = try await demo.send("POST", "/volumes", ["volume": ["snapshot_id": .string(snapshot), "availability_zone": "az1"]])
            #expect(crossAZ.status == 400)
            #expect(crossAZ.json["badRequest"]?["message"]?.stringValue?.contains("same availability zone") == true)
            let clone = try await demo.send("POST", "/volumes", ["volume": ["snapshot_id": .string(snapshot), "name": "clone"]])
            #expect(clone.status == 202)
            #expect(clone.json["volume"]?["availability_zone"] == "az2")
            let cloneID = clone.json["volume"]?["id"]?.stringValue ?? ""
            try await demo.waitFor("/volumes/\(cloneID)", member: "volume", status: "available")
            #expect(try await demo.send("DELETE", "/volumes/\(cloneID)").status == 202)

            let missing = try await demo.send("POST", "/snapshots", ["snapshot": ["volume_id": "nope"]])
            #expect(missing.status == 404)
            #expect(try await demo.send("DELETE", "/snapshots/\(snapshot)").status == 202)
            #expect(try await demo.send("GET", "/snapshots/\(snapshot)").status == 404)
            #expect(try await harness.runtime.routing.resolveOne(topID: snapshot, type: .snapshot, projectID: nil) == nil)
        }
    }

    @Test("types are listed once per name; an admin's new type exists in every pod and can be used in any AZ")
    func types() async throws {
        try await GatewayHarness.with { harness in
            let demo = try VolumeClient(harness)
            let admin = try VolumeClient(harness, user: "admin")
            let names = try await demo.send("GET", "/types").json["volume_types"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
            #expect(names == ["__DEFAULT__", "lvmdriver-1"])
            #expect(try await demo.send("POST", "/types", ["volume_type": ["name": "fast"]]).status == 403)
            let created = try await admin.send("POST", "/types", ["volume_type": ["name": "fast"]])
            #expect(created.status == 200)
            let topID = created.json["volume_type"]?["id"]?.stringValue ?? ""
            // The top id (RegionOne's) works for a create in RegionTwo: mapped by name.
            let volume = try await demo.createVolume(name: "typed", zone: "az2", extra: ["volume_type": .string(topID)])
            #expect(try await demo.send("GET", "/volumes/\(volume)").json["volume"]?["volume_type"] == "fast")
            try await demo.waitFor("/volumes/\(volume)", member: "volume", status: "available")
            // A retype to a type named by its top id (RegionOne's) is mapped by name in RegionTwo too.
            let lvm = try await demo.send("GET", "/types").json["volume_types"]?.arrayValue?
                .first { $0["name"] == "lvmdriver-1" }?["id"]?.stringValue ?? ""
            let retype = try await demo.send("POST", "/volumes/\(volume)/action", ["os-retype": ["new_type": .string(lvm)]])
            #expect(retype.status == 202)
            try await demo.waitFor("/volumes/\(volume)", member: "volume", status: "available")
            #expect(try await demo.send("GET", "/volumes/\(volume)").json["volume"]?["volume_type"] == "lvmdriver-1")
            #expect(try await demo.send("DELETE", "/volumes/\(volume)").status == 202)
            // Extra specs set at the top reach the type in every pod.
            let specs = try await admin.send("POST", "/types/\(topID)/extra_specs", ["extra_specs": ["tier": "gold"]])
            #expect(specs.status == 200)
            #expect(try await demo.send("POST", "/types/\(topID)/extra_specs", ["extra_specs": ["tier": "tin"]]).status == 403)
            for region in ["RegionOne", "RegionTwo"] {
                let pod = try await harness.pod(region)
                let direct = try await harness.runtime.regions.send(
                    .get("/types/fast"), region: pod.regionName, serviceType: "volumev3",
                    as: .init(token: admin.token.id, projectID: admin.token.projectID))
                let podTypeID = direct.status == 200 ? ((try? JSONValue(data: direct.data))?["volume_type"]?["id"]?.stringValue ?? "") : ""
                let podSpecs = try await harness.runtime.regions.send(
                    .get("/types/\(podTypeID)/extra_specs/tier"), region: pod.regionName, serviceType: "volumev3",
                    as: .init(token: admin.token.id, projectID: admin.token.projectID))
                #expect((try? JSONValue(data: podSpecs.data))?["tier"] == "gold", "\(region)")
            }
            #expect(try await admin.send("DELETE", "/types/\(topID)/extra_specs/tier").status == 202)
            #expect(try await admin.send("GET", "/types/\(topID)/extra_specs/tier").status == 404)
            #expect(try await admin.send("DELETE", "/types/\(topID)").status == 202)
            let after = try await demo.send("GET", "/types").json["volume_types"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
            #expect(after == ["__DEFAULT__", "lvmdriver-1"])
        }
    }

    @Test("limits add up the project's usage over every region; AZs come from the registered pods")
    func limitsAndZones() async throws {
        try await GatewayHarness.with { harness in
            let demo = try VolumeClient(harness)
            _ = try await demo.createVolume(name: "a", zone: "az1", size: 2)
            _ = try await demo.createVolume(name: "b", zone: "az2", size: 3)
            let absolute = try await demo.send("GET", "/limits").json["limits"]?["absolute"]
            #expect(absolute?["totalVolumesUsed"] == 2)
            #expect(absolute?["totalGigabytesUsed"] == 5)
            let zones = try await demo.send("GET", "/os-availability-zone").json["availabilityZoneInfo"]?.arrayValue
            #expect(zones?.compactMap { $0["zoneName"]?.stringValue } == ["az1", "az2"])
        }
    }

    @Test("quota sets are one per project over every region (not the regions' added up); usage counted at the top")
    func quotaSets() async throws {
        try await GatewayHarness.with { harness in
            let demo = try VolumeClient(harness)
            let admin = try VolumeClient(harness, user: "admin")
            _ = try await demo.createVolume(name: "a", zone: "az1")
            _ = try await demo.createVolume(name: "b", zone: "az2")
            let project = demo.token.projectID
            let defaults = try await demo.send("GET", "/os-quota-sets/\(project)/defaults").json["quota_set"]?["volumes"]?.intValue ?? 0
            #expect(try await demo.send("PUT", "/os-quota-sets/\(project)", ["quota_set": ["volumes": 7]]).status == 403)
            let set = try await admin.send("PUT", "/os-quota-sets/\(project)", ["quota_set": ["volumes": 7]])
            #expect(set.status == 200)
            #expect(set.json["quota_set"]?["volumes"] == 7)
            let shown = try await demo.send("GET", "/os-quota-sets/\(project)?usage=true").json["quota_set"]?["volumes"]
            #expect(shown?["limit"] == 7)
            #expect(shown?["in_use"] == 2)
            #expect(defaults == 10)
            #expect(try await demo.send("GET", "/os-quota-sets/\(project)").json["quota_set"]?["volumes"] == 7)
            #expect(try await demo.send("DELETE", "/os-quota-sets/\(project)").status == 403)
            #expect(try await admin.send("DELETE", "/os-quota-sets/\(project)").status == 200)
            #expect(try await demo.send("GET", "/os-quota-sets/\(project)").json["quota_set"]?["volumes"] == 10)
        }
    }

    @Test("version documents carry the pods' common range; out of range is 406, latest resolves to the maximum")
    func versions() async throws {
        try await GatewayHarness.with { harness in
            let root = try await harness.send("GET", harness.origin("volume") + "/", token: nil)
            #expect(root.status == 300)
            let v3 = root.json["versions"]?.arrayValue?.first
            #expect(v3?["id"] == "v3.0")
            #expect(v3?["min_version"] == "3.0")
            let max = v3?["version"]?.stringValue ?? ""
            #expect(max == "3.71")
            #expect(try await harness.send("GET", harness.origin("volume") + "/v3", token: nil).status == 200)

            let demo = try VolumeClient(harness)
            let tooNew = try await demo.send("GET", "/volumes", headers: [("OpenStack-API-Version", "volume 3.99")])
            #expect(tooNew.status == 406)
            #expect(tooNew.json["computeFault"]?["code"] == 406)
            let latest = try await demo.send("GET", "/volumes", headers: [("OpenStack-API-Version", "volume latest")])
            #expect(latest.header("OpenStack-API-Version") == "volume \(max)")
            let malformed = try await demo.send("GET", "/volumes", headers: [("OpenStack-API-Version", "volume three")])
            #expect(malformed.status == 400)
            // The negotiated version reaches the pod: 3.63 adds volume_type_id to a volume.
            let id = try await demo.createVolume(name: "mv", zone: "az1")
            let at363 = try await demo.send("GET", "/volumes/\(id)", headers: [("OpenStack-API-Version", "volume 3.63")])
            #expect(at363.json["volume"]?["volume_type_id"] != nil)
            #expect(at363.header("OpenStack-API-Version") == "volume 3.63")
            #expect(try await demo.send("GET", "/volumes/\(id)").json["volume"]?["volume_type_id"] == nil)
        }
    }
}
