import Foundation
import GatewayTestHarness
import OpenStackModels
import RegionSimulator
import Synchronization
import Testing
import TricircleCore
import TricircleGateway
import TricircleStore
import TricircleTestSupport
@testable import TricircleDatabaseAPI

/// A Trove instance its region no longer has is forgotten as a gone server is (`GoneServers`): the top port
/// its `nics` made goes first, then the routing row, so the top never answers 404 for the instance while
/// that port is still there.
@Suite struct GoneInstancePortTests {
    @Test("a client asking while the top forgets a deleted instance gets 404 only once its nics port is gone, at the top and then in the region",
          arguments: TestDatabases.backends)
    func noNotFoundWhileThePortIsStillThere(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { h in
            let db = try DatabaseClient(h)
            let neutron = h.origin("network") + "/v2.0"
            let net = try await h.send("POST", neutron + "/networks", token: db.token.id, body: #"{"network": {"name": "dbnet"}}"#)
            let netID = try #require(net.json["network"]?["id"]?.stringValue)
            let subnet = try await h.send("POST", neutron + "/subnets", token: db.token.id,
                                          body: #"{"subnet": {"network_id": "\#(netID)", "cidr": "10.21.0.0/24", "ip_version": 4}}"#)
            #expect(subnet.status == 201)
            let id = try await db.createdID(["region_name": "RegionTwo", "nics": [["net-id": .string(netID)]]])
            try await db.waitFor(id, status: "ACTIVE")
            let portID = try #require(try await h.send("GET", neutron + "/ports?device_id=\(id)", token: db.token.id)
                .json["ports"]?.arrayValue?.first?["id"]?.stringValue)
            #expect(try await Self.regionPorts(h, db, named: portID).count == 1)

            // Deleted in RegionTwo behind the top's back, so the top still routes it.
            let deleted = try await h.send("DELETE", db.troveURL("RegionTwo") + "/instances/\(id)", token: db.token.id)
            #expect(deleted.status == 202, "\(deleted.text)")
            for _ in 0..<300 where try await db.direct("RegionTwo", "/instances/\(id)").status != 404 {
                try await Task.sleep(for: .milliseconds(10))
            }

            // The top forgets it with the front-end's own provisioner, wrapped so that a client asks for the
            // instance and then its port just before the ports are released: with the routing row dropped
            // first, that client got 404 for the instance while its port was still at the top (404 then 200).
            let frontEnd = try #require(h.assembly.frontEnds.lazy.compactMap { $0 as? DatabaseFrontEnd }.first)
            let network = try #require(frontEnd.api.network)
            let probe = ProbingNetwork(network) {
                let shown = try await db.send("GET", "/instances/\(id)").status
                let port = try await h.send("GET", neutron + "/ports/\(portID)", token: db.token.id).status
                return [shown, port]
            }
            var api = frontEnd.api
            api.network = probe
            await api.forget(id, in: try await h.pod("RegionTwo"), context: .gateway(projectID: db.token.projectID))
            // The client's show found the instance still routed, asked RegionTwo, and got its 404 only after
            // the top had forgotten it the same way (port first); the port was gone when it asked.
            #expect(probe.seen == [[404, 404]])

            #expect(try await h.runtime.routing.resolveOne(topID: id, type: .databaseInstance, projectID: nil) == nil)
            #expect(try await h.send("GET", neutron + "/ports/\(portID)", token: db.token.id).status == 404)
            var copies = try await Self.regionPorts(h, db, named: portID)
            for _ in 0..<300 where !copies.isEmpty {
                try await Task.sleep(for: .milliseconds(10))
                copies = try await Self.regionPorts(h, db, named: portID)
            }
            #expect(copies.isEmpty, "the nics port's copy is still in RegionTwo")
        }
    }

    /// RegionTwo's own Neutron, asked directly: its ports named by a top port id (the top's copies).
    static func regionPorts(_ h: GatewayHarness, _ db: DatabaseClient, named topID: String) async throws -> [JSONValue] {
        let endpoint = try #require(h.cloud.endpoint(region: "RegionTwo", service: .network))
        let reply = try await h.send("GET", endpoint + "/v2.0/ports?name=\(topID)", token: db.token.id)
        guard reply.status == 200 else { throw HarnessError("RegionTwo's Neutron: \(reply.status) \(reply.text)") }
        return reply.json["ports"]?.arrayValue ?? []
    }
}

/// The Database front-end's network provisioner, unchanged but for one look taken by `probe` (its answers
/// kept in `seen`) the first time a gone server's ports are about to be released.
final class ProbingNetwork: NetworkProvisioning {
    let inner: any NetworkProvisioning
    let probe: @Sendable () async throws -> [Int]
    private let looks = Mutex<[[Int]]?>(nil)

    init(_ inner: any NetworkProvisioning, probe: @escaping @Sendable () async throws -> [Int]) {
        self.inner = inner
        self.probe = probe
    }

    var seen: [[Int]] { looks.withLock { $0 ?? [] } }

    func serverGone(serverID: String, in pod: Pod, context: PodCallContext) async {
        // Once only: the probe's own show may forget the instance again through the front-end.
        let first = looks.withLock { looks in
            defer { looks = looks ?? [] }
            return looks == nil
        }
        if first {
            let answer = (try? await probe()) ?? []
            looks.withLock { $0?.append(answer) }
        }
        await inner.serverGone(serverID: serverID, in: pod, context: context)
    }

    func prepare(networks: JSONValue?, securityGroups: [String], in pod: Pod, context: PodCallContext) async throws -> PreparedNetworks {
        try await inner.prepare(networks: networks, securityGroups: securityGroups, in: pod, context: context)
    }

    func release(_ prepared: PreparedNetworks, in pod: Pod, context: PodCallContext) async {
        await inner.release(prepared, in: pod, context: context)
    }

    func serverCreated(serverID: String, prepared: PreparedNetworks, in pod: Pod, context: PodCallContext) async {
        await inner.serverCreated(serverID: serverID, prepared: prepared, in: pod, context: context)
    }

    func serverDeleting(serverID: String, in pod: Pod, context: PodCallContext) async {
        await inner.serverDeleting(serverID: serverID, in: pod, context: context)
    }
}
