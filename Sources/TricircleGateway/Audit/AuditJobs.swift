import Foundation
import Logging
import OpenStackClient
import TricircleCore
import TricircleJobs
import TricircleStore

/// `audit_orphan_delete`: deletes one pod resource the audit found the top does not know, after checking
/// again that it still is an orphan. A copy named by a top id is deleted under that id's create-lock, so
/// a boot materializing the same resource at that moment waits instead of adopting what is being deleted.
public struct OrphanCleanupJob: JobHandler {
    public struct Payload: Codable, Sendable {
        var podID: String
        var resourceType: String
        var bottomID: String
        /// "-" when the resource carries no top id (servers, volumes, snapshots).
        var topID: String

        enum CodingKeys: String, CodingKey {
            case podID = "pod_id", resourceType = "resource_type", bottomID = "bottom_id", topID = "top_id"
        }

        init(_ orphan: AuditOrphan) {
            podID = orphan.podID
            resourceType = orphan.resourceType.rawValue
            bottomID = orphan.bottomID
            topID = orphan.topID ?? "-"
        }
    }

    public static let type = "audit_orphan_delete"
    public static let resourceKeys = ["pod_id", "resource_type", "bottom_id", "top_id"]

    let runtime: GatewayRuntime
    let topRecords: [any TopRecordAuditing]

    public init(runtime: GatewayRuntime, topRecords: [any TopRecordAuditing] = []) {
        self.runtime = runtime
        self.topRecords = topRecords
    }

    public func run(_ payload: Payload, context: JobContext) async throws {
        guard let type = ResourceType(rawValue: payload.resourceType), let collection = PodInventory.Collection.of(type) else {
            throw PermanentJobFailure("resource type \(payload.resourceType) is not one the audit cleans up")
        }
        guard let pod = try await runtime.podDirectory.pod(id: payload.podID) else {
            throw PermanentJobFailure("pod \(payload.podID) is not registered")
        }
        let routings = runtime.routing.routings
        if try await isReferenced(payload.bottomID, in: pod.podID) { return }
        let topID = payload.topID == "-" ? nil : payload.topID
        guard let topID else {
            // Top id = bottom id: a row recorded since (e.g. an adoption) makes it the top's again.
            if try await !routings.lookup(topID: payload.bottomID, resourceType: type, projectID: nil).isEmpty { return }
            try await delete(collection, id: payload.bottomID, in: pod, context: context)
            return
        }
        for _ in 0..<3 {
            let lock = try await routings.acquireCreateLock(
                topID: topID, podID: pod.podID, projectID: context.job.projectID, resourceType: type,
                staleAfterSeconds: runtime.config.staleLockSeconds)
            switch lock {
            case .acquired(let row):
                defer { runtime.routing.invalidate(topID: topID, type: type) }
                do {
                    // Checked again under the lock: nobody can complete a row for this copy meanwhile.
                    if try await !isReferenced(payload.bottomID, in: pod.podID) {
                        try await delete(collection, id: payload.bottomID, in: pod, context: context)
                    }
                } catch {
                    try? await routings.release(lockID: row.id)
                    throw error
                }
                try await routings.release(lockID: row.id)
                return
            case .exists(let row):
                // The top has a copy here; if it is another one, ours is a leftover duplicate.
                if row.bottomID == payload.bottomID { return }
                try await delete(collection, id: payload.bottomID, in: pod, context: context)
                return
            case .busy:
                throw AuditError("\(type.rawValue) \(topID) is being created in \(pod.regionName); trying again later")
            case .stale(let row):
                // Its creator is gone (as RoutingService would, drop the lock and take it ourselves).
                try await routings.release(lockID: row.id)
            }
        }
        throw AuditError("could not take the create-lock of \(type.rawValue) \(topID) in \(pod.regionName)")
    }

    func isReferenced(_ bottomID: String, in podID: String) async throws -> Bool {
        try await !runtime.routing.routings.list(filter: RoutingFilter(bottomID: bottomID, podID: podID), limit: 1).isEmpty
    }

    func delete(_ collection: PodInventory.Collection, id: String, in pod: Pod, context: JobContext) async throws {
        let inventory = PodInventory(runtime: runtime, credentials: try await runtime.serviceCredentials())
        let path = collection.path(of: id)
        let response = try await inventory.send(RegionalRequest(method: "DELETE", path: path), pod: pod, collection: collection)
        // 404: already gone. Anything else not 2xx (a network with ports, a volume in use) is retried later,
        // after the orphans it depends on have gone.
        guard response.isSuccess || response.status == 404 else {
            throw AuditError("\(pod.regionName) answered \(response.status) to DELETE \(path): \(String(decoding: response.data.prefix(300), as: UTF8.self))")
        }
        context.logger.warning("deleted a pod resource the top did not know", metadata: [
            "pod": "\(pod.regionName)", "collection": "\(collection.rawValue)", "id": "\(id)",
        ])
    }
}

/// `audit`: the periodic audit with repair (`[job] audit_interval`), one at a time in the whole cluster
/// (its single resource key coalesces submissions).
public struct AuditJob: JobHandler {
    public struct Payload: Codable, Sendable {
        var scope: String
    }

    public static let type = "audit"
    public static let resourceKeys = ["scope"]

    let runtime: GatewayRuntime
    let topRecords: [any TopRecordAuditing]
    let servers: GoneServers?

    public init(runtime: GatewayRuntime, topRecords: [any TopRecordAuditing] = [], servers: GoneServers? = nil) {
        self.runtime = runtime
        self.topRecords = topRecords
        self.servers = servers
    }

    public func run(_ payload: Payload, context: JobContext) async throws {
        // The grace spans a stale lock's life and a pod's slowest create answer, so nothing a live create
        // holds or is about to record is judged.
        let grace = max(60, Double(runtime.config.staleLockSeconds) * 2, Double(runtime.config.podTimeout.components.seconds) * 2)
        let report = try await GatewayAudit(
            runtime: runtime, graceSeconds: grace, topRecords: topRecords, servers: servers, logger: context.logger).run(repair: true)
        let counts = report.counts
        try await context.progress(
            done: 1, total: 1,
            note: "orphans \(counts.orphans), rows pointing at nothing \(counts.dangling), jobs lost \(counts.lostJobs), create-locks stuck \(counts.stuckLocks)")
        if !report.isClean {
            context.logger.warning("audit found inconsistencies and repaired them", metadata: [
                "orphans": "\(counts.orphans)", "rows": "\(counts.dangling)", "jobs": "\(counts.lostJobs)", "locks": "\(counts.stuckLocks)",
            ])
        }
    }

    /// Registers the audit's job types with a process's handlers (`servers`: how the repair forgets a
    /// server its pod no longer has, the assembly's, so the boot's ports go with it).
    public static func register(
        in registry: JobHandlerRegistry, runtime: GatewayRuntime, topRecords: [any TopRecordAuditing] = [], servers: GoneServers? = nil
    ) {
        registry.register(OrphanCleanupJob(runtime: runtime))
        registry.register(AuditJob(runtime: runtime, topRecords: topRecords, servers: servers))
    }

    /// Queues an audit every `[job] audit_interval` seconds until cancelled (0: never). Every worker process
    /// may run this: a queued audit absorbs the others' submissions.
    public static func schedule(runtime: GatewayRuntime) async {
        let interval = runtime.config.jobAuditInterval
        guard interval > 0 else { return }
        while true {
            do { try await Task.sleep(for: .seconds(interval)) } catch { return }
            do {
                _ = try await runtime.jobs.submit(AuditJob.self, projectID: "-", payload: Payload(scope: "all"))
            } catch {
                runtime.logger.warning("could not queue the periodic audit", metadata: ["error": "\(error)"])
            }
        }
    }
}
