import Foundation
import GatewayTestHarness
import OpenStackModels
import RegionSimulator
import Testing
import TricircleCore
import TricircleGateway
import TricircleJobs
import TricircleStore
import TricircleTestSupport

/// A boot naming another project's volume, snapshot, image, network, port or a key pair the caller does not
/// have is refused at the top in Nova's words, before anything reaches a pod (issue 12, item 2).
@Suite("Boot references are authorized at the top")
struct BootReferenceTests {
    /// What demo owns for alt_demo to name.
    struct DemoResources {
        var volume = ""
        var snapshot = ""
        var image = ""
        var network = ""
        var port = ""
    }

    static func volumeURL(_ harness: GatewayHarness, _ token: SimulatedToken) -> String {
        harness.url("volume", projectID: token.projectID)
    }

    static func created(_ reply: HarnessReply, _ what: String, status: Int = 202, _ path: (JSONValue) -> JSONValue?) throws -> String {
        guard reply.status == status, let id = path(reply.json)?.stringValue else {
            throw HarnessError("\(what): \(reply.status) \(reply.text)")
        }
        return id
    }

    /// demo's volume and snapshot (az1) and a private image with data (made present in az2 by a boot there).
    static func demoStorage(_ harness: GatewayHarness) async throws -> DemoResources {
        let demo = try ComputeClient(harness)
        var owned = DemoResources()
        let volumes = volumeURL(harness, demo.token)
        owned.volume = try created(
            try await harness.send("POST", volumes + "/volumes", token: demo.token.id,
                                   body: #"{"volume": {"name": "demo-vol", "size": 1, "availability_zone": "az1"}}"#),
            "volume") { $0["volume"]?["id"] }
        for _ in 0..<300 {
            let shown = try await harness.send("GET", volumes + "/volumes/\(owned.volume)", token: demo.token.id)
            if shown.json["volume"]?["status"] == "available" { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        owned.snapshot = try created(
            try await harness.send("POST", volumes + "/snapshots", token: demo.token.id,
                                   body: #"{"snapshot": {"volume_id": "\#(owned.volume)", "name": "demo-snap"}}"#),
            "snapshot") { $0["snapshot"]?["id"] }
        let images = harness.url("image")
        owned.image = try created(
            try await harness.send("POST", images + "/v2/images", token: demo.token.id,
                                   body: #"{"name": "demo-private", "disk_format": "raw", "container_format": "bare", "visibility": "private"}"#),
            "image", status: 201) { $0["id"] }
        let upload = try await harness.send(
            "PUT", images + "/v2/images/\(owned.image)/file", token: demo.token.id, body: String(repeating: "x", count: 4096),
            headers: [("Content-Type", "application/octet-stream")])
        #expect(upload.status == 204)
        return owned
    }

    /// demo's network (with a subnet) and a port on it.
    static func demoNetworking(_ harness: GatewayHarness, into owned: inout DemoResources) async throws {
        let demo = try harness.token()
        let base = harness.url("network") + "/v2.0"
        owned.network = try created(
            try await harness.send("POST", base + "/networks", token: demo.id, body: #"{"network": {"name": "demo-net"}}"#),
            "network", status: 201) { $0["network"]?["id"] }
        _ = try created(
            try await harness.send("POST", base + "/subnets", token: demo.id,
                                   body: #"{"subnet": {"network_id": "\#(owned.network)", "cidr": "10.9.0.0/24", "ip_version": 4}}"#),
            "subnet", status: 201) { $0["subnet"]?["id"] }
        owned.port = try created(
            try await harness.send("POST", base + "/ports", token: demo.id, body: #"{"port": {"network_id": "\#(owned.network)"}}"#),
            "port", status: 201) { $0["port"]?["id"] }
    }

    /// Expects a refused boot: 400 `badRequest` with Nova's message.
    static func refused(_ client: ComputeClient, _ server: [String: JSONValue], _ message: String,
                        sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let reply = try await client.send("POST", "/servers", ["server": .object(server)])
        #expect(reply.status == 400, "\(reply.text)", sourceLocation: sourceLocation)
        #expect(reply.json["badRequest"]?["message"]?.stringValue == message, "\(reply.text)", sourceLocation: sourceLocation)
    }

    /// Nothing reached a pod for `client`'s project: no server in any pod, no routing row, no job (an image
    /// copy or anything else), and its key pair `key` was not copied to any pod.
    static func nothingSent(_ harness: GatewayHarness, _ client: ComputeClient, key: String? = nil,
                            sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let project = client.token.projectID
        for (region, _) in GatewayHarness.bottomRegions {
            let servers = try await client.direct(region, "/servers")
            #expect(servers.json["servers"]?.arrayValue?.isEmpty == true, "servers in \(region): \(servers.text)", sourceLocation: sourceLocation)
            if let key {
                let copied = try await client.direct(region, "/os-keypairs/\(key)")
                #expect(copied.status == 404, "key pair \(key) copied to \(region)", sourceLocation: sourceLocation)
            }
        }
        let rows = try await harness.runtime.routing.routings.list(filter: RoutingFilter(projectID: project), limit: 100)
        #expect(rows.isEmpty, "routing rows: \(rows)", sourceLocation: sourceLocation)
        let jobs = try await harness.runtime.jobs.list(filter: JobFilter(projectID: project))
        #expect(jobs.isEmpty, "jobs: \(jobs.map(\.type))", sourceLocation: sourceLocation)
    }

    @Test("another project's volume or snapshot in block_device_mapping_v2 is Nova's 400 and reaches no pod", arguments: TestDatabases.backends)
    func blockDevicesOfAnotherProject(_ backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let owned = try await Self.demoStorage(harness)
            let alt = try ComputeClient(harness, user: "alt_demo")
            let public1 = try await alt.image(for: "az1")
            func bdm(_ source: String, _ id: String, root: Bool) -> JSONValue {
                ["source_type": .string(source), "destination_type": "volume", "uuid": .string(id), "boot_index": root ? 0 : 1,
                 "delete_on_termination": false]
            }
            func server(_ devices: [JSONValue], image: String? = nil) -> [String: JSONValue] {
                var server: [String: JSONValue] = [
                    "name": "borrower", "flavorRef": "1", "availability_zone": "az1",
                    "block_device_mapping_v2": .array(devices),
                ]
                if let image { server["imageRef"] = .string(image) }
                return server
            }
            // Boot from the volume: Nova reads the root volume for the image metadata first.
            try await Self.refused(alt, server([bdm("volume", owned.volume, root: true)]),
                                   "Block Device Mapping is Invalid: failed to get volume \(owned.volume).")
            // An extra volume beside an image: Nova's volume lookup.
            try await Self.refused(alt, server([bdm("volume", owned.volume, root: false)], image: public1),
                                   "Volume \(owned.volume) could not be found.")
            try await Self.refused(alt, server([bdm("snapshot", owned.snapshot, root: true)]),
                                   "Snapshot \(owned.snapshot) could not be found.")
            try await Self.refused(alt, server([bdm("snapshot", owned.snapshot, root: false)], image: public1),
                                   "Block Device Mapping is Invalid: failed to get snapshot \(owned.snapshot).")
            try await Self.nothingSent(harness, alt)
            let volumes = Self.volumeURL(harness, try harness.token())
            let volume = try await harness.send("GET", volumes + "/volumes/\(owned.volume)", token: try harness.token().id)
            #expect(volume.json["volume"]?["status"] == "available")

            // The owner and an admin may use it.
            let demo = try ComputeClient(harness)
            let mine = try await demo.send("POST", "/servers", ["server": .object(server([bdm("volume", owned.volume, root: true)]))])
            #expect(mine.status == 202, "\(mine.text)")
            let admin = try ComputeClient(harness, user: "admin")
            let theirs = try await admin.send("POST", "/servers", ["server": .object(server([bdm("snapshot", owned.snapshot, root: true)]))])
            #expect(theirs.status == 202, "\(theirs.text)")
        }
    }

    @Test("another project's private image, as imageRef or block device, is Nova's 400 in every region, even where a copy exists", arguments: TestDatabases.backends)
    func privateImageOfAnotherProject(_ backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let owned = try await Self.demoStorage(harness)
            // demo boots in az2 first: RegionTwo then holds a copy the gateway made with its service user.
            let demo = try ComputeClient(harness)
            let booted = try await demo.boot("owner", az: "az2", extra: ["imageRef": .string(owned.image)])
            try await demo.waitFor(booted, status: "ACTIVE")

            let alt = try ComputeClient(harness, user: "alt_demo")
            for az in ["az1", "az2"] {
                try await Self.refused(
                    alt, ["name": "peek", "flavorRef": "1", "availability_zone": .string(az),
                          "imageRef": .string(owned.image)],
                    "Can not find requested image")
                try await Self.refused(
                    alt, ["name": "peek", "flavorRef": "1", "availability_zone": .string(az),
                          "block_device_mapping_v2": [["source_type": "image", "destination_type": "volume", "uuid": .string(owned.image),
                                                       "boot_index": 0, "volume_size": 1]]],
                    "Block Device Mapping is Invalid: failed to get image \(owned.image).")
            }
            try await Self.nothingSent(harness, alt)
            // An image URL is read by its last segment, as Nova does.
            try await Self.refused(
                alt, ["name": "peek", "flavorRef": "1", "availability_zone": "az2",
                      "imageRef": .string(harness.url("image") + "/v2/images/\(owned.image)")],
                "Can not find requested image")
        }
    }

    @Test("another project's network or port, or a key pair the caller does not have, is Nova's 400 before any image copy or key pair copy", arguments: TestDatabases.backends)
    func networksPortsAndKeys(_ backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            var owned = DemoResources()
            try await Self.demoNetworking(harness, into: &owned)
            let alt = try ComputeClient(harness, user: "alt_demo")
            let key = try await alt.send("POST", "/os-keypairs", ["keypair": ["name": "altkey"]])
            #expect(key.status == 200, "\(key.text)")
            // az2 is not the home region: a boot there that got past the checks would queue an image copy.
            let image = try await alt.image(for: "az2")
            func server(_ networks: JSONValue?, key: String = "altkey") -> [String: JSONValue] {
                var server: [String: JSONValue] = [
                    "name": "intruder", "flavorRef": "1", "availability_zone": "az2", "imageRef": .string(image), "key_name": .string(key),
                ]
                server["networks"] = networks
                return server
            }
            try await Self.refused(alt, server([["uuid": .string(owned.network)]]), "Network \(owned.network) could not be found.")
            try await Self.refused(alt, server([["port": .string(owned.port)]]), "Port id \(owned.port) could not be found.")
            try await Self.refused(alt, server(nil, key: "demo-key-that-alt-lacks"), "Invalid key_name provided.")
            try await Self.nothingSent(harness, alt, key: "altkey")
            // demo's port is still unbound and nothing was made for alt at the top either.
            let port = try await harness.send("GET", harness.url("network") + "/v2.0/ports/\(owned.port)", token: try harness.token().id)
            #expect(port.json["port"]?["device_id"] == "")
            let altPorts = try await harness.send("GET", harness.url("network") + "/v2.0/ports", token: alt.token.id)
            #expect(altPorts.json["ports"]?.arrayValue?.isEmpty == true, "\(altPorts.text)")
        }
    }
}
