import Foundation
import GatewayTestHarness
import OpenStackModels
import RegionSimulator
import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport

/// Volumes created at the top land in the pod of their AZ, and every later call finds them there.
@Suite("Volume routing")
struct VolumeRoutingTests {
    @Test("create in az1 and az2 at the top lands in RegionOne and RegionTwo; show and delete are routed", arguments: TestDatabases.backends)
    func createShowDeleteRouted(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let demo = try VolumeClient(harness)
            let one = try await demo.createVolume(name: "one", zone: "az1")
            let two = try await demo.createVolume(name: "two", zone: "az2")
            let routingOne = try await harness.runtime.routing.resolveOne(topID: one, type: .volume, projectID: demo.token.projectID)
            let routingTwo = try await harness.runtime.routing.resolveOne(topID: two, type: .volume, projectID: demo.token.projectID)
            #expect(routingOne?.podID == (try await harness.pod("RegionOne")).podID)
            #expect(routingTwo?.podID == (try await harness.pod("RegionTwo")).podID)

            let shown = try await demo.send("GET", "/volumes/\(two)")
            #expect(shown.status == 200)
            #expect(shown.json["volume"]?["availability_zone"] == "az2")
            // Links lead back to the gateway, not to the pod.
            #expect(shown.json["volume"]?["links"]?.arrayValue?.first?["href"]?.stringValue?.hasPrefix(harness.origin("volume")) == true)

            try await demo.waitFor("/volumes/\(two)", member: "volume", status: "available")
            let updated = try await demo.send("PUT", "/volumes/\(two)", ["volume": ["name": "renamed"]])
            #expect(updated.status == 200)
            #expect(updated.json["volume"]?["name"] == "renamed")

            #expect(try await demo.send("DELETE", "/volumes/\(two)").status == 202)
            #expect(try await harness.runtime.routing.resolveOne(topID: two, type: .volume, projectID: nil) == nil)
            let gone = try await demo.send("GET", "/volumes/\(two)")
            #expect(gone.status == 404)
            #expect(gone.json["itemNotFound"]?["code"] == 404)
        }
    }

    @Test("an unknown AZ is a 400 badRequest in Cinder's format and creates nothing")
    func unknownZone() async throws {
        try await GatewayHarness.with { harness in
            let demo = try VolumeClient(harness)
            let reply = try await demo.send("POST", "/volumes", ["volume": ["size": 1, "availability_zone": "nowhere"]])
            #expect(reply.status == 400)
            #expect(reply.json["badRequest"]?["message"]?.stringValue?.contains("nowhere") == true)
            #expect(try await demo.walk("/volumes", collection: "volumes").ids.isEmpty)
        }
    }

    @Test("another project's volume is a 404 itemNotFound for show, update, actions and delete")
    func otherProjectIsNotFound() async throws {
        try await GatewayHarness.with { harness in
            let demo = try VolumeClient(harness)
            let alt = try VolumeClient(harness, user: "alt_demo")
            let id = try await demo.createVolume(name: "mine", zone: "az1")
            for (method, path, body) in [
                ("GET", "/volumes/\(id)", nil), ("PUT", "/volumes/\(id)", ["volume": ["name": "x"]] as JSONValue),
                ("POST", "/volumes/\(id)/action", ["os-extend": ["new_size": 3]] as JSONValue), ("DELETE", "/volumes/\(id)", nil),
            ] {
                let reply = try await alt.send(method, path, body)
                #expect(reply.status == 404, "\(method) \(path)")
                #expect(reply.json["itemNotFound"]?["message"]?.stringValue == "Volume \(id) could not be found.")
            }
            #expect(try await alt.walk("/volumes", collection: "volumes").ids.isEmpty)
            // A URL naming another project than the token's is refused as Cinder does.
            let foreign = try await harness.send("GET", harness.url("volume", projectID: demo.token.projectID) + "/volumes", token: alt.token.id)
            #expect(foreign.status == 400)
            #expect(try await demo.send("GET", "/volumes/\(id)").status == 200)
        }
    }

    @Test("os-extend, os-set_bootable and os-update_readonly_flag go to the volume's pod")
    func actions() async throws {
        try await GatewayHarness.with { harness in
            let demo = try VolumeClient(harness)
            let id = try await demo.createVolume(name: "grow", zone: "az2")
            try await demo.waitFor("/volumes/\(id)", member: "volume", status: "available")
            let extend = try await demo.send("POST", "/volumes/\(id)/action", ["os-extend": ["new_size": 2]])
            #expect(extend.status == 202)
            try await demo.waitFor("/volumes/\(id)", member: "volume", status: "available")
            #expect(try await demo.send("GET", "/volumes/\(id)").json["volume"]?["size"] == 2)
            // The pod's own refusal is relayed as it answered.
            let shrink = try await demo.send("POST", "/volumes/\(id)/action", ["os-extend": ["new_size": 1]])
            #expect(shrink.status == 400)
            #expect(shrink.json["badRequest"] != nil)
            #expect(try await demo.send("POST", "/volumes/\(id)/action", ["os-set_bootable": ["bootable": true]]).status == 200)
            #expect(try await demo.send("POST", "/volumes/\(id)/action", ["os-update_readonly_flag": ["readonly": true]]).status == 202)
            let shown = try await demo.send("GET", "/volumes/\(id)")
            #expect(shown.json["volume"]?["bootable"] == "true")
            #expect(shown.json["volume"]?["metadata"]?["readonly"] == "True")
        }
    }

    @Test("attaching to a server in another AZ is a 400 that says so; same-pod attach and metadata are routed")
    func attachAcrossPods() async throws {
        try await GatewayHarness.with { harness in
            let demo = try VolumeClient(harness)
            let id = try await demo.createVolume(name: "disk", zone: "az2")
            try await demo.waitFor("/volumes/\(id)", member: "volume", status: "available")
            // Servers are routed like volumes (top id = bottom id): one recorded in each pod.
            let farServer = UUID().uuidString.lowercased(), nearServer = UUID().uuidString.lowercased()
            try await harness.runtime.routing.record(
                topID: farServer, bottomID: farServer, podID: try await harness.pod("RegionOne").podID,
                projectID: demo.token.projectID, type: .server)
            try await harness.runtime.routing.record(
                topID: nearServer, bottomID: nearServer, podID: try await harness.pod("RegionTwo").podID,
                projectID: demo.token.projectID, type: .server)
            let far = try await demo.send("POST", "/volumes/\(id)/action", ["os-attach": ["instance_uuid": .string(farServer), "mountpoint": "/dev/vdb"]])
            #expect(far.status == 400)
            #expect(far.json["badRequest"]?["message"]?.stringValue?.contains("same availability zone") == true)
            let near = try await demo.send("POST", "/volumes/\(id)/action", ["os-attach": ["instance_uuid": .string(nearServer), "mountpoint": "/dev/vdb"]])
            #expect(near.status == 202)
            #expect(try await demo.send("GET", "/volumes/\(id)").json["volume"]?["status"] == "in-use")
            #expect(try await demo.send("POST", "/volumes/\(id)/action", ["os-detach": [:]]).status == 202)
            let metadata = try await demo.send("POST", "/volumes/\(id)/metadata", ["metadata": ["tier": "gold"]])
            #expect(metadata.status == 200)
            #expect(try await demo.send("GET", "/volumes/\(id)/metadata").json["metadata"]?["tier"] == "gold")
        }
    }

    @Test("a dead region: lists return the other region's volumes, a routed GET is a 503 naming the region")
    func deadRegion() async throws {
        try await GatewayHarness.with(overrides: ["client.list_timeout": "1", "client.pod_timeout": "2"]) { harness in
            let demo = try VolumeClient(harness)
            let one = try await demo.createVolume(name: "one", zone: "az1")
            let two = try await demo.createVolume(name: "two", zone: "az2")
            harness.cloud.setFault(FaultSettings(down: true), region: "RegionOne", service: .volume)
            let listed = try await demo.walk("/volumes/detail", collection: "volumes")
            #expect(listed.ids == [two])
            let routed = try await demo.send("GET", "/volumes/\(one)")
            #expect(routed.status == 503)
            #expect(routed.json["serviceUnavailable"]?["message"]?.stringValue?.contains("RegionOne") == true)
            #expect(try await demo.send("GET", "/volumes/\(two)").status == 200)
            harness.cloud.setFault(FaultSettings(), region: "RegionOne", service: .volume)
            // The circuit opened by the failures keeps refusing for its cool-down, then a probe gets through.
            #expect(try await demo.send("GET", "/volumes/\(one)").status == 503)
        }
    }

    @Test("a black-holed region: the list answers without it, routed calls are 503 (the first after the timeout, later ones at once)")
    func blackHoledRegion() async throws {
        try await GatewayHarness.with(overrides: ["client.list_timeout": "0.5", "client.pod_timeout": "0.5"]) { harness in
            let demo = try VolumeClient(harness)
            let one = try await demo.createVolume(name: "one", zone: "az1")
            let two = try await demo.createVolume(name: "two", zone: "az2")
            harness.cloud.setFault(FaultSettings(blackHole: true), region: "RegionOne", service: .volume)
            #expect(try await demo.walk("/volumes", collection: "volumes").ids == [two])
            for _ in 0..<2 {
                let routed = try await demo.send("GET", "/volumes/\(one)")
                #expect(routed.status == 503)
                #expect(routed.json["serviceUnavailable"]?["message"]?.stringValue?.contains("RegionOne") == true)
                #expect(routed.header("Retry-After") != nil)
            }
            #expect(try await demo.send("GET", "/volumes/\(two)").status == 200)
        }
    }
}
