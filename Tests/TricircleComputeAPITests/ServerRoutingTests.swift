import Foundation
import GatewayTestHarness
import SQLKit
import OpenStackModels
import RegionSimulator
import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport

/// Servers booted at the top land in the pod of their AZ, and every later call finds them there.
@Suite("Server routing")
struct ServerRoutingTests {
    @Test("boots in az1 and az2 land in RegionOne and RegionTwo; show, update and delete are routed", arguments: TestDatabases.backends)
    func bootShowDelete(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let client = try ComputeClient(harness)
            let one = try await client.boot("vm-one", az: "az1", extra: ["metadata": ["k": "v"], "description": "kept"])
            let two = try await client.boot("vm-two", az: "az2")
            // Each server exists only in its AZ's region, under the same id.
            #expect(try await client.direct("RegionOne", "/servers/\(one)").status == 200)
            #expect(try await client.direct("RegionTwo", "/servers/\(one)").status == 404)
            #expect(try await client.direct("RegionTwo", "/servers/\(two)").status == 200)
            // Every field of the request reached the pod.
            let inPod = try await client.direct("RegionOne", "/servers/\(one)", version: "2.19").json["server"]
            #expect(inPod?["metadata"]?["k"] == "v")
            #expect(inPod?["description"] == "kept")
            let rows = try await harness.runtime.routing.resolve(topID: two, type: .server, projectID: client.token.projectID)
            #expect(rows.map(\.podID) == [try await harness.pod("RegionTwo").podID])

            try await client.waitFor(two, status: "ACTIVE")
            let shown = try await client.send("GET", "/servers/\(two)")
            #expect(shown.status == 200)
            #expect(shown.json["server"]?["OS-EXT-AZ:availability_zone"] == "az2")
            // The image is shown by the id the client booted with, even when the pod holds a copy.
            let image = try await client.image(for: "az2")
            #expect(shown.json["server"]?["image"]?["id"]?.stringValue == image)
            let listedImage = try await client.send("GET", "/servers/detail").json["servers"]?.arrayValue?
                .first { $0["id"]?.stringValue == two }?["image"]?["id"]?.stringValue
            #expect(listedImage == image)
            // Links lead back through the gateway.
            let selfLink = shown.json["server"]?["links"]?.arrayValue?.first { $0["rel"] == "self" }?["href"]?.stringValue
            #expect(selfLink == harness.origin("compute") + "/v2.1/servers/\(two)")

            // The same resources with the project id in the path, as older catalogs have it.
            let projectBase = harness.origin("compute") + "/v2.1/" + client.token.projectID
            #expect(try await client.send("GET", projectBase + "/servers/\(one)").status == 200)
            #expect(try await client.send("GET", projectBase + "/servers").json["servers"]?.arrayValue?.count == 2)
            let wrongProject = try await client.send("GET", harness.origin("compute") + "/v2.1/someone-else/servers/\(one)")
            #expect(wrongProject.status == 400)

            let renamed = try await client.send("PUT", "/servers/\(one)", ["server": ["name": "renamed"]])
            #expect(renamed.status == 200)
            #expect(renamed.json["server"]?["name"] == "renamed")

            let deleted = try await client.send("DELETE", "/servers/\(two)")
            #expect(deleted.status == 204)
            // Nova deletes asynchronously; the top forgets the server once its pod says it is gone.
            var gone = try await client.send("GET", "/servers/\(two)")
            for _ in 0..<300 where gone.status != 404 {
                try await Task.sleep(for: .milliseconds(10))
                gone = try await client.send("GET", "/servers/\(two)")
            }
            #expect(gone.status == 404)
            #expect(try await client.direct("RegionTwo", "/servers/\(two)").status == 404)
            #expect(try await harness.runtime.routing.resolve(topID: two, type: .server, projectID: nil).isEmpty)
            #expect(gone.json["itemNotFound"]?["message"]?.stringValue == "Instance \(two) could not be found.")
        }
    }

    @Test("an unknown AZ is a 400 in Nova's format and nothing is created")
    func unknownAZ() async throws {
        try await GatewayHarness.with { harness in
            let client = try ComputeClient(harness)
            let reply = try await client.send("POST", "/servers", [
                "server": ["name": "x", "flavorRef": "1", "imageRef": .string(try await client.image(for: "az1")), "availability_zone": "nowhere"]
            ])
            #expect(reply.status == 400)
            #expect(reply.json["badRequest"]?["message"] == "The requested availability zone is not available")
            #expect(reply.json["badRequest"]?["code"] == 400)
            let malformed = try await client.send("POST", "/servers", ["nothing": true])
            #expect(malformed.status == 400)
            #expect(malformed.json["badRequest"] != nil)
        }
    }

    @Test("another project's server is 404 for show, action and delete; an admin reaches it")
    func otherProject() async throws {
        try await GatewayHarness.with { harness in
            let owner = try ComputeClient(harness)
            let id = try await owner.boot("private", az: "az1")
            let other = try ComputeClient(harness, user: "alt_demo")
            #expect(try await other.send("GET", "/servers/\(id)").status == 404)
            #expect(try await other.send("POST", "/servers/\(id)/action", ["os-stop": nil]).status == 404)
            #expect(try await other.send("DELETE", "/servers/\(id)").status == 404)
            #expect(try await other.send("GET", "/servers/\(id)/metadata").status == 404)
            let admin = try ComputeClient(harness, user: "admin")
            #expect(try await admin.send("GET", "/servers/\(id)").status == 200)
            #expect(try await owner.send("GET", "/servers/\(id)").status == 200)
        }
    }

    @Test("actions, metadata, tags and console output reach the server's pod")
    func actions() async throws {
        try await GatewayHarness.with { harness in
            let client = try ComputeClient(harness)
            let id = try await client.boot("acting", az: "az2")
            try await client.waitFor(id, status: "ACTIVE")
            #expect(try await client.send("POST", "/servers/\(id)/action", ["os-stop": nil]).status == 202)
            try await client.waitFor(id, status: "SHUTOFF")
            #expect(try await client.send("POST", "/servers/\(id)/action", ["os-start": nil]).status == 202)
            try await client.waitFor(id, status: "ACTIVE")
            #expect(try await client.send("POST", "/servers/\(id)/action", ["reboot": ["type": "SOFT"]]).status == 202)
            try await client.waitFor(id, status: "ACTIVE")
            #expect(try await client.send("POST", "/servers/\(id)/action", ["lock": nil]).status == 202)
            let locked = try await client.send("GET", "/servers/\(id)", version: "2.9")
            #expect(locked.json["server"]?["locked"] == true)
            #expect(try await client.send("POST", "/servers/\(id)/action", ["unlock": nil]).status == 202)
            let console = try await client.send("POST", "/servers/\(id)/action", ["os-getConsoleOutput": ["length": 5]])
            #expect(console.status == 200)
            #expect(console.json["output"]?.stringValue?.isEmpty == false)

            let meta = try await client.send("PUT", "/servers/\(id)/metadata/color", ["meta": ["color": "blue"]])
            #expect(meta.status == 200)
            #expect(try await client.send("GET", "/servers/\(id)/metadata").json["metadata"]?["color"] == "blue")
            #expect(try await client.send("PUT", "/servers/\(id)/tags/blue", version: "2.26").status == 201)
            #expect(try await client.send("GET", "/servers/\(id)/tags", version: "2.26").json["tags"] == ["blue"])
            #expect(try await client.send("GET", "/servers/\(id)/ips").status == 200)
            let unknown = try await client.send("POST", "/servers/\(id)/action", ["no-such-action": nil])
            #expect(unknown.status >= 400 && unknown.status < 500)
        }
    }

    @Test("a volume in another pod cannot be attached; one in the server's pod can")
    func crossPodVolume() async throws {
        try await GatewayHarness.with { harness in
            let client = try ComputeClient(harness)
            let id = try await client.boot("attacher", az: "az1")
            try await client.waitFor(id, status: "ACTIVE")
            // Volumes recorded as the Block Storage front-end records them: same id at the top and below.
            let far = UUID().uuidString.lowercased()
            try await harness.runtime.routing.record(
                topID: far, bottomID: far, podID: try await harness.pod("RegionTwo").podID, projectID: client.token.projectID, type: .volume)
            let refused = try await client.send("POST", "/servers/\(id)/os-volume_attachments", ["volumeAttachment": ["volumeId": .string(far)]])
            #expect(refused.status == 400)
            let message = refused.json["badRequest"]?["message"]?.stringValue ?? ""
            #expect(message.contains("az2") && message.contains("az1") && message.contains(far))

            // Booting from it in az1 is refused the same way, before anything reaches a pod.
            let boot = try await client.send("POST", "/servers", [
                "server": [
                    "name": "bfv", "flavorRef": "1", "availability_zone": "az1",
                    "block_device_mapping_v2": [["boot_index": 0, "uuid": .string(far), "source_type": "volume", "destination_type": "volume"]],
                ]
            ])
            #expect(boot.status == 400)
            #expect(boot.json["badRequest"]?["message"]?.stringValue?.contains("az2") == true)
            #expect(try await client.send("GET", "/servers?name=bfv").json["servers"]?.arrayValue?.isEmpty == true)
        }
    }

    @Test("a multiple create records every server of the reservation; return_reservation_id answers the reservation")
    func multipleCreate() async throws {
        try await GatewayHarness.with { harness in
            let client = try ComputeClient(harness)
            let image = try await client.image(for: "az2")
            let reply = try await client.send("POST", "/servers", [
                "server": ["name": "many", "flavorRef": "1", "imageRef": .string(image), "availability_zone": "az2", "min_count": 2, "max_count": 3]
            ])
            #expect(reply.status == 202)
            let first = reply.json["server"]?["id"]?.stringValue ?? ""
            #expect(!first.isEmpty)
            let listed = try await client.send("GET", "/servers?name=many")
            let ids = listed.json["servers"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            #expect(ids.count == 3)
            #expect(ids.contains(first))
            for id in ids { #expect(try await client.send("GET", "/servers/\(id)").status == 200) }

            let reserved = try await client.send("POST", "/servers", [
                "server": ["name": "reserved", "flavorRef": "1", "imageRef": .string(image), "availability_zone": "az2", "return_reservation_id": true]
            ])
            #expect(reserved.status == 202)
            #expect(reserved.json["reservation_id"]?.stringValue?.hasPrefix("r-") == true)
            let one = try await client.send("GET", "/servers?name=reserved").json["servers"]?.arrayValue?.first?["id"]?.stringValue ?? ""
            #expect(try await client.send("GET", "/servers/\(one)").status == 200)
        }
    }

    @Test("a server the gateway cannot record is deleted again in its pod: no orphan is left")
    func noOrphanWhenRecordingFails() async throws {
        try await GatewayHarness.with { harness in
            let client = try ComputeClient(harness)
            let image = try await client.image(for: "az1")
            // The state store refuses server routings (as a failing database would) while everything a
            // boot prepares still works, so the pod accepts the boot and recording it fails.
            try await harness.runtime.store.transaction { db in
                try await db.raw("""
                    CREATE TRIGGER refuse_servers BEFORE INSERT ON resource_routings
                    WHEN NEW.resource_type = 'server' BEGIN SELECT RAISE(ABORT, 'refused'); END
                    """).run()
            }
            let reply = try await client.send("POST", "/servers", [
                "server": ["name": "orphan", "flavorRef": "1", "imageRef": .string(image), "availability_zone": "az1"]
            ])
            #expect(reply.status >= 500)
            #expect(reply.json["computeFault"] != nil)
            var left = try await client.direct("RegionOne", "/servers").json["servers"]?.arrayValue ?? []
            for _ in 0..<300 where !left.isEmpty {
                try await Task.sleep(for: .milliseconds(10))
                left = try await client.direct("RegionOne", "/servers").json["servers"]?.arrayValue ?? []
            }
            #expect(left.isEmpty)
        }
    }
}
