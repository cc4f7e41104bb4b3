import Foundation
import Logging
import OpenStackClient
import SQLKit
import TricircleCore
import TricircleJobs
import TricircleStore

/// `tricircle audit`: compares the routing table and the job queue with what every pod holds, and with
/// `repair` puts right what crashes left behind.
///
/// What counts as the gateway's in a pod (only those can be orphans):
/// - Neutron copies (networks, subnets, ports, security groups, routers) are named by their top id, a
///   UUID; shadow ports `shadow_<top port id>`. Resources with other names are the region's own.
/// - Image copies carry the `tricircle_top_id` property (the home region's images are the originals).
/// - Servers, volumes and snapshots keep the pod's id as their top id and carry no mark, so they are
///   judged in the projects the top knows (a project with at least one routing row): a region used by
///   those projects directly, bypassing the gateway, shows up here too. Pods are meant to be reached
///   through the gateway only.
///
/// Nothing being created right now is reported or touched: pod resources and routing rows younger than
/// `graceSeconds`, resources whose create-lock is held (younger than `[routing] stale_lock_seconds`),
/// and running jobs whose lease has not been expired for `graceSeconds`.
public struct GatewayAudit: Sendable {
    public let runtime: GatewayRuntime
    public let graceSeconds: Double
    /// The front-ends' own top records that crashes can strand (ports a boot made, ...).
    public let topRecords: [any TopRecordAuditing]
    /// How a server row pointing at nothing is dropped: as a show answered 404 would (its boot's ports go too).
    public let servers: GoneServers
    let logger: Logger

    /// `servers`: the assembly's, with the network provisioner; without it only the routing rows go.
    public init(
        runtime: GatewayRuntime, graceSeconds: Double = 60, topRecords: [any TopRecordAuditing] = [],
        servers: GoneServers? = nil, logger: Logger = Logger(label: "tricircle.audit")
    ) {
        self.runtime = runtime
        self.graceSeconds = max(0, graceSeconds)
        self.topRecords = topRecords
        self.servers = servers ?? GoneServers(runtime: runtime, network: nil)
        self.logger = logger
    }

    /// Audits, and with `repair` fixes what it found: orphans through `audit_orphan_delete` jobs, rows
    /// pointing at nothing dropped (after asking the pod once more; a server's through `servers`, so its
    /// boot's ports go too), stuck create-locks released, lost jobs queued again. The report lists what
    /// was found before the repair.
    public func run(repair: Bool) async throws -> AuditReport {
        var report = try await scan()
        if repair { report.repair = await self.repair(report) }
        report.finishedAt = Timestamp.now()
        return report
    }

    // MARK: Scan

    func scan() async throws -> AuditReport {
        let started = Date()
        let startedText = Timestamp.format(started)
        var report = AuditReport(startedAt: startedText, finishedAt: startedText, graceSeconds: graceSeconds)
        let credentials = try await serviceCredentials()
        let inventory = PodInventory(runtime: runtime, credentials: credentials)
        let pods = try await runtime.pods.list().filter { !$0.isTop }
        let homePodID = pods.first { $0.regionName == runtime.config.imageHomeRegion }?.podID

        // The pods first, then the table: a row recorded after its resource was listed is still seen.
        typealias Key = String
        var listings: [Key: [PodResource]] = [:]
        await withTaskGroup(of: (Key, Result<[PodResource], any Error>).self) { group in
            for pod in pods {
                for collection in PodInventory.Collection.allCases {
                    group.addTask {
                        do { return (pod.podID + "|" + collection.rawValue, .success(try await inventory.list(collection, in: pod))) }
                        catch { return (pod.podID + "|" + collection.rawValue, .failure(error)) }
                    }
                }
            }
            for await (key, result) in group {
                switch result {
                case .success(let items): listings[key] = items
                case .failure(let error):
                    let parts = key.split(separator: "|").map(String.init)
                    let region = pods.first { $0.podID == parts.first }?.regionName ?? parts.first ?? ""
                    report.skipped.append(AuditSkip(region: region, what: parts.last ?? "", error: String(describing: error)))
                }
            }
        }
        report.skipped.sort { ($0.region, $0.what) < ($1.region, $1.what) }
        for pod in pods {
            for collection in PodInventory.Collection.allCases {
                if let items = listings[pod.podID + "|" + collection.rawValue] {
                    report.listed["\(pod.regionName)/\(collection.rawValue)"] = items.count
                }
            }
        }

        let rows = try await allRoutings()
        let now = Date()
        let graceCutoff = Timestamp.format(started.addingTimeInterval(-graceSeconds))
        let staleCutoff = Timestamp.format(now.addingTimeInterval(-Double(runtime.config.staleLockSeconds)))

        // Stuck create-locks: their creator is gone (RoutingService treats them as stale too).
        let locks = rows.filter { !$0.isComplete }
        report.stuckLocks = locks.filter { $0.updatedAt < staleCutoff }
        let heldLocks = Set(locks.filter { $0.updatedAt >= staleCutoff }.map { $0.podID + "|" + $0.topID })

        let complete = rows.filter(\.isComplete)
        let referenced = Set(complete.map { $0.podID + "|" + ($0.bottomID ?? "") })
        let knownProjects = Set(rows.map(\.projectID))

        // Rows pointing at nothing: the pod's listing of that type lacks the bottom id.
        for row in complete {
            guard row.updatedAt < graceCutoff, let collection = PodInventory.Collection.of(row.resourceType),
                  let items = listings[row.podID + "|" + collection.rawValue]
            else { continue }
            guard let bottomID = row.bottomID, !items.contains(where: { $0.id == bottomID }) else { continue }
            report.danglingRows.append(row)
        }

        // Orphans: what the gateway made (see the type's comment) and no complete row points at.
        for pod in pods {
            for collection in PodInventory.Collection.allCases {
                guard let items = listings[pod.podID + "|" + collection.rawValue] else { continue }
                for item in items where !item.id.isEmpty && !referenced.contains(pod.podID + "|" + item.id) {
                    guard let (type, topID) = Self.gatewayMade(item, collection: collection, podID: pod.podID,
                                                                homePodID: homePodID, knownProjects: knownProjects)
                    else { continue }
                    if let created = item.createdAt, Timestamp.format(created) >= graceCutoff { continue }
                    if heldLocks.contains(pod.podID + "|" + (topID ?? item.id)) { continue }
                    report.orphans.append(AuditOrphan(
                        podID: pod.podID, region: pod.regionName, resourceType: type, bottomID: item.id, topID: topID,
                        projectID: item.projectID, name: item.name, createdAt: item.createdAt.map(Timestamp.format)))
                }
            }
        }
        report.orphans.sort { ($0.region, $0.resourceType.rawValue, $0.bottomID) < ($1.region, $1.resourceType.rawValue, $1.bottomID) }

        // The top's own records that point at nothing: older than the grace and than any create-lock's life.
        let recordCutoff = min(started.addingTimeInterval(-graceSeconds), now.addingTimeInterval(-Double(runtime.config.staleLockSeconds)))
        for auditor in topRecords {
            report.strandedTopRecords += try await auditor.strandedRecords(madeBefore: recordCutoff)
        }
        report.strandedTopRecords.sort { ($0.resourceType, $0.id) < ($1.resourceType, $1.id) }

        report.lostJobs = try await runtime.jobs.lostJobs(graceSeconds: graceSeconds)
        return report
    }

    /// The routing type and top id of a pod resource the gateway made, or nil for the region's own.
    static func gatewayMade(
        _ item: PodResource, collection: PodInventory.Collection, podID: String, homePodID: String?, knownProjects: Set<String>
    ) -> (ResourceType, String?)? {
        switch collection {
        case .servers: return knownProjects.contains(item.projectID) ? (.server, nil) : nil
        case .volumes: return knownProjects.contains(item.projectID) ? (.volume, nil) : nil
        case .snapshots: return knownProjects.contains(item.projectID) ? (.snapshot, nil) : nil
        case .images:
            guard podID != homePodID, let top = item.topIDProperty, !top.isEmpty else { return nil }
            return (.image, top)
        case .ports where item.name.hasPrefix(shadowPrefix):
            let top = String(item.name.dropFirst(shadowPrefix.count))
            return isUUID(top) ? (.shadowPort, top) : nil
        case .networks, .subnets, .ports, .securityGroups, .routers:
            guard isUUID(item.name), let type = collection.routingTypes.first else { return nil }
            return (type, item.name)
        }
    }

    static let shadowPrefix = "shadow_"

    static func isUUID(_ text: String) -> Bool { text.count == 36 && UUID(uuidString: text) != nil }

    func allRoutings() async throws -> [ResourceRouting] {
        var rows: [ResourceRouting] = []
        var marker: String?
        while true {
            let page = try await runtime.routing.routings.list(limit: 5000, marker: marker)
            rows += page
            guard page.count == 5000, let last = page.last else { return rows }
            marker = last.id
        }
    }

    func serviceCredentials() async throws -> ServiceCredentials {
        try await runtime.serviceCredentials()
    }

    // MARK: Repair

    func repair(_ report: AuditReport) async -> AuditRepairSummary {
        var summary = AuditRepairSummary()
        let store = runtime.store

        for lock in report.stuckLocks {
            do {
                // Only the very row seen: a lock taken over (updated) since is someone's live create.
                let removed = try await store.transaction { db in
                    try await db.raw("""
                        DELETE FROM resource_routings WHERE id = \(bind: lock.id) AND bottom_id IS NULL
                          AND updated_at = \(bind: lock.updatedAt) RETURNING id
                        """).all().count
                }
                runtime.routing.invalidate(topID: lock.topID, type: lock.resourceType)
                summary.locksReleased += removed
            } catch {
                summary.skipped.append("lock \(lock.id): \(error)")
            }
        }

        if !report.danglingRows.isEmpty {
            do {
                let inventory = PodInventory(runtime: runtime, credentials: try await serviceCredentials())
                for row in report.danglingRows {
                    guard let bottomID = row.bottomID, let collection = PodInventory.Collection.of(row.resourceType),
                          let pod = try await runtime.podDirectory.pod(id: row.podID)
                    else { continue }
                    do {
                        guard try await inventory.isGone(collection, id: bottomID, in: pod) else {
                            summary.skipped.append("row \(row.id): \(pod.regionName) still shows \(row.resourceType.rawValue) \(bottomID)")
                            continue
                        }
                        // A server is forgotten the one way a show's 404 forgets it, so its boot's ports go too
                        // (its id is never reused, so no newer row can be dropped with it).
                        if row.resourceType == .server {
                            if await servers.forget(row.topID, in: pod, context: .gateway(projectID: row.projectID)) {
                                summary.rowsDropped += 1
                            } else {
                                summary.skipped.append("row \(row.id): the server's routing could not be forgotten")
                            }
                            continue
                        }
                        let removed = try await store.transaction { db in
                            try await db.raw("""
                                DELETE FROM resource_routings WHERE id = \(bind: row.id) AND bottom_id = \(bind: bottomID)
                                  AND updated_at = \(bind: row.updatedAt) RETURNING id
                                """).all().count
                        }
                        runtime.routing.invalidate(topID: row.topID, type: row.resourceType)
                        summary.rowsDropped += removed
                    } catch {
                        summary.skipped.append("row \(row.id): \(error)")
                    }
                }
            } catch {
                summary.skipped.append("rows pointing at nothing: no service token: \(error)")
            }
        }

        for orphan in report.orphans {
            do {
                _ = try await runtime.jobs.submit(
                    OrphanCleanupJob.self, projectID: orphan.projectID.isEmpty ? "-" : orphan.projectID,
                    payload: OrphanCleanupJob.Payload(orphan))
                summary.orphanJobsQueued += 1
            } catch {
                summary.skipped.append("orphan \(orphan.resourceType.rawValue) \(orphan.bottomID): \(error)")
            }
        }

        for record in report.strandedTopRecords {
            guard let auditor = topRecords.first(where: { $0.recordTypes.contains(record.resourceType) }) else { continue }
            do {
                try await auditor.remove(record)
                summary.topRecordsRemoved += 1
            } catch {
                summary.skipped.append("\(record.resourceType) \(record.id): \(error)")
            }
        }

        for lost in report.lostJobs {
            do {
                if try await runtime.jobs.requeueLost(lost, graceSeconds: graceSeconds) {
                    summary.jobsRequeued += 1
                } else {
                    summary.skipped.append("job \(lost.job.id): \(lost.requeueable ? "no longer lost" : lost.reason)")
                }
            } catch {
                summary.skipped.append("job \(lost.job.id): \(error)")
            }
        }
        logger.info("audit repair", metadata: [
            "orphan_jobs": "\(summary.orphanJobsQueued)", "rows_dropped": "\(summary.rowsDropped)",
            "locks_released": "\(summary.locksReleased)", "jobs_requeued": "\(summary.jobsRequeued)",
            "top_records_removed": "\(summary.topRecordsRemoved)",
        ])
        return summary
    }
}
