import Foundation
import GatewayTestHarness
import OpenStackModels
import SQLKit
import Testing
import TricircleCore
import TricircleGateway
import TricircleJobs
import TricircleStore
import TricircleTestSupport

/// `tricircle audit`: each kind of inconsistency crashes leave (made here by hand) is found exactly,
/// `--repair` fixes it, and a second audit finds nothing. Lives with the Compute tests because it needs
/// the whole gateway over simulated pods (GatewayHarness), which TricircleGatewayTests does not link.
@Suite("Audit")
struct AuditTests {
    @Test("audit finds an orphan server, a row pointing at nothing, a stuck lock and a lost job; repair fixes all four",
          arguments: TestDatabases.backends)
    func findsAndRepairsEachKind(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let client = try ComputeClient(harness)
            let runtime = harness.runtime
            let audit = GatewayAudit(runtime: runtime, graceSeconds: 0)
            let one = try await harness.pod("RegionOne")
            let two = try await harness.pod("RegionTwo")

            // A consistent start: servers in both pods (RegionTwo gets an image copy by a job).
            let kept = try await client.boot("kept", az: "az2")
            let doomed = try await client.boot("doomed", az: "az1")
            try await client.waitFor(kept, status: "ACTIVE")
            try await client.waitFor(doomed, status: "ACTIVE")
            try await Self.drain(runtime.jobs)
            let clean = try await audit.run(repair: false)
            #expect(clean.skipped.isEmpty)
            #expect(clean.listed["RegionTwo/images"] ?? 0 >= 1)
            #expect(clean.isClean, "\(clean)")

            // 1. An orphan: a server made in RegionTwo behind the top's back (as a create whose gateway died
            //    before it recorded the row leaves it).
            let orphan = try await Self.directServer(harness, token: client.token.id, region: "RegionTwo", name: "lost-boot")
            // 2. A row pointing at nothing: RegionOne's server deleted there directly.
            let doomedRow = try #require(try await runtime.routing.resolveOne(topID: doomed, type: .server, projectID: nil))
            let endpoint = try #require(harness.cloud.endpoint(region: "RegionOne", service: .compute))
            #expect(try await harness.send("DELETE", endpoint + "/servers/\(doomed)", token: client.token.id).status == 204)
            try await Self.waitUntilGone(harness, region: "RegionOne", server: doomed, token: client.token.id)
            // 3. A create-lock whose holder died long ago.
            let lockTop = UUID().uuidString.lowercased()
            guard case .acquired(let lock) = try await runtime.routing.routings.acquireCreateLock(
                topID: lockTop, podID: one.podID, projectID: client.token.projectID, resourceType: .network, staleAfterSeconds: 30)
            else { Issue.record("no lock"); return }
            try await runtime.store.read { db in
                try await db.raw("UPDATE resource_routings SET updated_at = '2001-01-01T00:00:00.000000Z' WHERE id = \(bind: lock.id)").run()
            }
            // 4. A job given up because its workers kept dying (the image copy, which is safe to run again).
            let copyJob = try #require(try await runtime.jobs.list(filter: JobFilter(type: "image_copy")).first)
            try await runtime.store.read { db in
                try await db.raw("""
                    UPDATE jobs SET status = 'failed', next_run_at = NULL, attempts = max_attempts,
                        last_error = 'worker w lost its lease (stopped or stalled) during attempt 8; no attempts left'
                    WHERE id = \(bind: copyJob.id)
                    """).run()
            }

            let found = try await audit.run(repair: true)
            #expect(found.orphans.map(\.bottomID) == [orphan])
            #expect(found.orphans.first?.podID == two.podID)
            #expect(found.orphans.first?.resourceType == .server)
            #expect(found.danglingRows.map(\.id) == [doomedRow.id])
            #expect(found.stuckLocks.map(\.id) == [lock.id])
            #expect(found.lostJobs.map(\.job.id) == [copyJob.id])
            #expect(!found.isClean)
            let repair = try #require(found.repair)
            #expect(repair.orphanJobsQueued == 1)
            #expect(repair.rowsDropped == 1)
            #expect(repair.locksReleased == 1)
            #expect(repair.jobsRequeued == 1)
            #expect(repair.skipped.isEmpty)

            // The orphan is deleted by a job, not by the audit itself.
            try await Self.drain(runtime.jobs)
            let cleanup = try await runtime.jobs.list(filter: JobFilter(type: OrphanCleanupJob.type))
            #expect(cleanup.map(\.status) == [.success])
            #expect(try await runtime.jobs.get(copyJob.id).status == .success)
            try await Self.waitUntilGone(harness, region: "RegionTwo", server: orphan, token: client.token.id)
            #expect(try await runtime.routing.resolveOne(topID: doomed, type: .server, projectID: nil) == nil)
            #expect(try await runtime.routing.routings.get(lock.id) == nil)
            // The server the top knows is untouched.
            #expect(try await client.direct("RegionTwo", "/servers/\(kept)").status == 200)

            let after = try await audit.run(repair: true)
            #expect(after.isClean, "\(after)")
            // Idempotent: a repair of a clean gateway does nothing.
            #expect(after.repair == AuditRepairSummary())
        }
    }

    @Test("a copy whose create-lock is held is left alone; once the lock is gone it is an orphan, deleted by a job under its lock")
    func heldLockProtectsCreate() async throws {
        try await GatewayHarness.with { harness in
            let client = try ComputeClient(harness)
            let runtime = harness.runtime
            let audit = GatewayAudit(runtime: runtime, graceSeconds: 0)
            _ = try await client.boot("anchor", az: "az1")   // makes the project one the top knows
            try await Self.drain(runtime.jobs)
            let one = try await harness.pod("RegionOne")
            // A network copy being made right now: its lock is held and the pod already has it, no row yet.
            let top = UUID().uuidString.lowercased()
            guard case .acquired(let lock) = try await runtime.routing.routings.acquireCreateLock(
                topID: top, podID: one.podID, projectID: client.token.projectID, resourceType: .network, staleAfterSeconds: 30)
            else { Issue.record("no lock"); return }
            let network = try await Self.directNetwork(harness, token: client.token.id, region: "RegionOne", name: top)
            // A network of the region's own (not named by a top id) is never the gateway's business.
            _ = try await Self.directNetwork(harness, token: client.token.id, region: "RegionOne", name: "regions-own")

            let during = try await audit.run(repair: true)
            #expect(during.isClean, "\(during)")
            #expect(during.repair?.orphanJobsQueued == 0)

            // The creator died and its lock went (stale-lock handling): the copy is now an orphan.
            try await runtime.routing.routings.release(lockID: lock.id)
            let after = try await audit.run(repair: true)
            #expect(after.orphans.map(\.bottomID) == [network])
            #expect(after.orphans.first?.topID == top)
            #expect(after.orphans.first?.resourceType == .network)
            try await Self.drain(runtime.jobs)
            let endpoint = try #require(harness.cloud.endpoint(region: "RegionOne", service: .network))
            #expect(try await harness.send("GET", endpoint + "/v2.0/networks/\(network)", token: client.token.id).status == 404)
            let names = try await harness.send("GET", endpoint + "/v2.0/networks", token: client.token.id)
                .json["networks"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names.contains("regions-own"))
            // The cleanup job let go of the lock it took.
            #expect(try await runtime.routing.routings.lookup(topID: top, resourceType: .network, projectID: nil).isEmpty)
            #expect(try await audit.run(repair: false).isClean)
        }
    }

    @Test("what the gateway made for a router across pods and servers on its network (copies, bridge, shadow ports, DHCP ports) audits clean")
    func networkingAuditsClean() async throws {
        try await GatewayHarness.with { harness in
            let client = try ComputeClient(harness)
            let neutron = harness.url("network") + "/v2.0"
            func post(_ path: String, _ body: String) async throws -> JSONValue {
                let reply = try await harness.send("POST", neutron + path, token: client.token.id, body: body)
                guard reply.status == 201 else { throw HarnessError("POST \(path): \(reply.status) \(reply.text)") }
                return reply.json
            }
            let network = try #require(try await post("/networks", #"{"network": {"name": "n1"}}"#)["network"]?["id"]?.stringValue)
            let subnet = try #require(try await post("/subnets", #"{"subnet": {"network_id": "\#(network)", "cidr": "10.60.0.0/24", "ip_version": 4}}"#)["subnet"]?["id"]?.stringValue)
            let router = try #require(try await post("/routers", #"{"router": {"name": "r"}}"#)["router"]?["id"]?.stringValue)
            let added = try await harness.send("PUT", neutron + "/routers/\(router)/add_router_interface", token: client.token.id,
                                               body: #"{"subnet_id": "\#(subnet)"}"#)
            #expect(added.status == 200)
            let one = try await client.boot("east", az: "az1", extra: ["networks": [["uuid": .string(network)]]])
            let two = try await client.boot("west", az: "az2", extra: ["networks": [["uuid": .string(network)]]])
            try await client.waitFor(one, status: "ACTIVE")
            try await client.waitFor(two, status: "ACTIVE")
            try await Self.drain(harness.runtime.jobs)

            // Both boots settled their ports: none is left marked as a pending boot's.
            let pending = try await harness.runtime.store.read { db in
                try await db.raw("SELECT id FROM neutron_ports WHERE device_id = 'boot:pending'").all().count
            }
            #expect(pending == 0)
            let report = try await harness.assembly.audit(graceSeconds: 0).run(repair: false)
            #expect(report.isClean, "\(report)")
            #expect(report.skipped.isEmpty)
            for region in ["RegionOne", "RegionTwo"] {
                #expect(report.listed["\(region)/routers"] == 1, "\(report.listed)")
                #expect(report.listed["\(region)/ports"] ?? 0 >= 3, "\(report.listed)")
            }
        }
    }

    @Test("a port a boot made and a crash stranded (still marked pending long after) is found and removed; fresh and users' ports stay",
          arguments: TestDatabases.backends)
    func strandedBootPortRemoved(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let client = try ComputeClient(harness)
            let neutron = harness.url("network") + "/v2.0"
            let network = try #require(try await harness.send("POST", neutron + "/networks", token: client.token.id,
                                                              body: #"{"network": {"name": "n1"}}"#).json["network"]?["id"]?.stringValue)
            let subnet = try await harness.send("POST", neutron + "/subnets", token: client.token.id,
                                                body: #"{"subnet": {"network_id": "\#(network)", "cidr": "10.61.0.0/24", "ip_version": 4}}"#)
            #expect(subnet.status == 201)
            func port() async throws -> String {
                let reply = try await harness.send("POST", neutron + "/ports", token: client.token.id,
                                                   body: #"{"port": {"network_id": "\#(network)", "device_owner": "compute:az1"}}"#)
                return try #require(reply.json["port"]?["id"]?.stringValue)
            }
            // As a boot's preparation leaves them when its gateway is killed: marked pending, never settled.
            let stranded = try await port()
            let fresh = try await port()
            let users = try await port()   // a user's own port shaped like a boot's: not the audit's business
            try await harness.runtime.store.read { db in
                try await db.raw("UPDATE neutron_ports SET device_id = 'boot:pending', created_at = '2001-01-01T00:00:00Z' WHERE id = \(bind: stranded)").run()
                try await db.raw("UPDATE neutron_ports SET device_id = 'boot:pending' WHERE id = \(bind: fresh)").run()
                try await db.raw("UPDATE neutron_ports SET created_at = '2001-01-01T00:00:00Z' WHERE id = \(bind: users)").run()
            }
            // The API shows the pending port as Neutron would: no device yet.
            let shown = try await harness.send("GET", neutron + "/ports/\(stranded)", token: client.token.id)
            #expect(shown.json["port"]?["device_id"]?.stringValue == "")

            let audit = harness.assembly.audit(graceSeconds: 0)
            let found = try await audit.run(repair: true)
            #expect(found.strandedTopRecords.map(\.id) == [stranded])
            #expect(found.counts.dangling == 1)
            #expect(!found.isClean)
            #expect(found.repair?.topRecordsRemoved == 1)
            #expect(try await harness.send("GET", neutron + "/ports/\(stranded)", token: client.token.id).status == 404)
            #expect(try await harness.send("GET", neutron + "/ports/\(fresh)", token: client.token.id).status == 200)
            #expect(try await harness.send("GET", neutron + "/ports/\(users)", token: client.token.id).status == 200)
            try await Self.drain(harness.runtime.jobs)
            #expect(try await audit.run(repair: false).isClean)
        }
    }

    @Test("with [job] audit_interval the gateway queues audit jobs itself, and they repair: a stuck lock is released")
    func periodicAuditJobRepairs() async throws {
        try await GatewayHarness.with(overrides: ["job.audit_interval": "0.05"]) { harness in
            let runtime = harness.runtime
            let one = try await harness.pod("RegionOne")
            guard case .acquired(let lock) = try await runtime.routing.routings.acquireCreateLock(
                topID: UUID().uuidString.lowercased(), podID: one.podID, projectID: "p", resourceType: .port, staleAfterSeconds: 30)
            else { Issue.record("no lock"); return }
            try await runtime.store.read { db in
                try await db.raw("UPDATE resource_routings SET updated_at = '2001-01-01T00:00:00.000000Z' WHERE id = \(bind: lock.id)").run()
            }
            // Nobody submits anything: the scheduler does, and the job's note says what it found.
            var notes: [String] = []
            for _ in 0..<500 {
                notes = try await runtime.jobs.list(filter: JobFilter(type: AuditJob.type, status: .success)).compactMap(\.progress.note)
                if !notes.isEmpty, try await runtime.routing.routings.get(lock.id) == nil { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(try await runtime.routing.routings.get(lock.id) == nil)
            #expect(notes.contains { $0.contains("create-locks stuck 1") }, "\(notes)")
        }
    }

    // MARK: helpers

    /// Waits until no job is queued or running (the harness's workers poll every 50 ms).
    static func drain(_ jobs: JobEngine) async throws {
        for _ in 0..<1000 {
            let pending = try await jobs.list(limit: 1000).filter { $0.status == .new || $0.status == .running || $0.willRetry }
            if pending.isEmpty { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessError("jobs did not drain")
    }

    static func directServer(_ harness: GatewayHarness, token: String, region: String, name: String) async throws -> String {
        let endpoint = try #require(harness.cloud.endpoint(region: region, service: .compute))
        let image = try #require(harness.cloud.store(region: region)?.seededImageID)
        let body = #"{"server": {"name": "\#(name)", "flavorRef": "1", "imageRef": "\#(image)"}}"#
        let reply = try await harness.send("POST", endpoint + "/servers", token: token, body: body)
        guard reply.status == 202, let id = reply.json["server"]?["id"]?.stringValue else {
            throw HarnessError("direct boot failed: \(reply.status) \(reply.text)")
        }
        return id
    }

    static func directNetwork(_ harness: GatewayHarness, token: String, region: String, name: String) async throws -> String {
        let endpoint = try #require(harness.cloud.endpoint(region: region, service: .network))
        let reply = try await harness.send("POST", endpoint + "/v2.0/networks", token: token, body: #"{"network": {"name": "\#(name)"}}"#)
        guard reply.status == 201, let id = reply.json["network"]?["id"]?.stringValue else {
            throw HarnessError("direct network create failed: \(reply.status) \(reply.text)")
        }
        return id
    }

    static func waitUntilGone(_ harness: GatewayHarness, region: String, server: String, token: String) async throws {
        let endpoint = try #require(harness.cloud.endpoint(region: region, service: .compute))
        for _ in 0..<500 {
            if try await harness.send("GET", endpoint + "/servers/\(server)", token: token).status == 404 { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw HarnessError("server \(server) still in \(region)")
    }
}
