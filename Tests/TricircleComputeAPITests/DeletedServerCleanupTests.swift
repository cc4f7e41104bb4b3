import Foundation
import GatewayTestHarness
import OpenStackModels
import RegionSimulator
import SQLKit
import Testing
import TricircleCore
import TricircleGateway
import TricircleJobs
import TricircleStore
import TricircleTestSupport

/// A server its pod has deleted leaves nothing behind at the top or in the region, whoever notices the
/// deletion first: a show answered 404, the confirmation job a delete through the top queues, or the audit.
/// "Nothing behind" is the routing row and the ports the top made for the boot (at the top, and their copy
/// in the region's Neutron, asked directly).
@Suite("A deleted server's leftovers")
struct DeletedServerCleanupTests {
    @Test("deleted through the top and never shown again: the confirmation job forgets it and its boot port goes, at the top and in the region",
          arguments: TestDatabases.backends)
    func deleteThroughTheTopIsConfirmedByJob(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let client = try ComputeClient(harness)
            let (server, port) = try await Self.bootOnTopNetwork(client, cidr: "10.71.0.0/24")
            // The delete takes half a second (not the harness's 20 ms), so the check right after it surely
            // finds the server still there, as with a real Nova, and the job is queued.
            harness.cloud.setFault(FaultSettings(transitionFactor: 25), region: "RegionTwo", service: .compute)
            defer { harness.cloud.resetFaults() }
            #expect(try await client.send("DELETE", "/servers/\(server)").status == 204)
            // No show at the top from here on: only the job can learn that the pod finished the delete.
            try await AuditTests.drain(harness.runtime.jobs)
            let confirmations = try await harness.runtime.jobs.list(filter: JobFilter(type: "server_delete_confirm"))
            #expect(confirmations.map(\.status) == [.success])
            try await Self.expectLeftNothing(client, server: server, port: port)
        }
    }

    @Test("deleted in its region behind the top's back: the periodic audit's repair forgets it and its boot port goes, at the top and in the region",
          arguments: TestDatabases.backends)
    func auditRepairReleasesBootPorts(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let client = try ComputeClient(harness)
            let (server, port) = try await Self.bootOnTopNetwork(client, cidr: "10.72.0.0/24")
            let endpoint = try #require(harness.cloud.endpoint(region: "RegionTwo", service: .compute))
            #expect(try await harness.send("DELETE", endpoint + "/servers/\(server)", token: client.token.id).status == 204)
            try await AuditTests.waitUntilGone(harness, region: "RegionTwo", server: server, token: client.token.id)
            // Older than the periodic audit's grace (a minute at least), as in a long run.
            try await harness.runtime.store.read { db in
                try await db.raw("""
                    UPDATE resource_routings SET updated_at = '2001-01-01T00:00:00.000000Z'
                    WHERE top_id = \(bind: server) AND resource_type = 'server'
                    """).run()
            }
            // The job `[job] audit_interval` queues, as the failover bench's gateways run it.
            _ = try await harness.runtime.jobs.submit(type: AuditJob.type, projectID: "-", resource: ["scope": "all"])
            try await AuditTests.drain(harness.runtime.jobs)
            let audits = try await harness.runtime.jobs.list(filter: JobFilter(type: AuditJob.type))
            #expect(audits.map(\.status) == [.success])
            #expect(audits.first?.progress.note?.contains("rows pointing at nothing 1") == true, "\(audits)")
            try await Self.expectLeftNothing(client, server: server, port: port)
            #expect(try await harness.assembly.audit(graceSeconds: 0).run(repair: false).isClean)
        }
    }

    @Test("`tricircle audit --repair` (the assembly's audit) releases a gone server's boot port as well")
    func cliAuditRepairReleasesBootPorts() async throws {
        try await GatewayHarness.with { harness in
            let client = try ComputeClient(harness)
            let (server, port) = try await Self.bootOnTopNetwork(client, cidr: "10.73.0.0/24")
            let endpoint = try #require(harness.cloud.endpoint(region: "RegionTwo", service: .compute))
            #expect(try await harness.send("DELETE", endpoint + "/servers/\(server)", token: client.token.id).status == 204)
            try await AuditTests.waitUntilGone(harness, region: "RegionTwo", server: server, token: client.token.id)
            let found = try await harness.assembly.audit(graceSeconds: 0).run(repair: true)
            #expect(found.danglingRows.map(\.topID) == [server])
            #expect(found.repair?.rowsDropped == 1)
            #expect(found.repair?.skipped == [])
            try await AuditTests.drain(harness.runtime.jobs)
            try await Self.expectLeftNothing(client, server: server, port: port)
        }
    }

    @Test("a delete the pod never finishes: the confirmation job gives up on its last attempt and leaves the server routed")
    func confirmationGivesUp() async throws {
        try await GatewayHarness.with(overrides: ["job.max_attempts": "3"]) { harness in
            let client = try ComputeClient(harness)
            let (server, port) = try await Self.bootOnTopNetwork(client, cidr: "10.74.0.0/24")
            // RegionTwo's Nova takes (nearly) forever to delete.
            harness.cloud.setFault(FaultSettings(transitionFactor: 1_000_000), region: "RegionTwo", service: .compute)
            defer { harness.cloud.resetFaults() }
            #expect(try await client.send("DELETE", "/servers/\(server)").status == 204)
            try await AuditTests.drain(harness.runtime.jobs)
            let confirmations = try await harness.runtime.jobs.list(filter: JobFilter(type: "server_delete_confirm"))
            // Given up without failing: the audit (or a show) forgets the server once the pod is done.
            #expect(confirmations.map(\.status) == [.success])
            #expect(confirmations.first?.attempts == 3)
            #expect(try await harness.runtime.routing.resolveOne(topID: server, type: .server, projectID: nil) != nil)
            #expect(try await client.direct("RegionTwo", "/servers/\(server)").status == 200)
            #expect(try await Self.topNeutron(client, "GET", "/ports/\(port)").status == 200)
        }
    }

    // MARK: helpers

    /// Boots a server in az2 (RegionTwo) on a new top network, waits for ACTIVE, and returns it with the
    /// top port its boot made.
    static func bootOnTopNetwork(_ client: ComputeClient, cidr: String) async throws -> (server: String, port: String) {
        let network = try #require(try await topNeutron(client, "POST", "/networks", #"{"network": {"name": "n"}}"#)
            .json["network"]?["id"]?.stringValue)
        let subnet = try await topNeutron(client, "POST", "/subnets",
                                          #"{"subnet": {"network_id": "\#(network)", "cidr": "\#(cidr)", "ip_version": 4}}"#)
        #expect(subnet.status == 201)
        let server = try await client.boot("vm", az: "az2", extra: ["networks": [["uuid": .string(network)]]])
        try await client.waitFor(server, status: "ACTIVE")
        let ports = try await topNeutron(client, "GET", "/ports?device_id=\(server)").json["ports"]?.arrayValue ?? []
        #expect(ports.count == 1)
        let port = try #require(ports.first?["id"]?.stringValue)
        // The boot port's copy is in RegionTwo, bound to the server.
        #expect(try await regionPorts(client, named: port).first?["device_id"]?.stringValue == server)
        return (server, port)
    }

    /// The routing row, the top's boot port and its copy in RegionTwo are all gone (the copy goes by job).
    static func expectLeftNothing(_ client: ComputeClient, server: String, port: String) async throws {
        #expect(try await client.harness.runtime.routing.resolveOne(topID: server, type: .server, projectID: nil) == nil)
        #expect(try await topNeutron(client, "GET", "/ports/\(port)").status == 404)
        var copies = try await regionPorts(client, named: port)
        for _ in 0..<300 where !copies.isEmpty {
            try await Task.sleep(for: .milliseconds(10))
            copies = try await regionPorts(client, named: port)
        }
        #expect(copies.map { $0["id"] } == [], "the boot port's copy is still in RegionTwo")
    }

    static func topNeutron(_ client: ComputeClient, _ method: String, _ path: String, _ body: String? = nil) async throws -> HarnessReply {
        try await client.harness.send(method, client.harness.url("network") + "/v2.0" + path, token: client.token.id, body: body)
    }

    /// RegionTwo's own Neutron, asked directly: its ports named by a top port id (the top's copies).
    static func regionPorts(_ client: ComputeClient, named topID: String) async throws -> [JSONValue] {
        let endpoint = try #require(client.harness.cloud.endpoint(region: "RegionTwo", service: .network))
        let reply = try await client.harness.send("GET", endpoint + "/v2.0/ports?name=\(topID)", token: client.token.id)
        guard reply.status == 200 else { throw HarnessError("RegionTwo's Neutron: \(reply.status) \(reply.text)") }
        return reply.json["ports"]?.arrayValue ?? []
    }
}
