import Foundation
import TricircleCore
import TricircleJobs

/// A pod resource the gateway made that the top does not know (no routing row points at it).
public struct AuditOrphan: Sendable, Codable, Equatable {
    public var podID: String
    public var region: String
    /// The routing type it would be recorded under (`server`, `network`, `shadow_port`, `image`...).
    public var resourceType: ResourceType
    public var bottomID: String
    /// The top id the pod resource carries (its name for Neutron copies, `tricircle_top_id` for image
    /// copies); nil for servers, volumes and snapshots, whose top id is their bottom id.
    public var topID: String?
    public var projectID: String
    public var name: String
    public var createdAt: String?

    enum CodingKeys: String, CodingKey {
        case podID = "pod_id", region, resourceType = "resource_type", bottomID = "bottom_id", topID = "top_id"
        case projectID = "project_id", name, createdAt = "created_at"
    }
}

/// A pod (or one of its services) the audit could not list; its rows and resources were not judged.
public struct AuditSkip: Sendable, Codable, Equatable {
    public var region: String
    public var what: String
    public var error: String
}

/// What `--repair` did (each step is safe to repeat; what was no longer wrong when reached is skipped).
public struct AuditRepairSummary: Sendable, Codable, Equatable {
    /// Cleanup jobs queued (`audit_orphan_delete`), one per orphan; the jobs delete in the pods.
    public var orphanJobsQueued = 0
    public var rowsDropped = 0
    public var locksReleased = 0
    public var jobsRequeued = 0
    /// Stranded top records removed (with their pod copies queued for deletion).
    public var topRecordsRemoved = 0
    /// Findings left alone, with why (e.g. the pod still shows the resource when asked directly).
    public var skipped: [String] = []

    public init() {}

    enum CodingKeys: String, CodingKey {
        case orphanJobsQueued = "orphan_jobs_queued", rowsDropped = "rows_dropped", locksReleased = "locks_released"
        case jobsRequeued = "jobs_requeued", topRecordsRemoved = "top_records_removed", skipped
    }
}

/// The result of one audit: the four kinds of inconsistency between the top and the pods.
public struct AuditReport: Sendable, Codable, Equatable {
    public var startedAt: String
    public var finishedAt: String
    /// Age below which a pod resource, a routing row or a job is left out (it may be in the middle of its creation).
    public var graceSeconds: Double
    public var orphans: [AuditOrphan] = []
    /// Complete routing rows whose bottom resource the pod no longer holds.
    public var danglingRows: [ResourceRouting] = []
    /// The top's own records (e.g. ports a boot made) that no pod holds and no live create will finish;
    /// counted with the rows pointing at nothing.
    public var strandedTopRecords: [AuditTopRecord] = []
    public var lostJobs: [LostJob] = []
    /// Create-lock rows older than `[routing] stale_lock_seconds`.
    public var stuckLocks: [ResourceRouting] = []
    public var skipped: [AuditSkip] = []
    /// Resources listed per pod and type ("RegionOne/server": 12), to show what was compared.
    public var listed: [String: Int] = [:]
    public var repair: AuditRepairSummary?

    /// The four counts, in the order the CLI prints them.
    public var counts: (orphans: Int, dangling: Int, lostJobs: Int, stuckLocks: Int) {
        (orphans.count, danglingRows.count + strandedTopRecords.count, lostJobs.count, stuckLocks.count)
    }

    /// True when all four counts are 0.
    public var isClean: Bool {
        orphans.isEmpty && danglingRows.isEmpty && strandedTopRecords.isEmpty && lostJobs.isEmpty && stuckLocks.isEmpty
    }

    enum CodingKeys: String, CodingKey {
        case startedAt = "started_at", finishedAt = "finished_at", graceSeconds = "grace_seconds", orphans
        case danglingRows = "rows_pointing_at_nothing", strandedTopRecords = "top_records_pointing_at_nothing", lostJobs = "lost_jobs", stuckLocks = "stuck_create_locks"
        case skipped, listed, repair
    }
}
