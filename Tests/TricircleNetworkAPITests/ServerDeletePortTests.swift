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

/// Nova's rule for a server's ports, kept at the top: a delete takes the ports its boot made (at the top and
/// in the pod), and leaves the ports the client made and passed in, unbound.
@Suite("Ports released when a server is deleted at the top")
struct ServerDeletePortTests {
    @Test("boot in az2 on a top network plus a user port, delete: the boot's port is gone at the top and in RegionTwo, the user's stays unbound",
          arguments: TestDatabases.backends)
    func deleteReleasesBootPorts(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let neutron = try NeutronClient(harness)
            let (networkID, _) = try await neutron.networkWithSubnet("10.40.0.0/24")
            let userPort = try await neutron.create("ports", "port", ["network_id": .string(networkID), "name": "mine"])
            let userPortID = try #require(userPort["id"]?.stringValue)

            let serverID = try await boot(harness, neutron, networks: [["uuid": .string(networkID)], ["port": .string(userPortID)]])
            let bootPorts = try await neutron.send("GET", "/ports?network_id=\(networkID)&device_owner=compute:az2")
            let bootPortID = try #require(bootPorts.json["ports"]?.at(0)?["id"]?.stringValue)
            #expect(bootPorts.json["ports"]?.arrayValue?.count == 1)
            // Both copies are in RegionTwo and bound to the server there.
            for topID in [bootPortID, userPortID] {
                let copy = try await neutron.direct("RegionTwo", "/ports?name=\(topID)")
                #expect(copy.json["ports"]?.at(0)?["device_id"]?.stringValue == serverID)
            }

            let deleted = try await compute(harness, neutron, "DELETE", "/servers/\(serverID)")
            #expect(deleted.status == 204)
            // What `openstack server delete --wait` does: show until the top answers 404.
            var gone = false
            for _ in 0..<300 where !gone {
                gone = try await compute(harness, neutron, "GET", "/servers/\(serverID)").status == 404
                if !gone { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(gone)

            #expect(try await neutron.send("GET", "/ports?device_id=\(serverID)").json["ports"] == [])
            #expect(try await neutron.send("GET", "/ports/\(bootPortID)").status == 404)
            // The pod's copy goes by job.
            var copyGone = false
            for _ in 0..<300 where !copyGone {
                copyGone = try await neutron.direct("RegionTwo", "/ports?name=\(bootPortID)").json["ports"] == []
                if !copyGone { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(copyGone)
            // The job forgets the routing row right after the pod's delete answered.
            var forgotten = false
            for _ in 0..<300 where !forgotten {
                forgotten = try await harness.runtime.routing.resolve(topID: bootPortID, type: .port, projectID: nil).isEmpty
                if !forgotten { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(forgotten)

            let mine = try await neutron.send("GET", "/ports/\(userPortID)")
            #expect(mine.status == 200)
            #expect(mine.json["port"]?["device_id"] == "")
            #expect(mine.json["port"]?["device_owner"] == "")
            #expect(mine.json["port"]?["name"] == "mine")
            let mineInPod = try await neutron.direct("RegionTwo", "/ports?name=\(userPortID)")
            #expect(mineInPod.json["ports"]?.arrayValue?.count == 1)
            #expect(mineInPod.json["ports"]?.at(0)?["device_id"] == "")

            // The user's port can carry the next boot in the same region.
            let again = try await boot(harness, neutron, networks: [["port": .string(userPortID)]])
            let rebound = try await neutron.direct("RegionTwo", "/ports?name=\(userPortID)")
            #expect(rebound.json["ports"]?.at(0)?["device_id"]?.stringValue == again)
        }
    }

    @Test("a user's port is free for the next boot as soon as the pod has unbound it, even before the top saw the delete finish")
    func portReusableBeforeTheTopSeesTheDeleteFinish() async throws {
        try await GatewayHarness.with { harness in
            let neutron = try NeutronClient(harness)
            let (networkID, _) = try await neutron.networkWithSubnet("10.41.0.0/24")
            let userPort = try await neutron.create("ports", "port", ["network_id": .string(networkID), "name": "mine"])
            let userPortID = try #require(userPort["id"]?.stringValue)
            let first = try await boot(harness, neutron, networks: [["port": .string(userPortID)]])
            #expect(try await compute(harness, neutron, "DELETE", "/servers/\(first)").status == 204)
            // No show in between: the top still routes the (deleting) server and has the port bound to it.
            let second = try await boot(harness, neutron, networks: [["port": .string(userPortID)]])
            #expect(second != first)
            let copy = try await neutron.direct("RegionTwo", "/ports?name=\(userPortID)")
            #expect(copy.json["ports"]?.at(0)?["device_id"]?.stringValue == second)
            // A port really in use is still refused.
            let third = try await compute(harness, neutron, "POST", "/servers", ["server": [
                "name": "vm", "flavorRef": "1", "imageRef": .string(try #require(harness.cloud.store(region: "RegionOne")?.seededImageID)),
                "availability_zone": "az2", "networks": [["port": .string(userPortID)]],
            ]])
            #expect(third.status == 409)
        }
    }

    @Test("servers deleted without waiting: once the pod has them gone, the top's subnet and network can be deleted (their boot ports are reclaimed)",
          arguments: TestDatabases.backends)
    func subnetDeleteReclaimsPortsOfServersDeletedWithoutWaiting(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let neutron = try NeutronClient(harness)
            let (networkID, subnetID) = try await neutron.networkWithSubnet("10.42.0.0/24")
            let servers = [try await boot(harness, neutron, networks: [["uuid": .string(networkID)]]),
                           try await boot(harness, neutron, networks: [["uuid": .string(networkID)]])]
            for id in servers { #expect(try await compute(harness, neutron, "DELETE", "/servers/\(id)").status == 204) }
            // The top never shows the servers again; only the pod (asked directly) says they are gone.
            var podDone = false
            for _ in 0..<300 where !podDone {
                let ports = try await neutron.direct("RegionTwo", "/ports?network_id=\(try #require(try await podNetwork(neutron, networkID)))")
                podDone = !(ports.json["ports"]?.arrayValue ?? []).contains { servers.contains($0["device_id"]?.stringValue ?? "") }
                if !podDone { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(podDone)
            #expect(try await neutron.send("DELETE", "/subnets/\(subnetID)").status == 204)
            #expect(try await neutron.send("GET", "/ports?network_id=\(networkID)&device_owner=compute:az2").json["ports"] == [])
            #expect(try await neutron.send("DELETE", "/networks/\(networkID)").status == 204)
        }
    }

    @Test("a boot whose answer comes after the gateway gave up: 503 to the client, then the server is adopted (routed, its top port bound)",
          arguments: TestDatabases.backends)
    func lateAnswerIsAdopted(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend, overrides: ["client.pod_timeout": "0.5"]) { harness in
            let neutron = try NeutronClient(harness)
            let (networkID, _) = try await neutron.networkWithSubnet("10.43.0.0/24")
            let image = try #require(harness.cloud.store(region: "RegionOne")?.seededImageID)
            // The image copy is made before the slow create, so only the create itself is late.
            let first = try await boot(harness, neutron, networks: [["uuid": .string(networkID)]])
            harness.cloud.setFault(FaultSettings(answerDelayMs: 1500), region: "RegionTwo", service: .compute)
            let reply = try await compute(harness, neutron, "POST", "/servers", ["server": [
                "name": "late", "flavorRef": "1", "imageRef": .string(image), "availability_zone": "az2",
                "networks": [["uuid": .string(networkID)]],
            ]])
            #expect(reply.status == 503)
            harness.cloud.resetFaults()
            // The pod made it: the adoption job records it and binds the boot's top port to it.
            var serverID: String?
            for _ in 0..<500 where serverID == nil {
                let ports = try await neutron.send("GET", "/ports?network_id=\(networkID)&device_owner=compute:az2")
                serverID = ports.json["ports"]?.arrayValue?.compactMap { $0["device_id"]?.stringValue }.first { !$0.isEmpty && $0 != first }
                if serverID == nil { try await Task.sleep(for: .milliseconds(20)) }
            }
            let id = try #require(serverID)
            // Routed at the top to RegionTwo, where the server is the one named "late" (asked directly: the
            // gateway's circuit to RegionTwo's Nova stays open for a while after the timeout).
            let row = try await harness.runtime.routing.resolveOne(topID: id, type: .server, projectID: nil)
            #expect(row?.podID == (try await harness.runtime.podDirectory.bottomPods().first { $0.regionName == "RegionTwo" }?.podID))
            let admin = try harness.token(user: "admin")
            let endpoint = try #require(harness.cloud.endpoint(region: "RegionTwo", service: .compute))
            #expect(try await harness.send("GET", endpoint + "/servers/\(id)", token: admin.id).json["server"]?["name"] == "late")
        }
    }

    @Test("a boot the pod answered, accepted or refused, leaves no adoption job behind (an unanswered one: lateAnswerIsAdopted)")
    func settledBootsLeaveNoAdoptionJob() async throws {
        try await GatewayHarness.with { harness in
            let neutron = try NeutronClient(harness)
            let (networkID, _) = try await neutron.networkWithSubnet("10.44.0.0/24")
            func adoptionJobs() async throws -> Int {
                try await harness.runtime.jobs.list(filter: JobFilter(type: "server_adopt")).count
            }
            _ = try await boot(harness, neutron, networks: [["uuid": .string(networkID)]])
            #expect(try await adoptionJobs() == 0)
            let image = try #require(harness.cloud.store(region: "RegionOne")?.seededImageID)
            // The pod refuses (an error status it answers): settled as well.
            harness.cloud.setFault(FaultSettings(errorRate: 1, errorStatus: 500), region: "RegionTwo", service: .compute)
            let refused = try await compute(harness, neutron, "POST", "/servers", ["server": [
                "name": "refused", "flavorRef": "1", "imageRef": .string(image), "availability_zone": "az2",
                "networks": [["uuid": .string(networkID)]],
            ]])
            harness.cloud.resetFaults()
            #expect(refused.status >= 400)
            #expect(try await adoptionJobs() == 0)
        }
    }

    /// The id of the pod's copy of a top network in RegionTwo (named by the top id).
    func podNetwork(_ neutron: NeutronClient, _ topID: String) async throws -> String? {
        try await neutron.direct("RegionTwo", "/networks?name=\(topID)").json["networks"]?.at(0)?["id"]?.stringValue
    }

    /// A call to the top's Compute API as the test's user.
    func compute(_ harness: GatewayHarness, _ neutron: NeutronClient, _ method: String, _ path: String, _ body: JSONValue? = nil) async throws -> HarnessReply {
        try await harness.send(method, harness.url("compute") + path, token: neutron.token.id,
                               body: body.map { String(decoding: $0.encoded(), as: UTF8.self) })
    }

    /// Boots through the top in az2 and waits until the server is ACTIVE; returns its id.
    func boot(_ harness: GatewayHarness, _ neutron: NeutronClient, networks: JSONValue) async throws -> String {
        // The home region's image: the image provisioner copies it to the boot's pod.
        let image = try #require(harness.cloud.store(region: "RegionOne")?.seededImageID)
        let reply = try await compute(harness, neutron, "POST", "/servers", ["server": [
            "name": "vm", "flavorRef": "1", "imageRef": .string(image), "availability_zone": "az2", "networks": networks,
        ]])
        guard reply.status == 202, let id = reply.json["server"]?["id"]?.stringValue else {
            throw HarnessError("boot failed: \(reply.status) \(reply.text)")
        }
        for _ in 0..<300 {
            if try await compute(harness, neutron, "GET", "/servers/\(id)").json["server"]?["status"] == "ACTIVE" { return id }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw HarnessError("server \(id) never became ACTIVE")
    }
}
