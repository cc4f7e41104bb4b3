import Foundation
import TricircleCore

/// Where a job is in its life: queued (`new`), claimed by a worker (`running`), done (`success`),
/// or `failed` (retrying while `nextRunAt` is set, given up when it is nil).
public enum JobStatus: String, Sendable, Codable, CaseIterable {
    case new
    case running
    case success
    case failed
}

/// How far a long job has got, as its handler last reported it.
public struct JobProgress: Sendable, Codable, Equatable {
    public var done: Int64
    public var total: Int64
    public var note: String?

    public init(done: Int64 = 0, total: Int64 = 0, note: String? = nil) {
        self.done = done
        self.total = total
        self.note = note
    }
}

/// One stored job: what to do (type + resource), its state, lease and outcome.
public struct Job: Sendable, Codable, Equatable {
    public var id: String
    public var type: String
    public var projectID: String
    /// The resource keys the handler's schema asks for; also the coalescing and locking key.
    public var resource: [String: String]
    public var status: JobStatus
    /// Runs started so far (a run handed back at shutdown does not count).
    public var attempts: Int
    public var maxAttempts: Int
    /// When the job is due: its submit or retry time, its lease expiry while running, nil once finished or given up.
    public var nextRunAt: String?
    public var leaseOwner: String?
    public var leaseExpiresAt: String?
    public var lastError: String?
    public var progress: JobProgress
    public var createdAt: String
    public var updatedAt: String
    public var startedAt: String?
    public var finishedAt: String?
    /// The request that first submitted it (`req-<uuid>`); its runs log it and send it to the pods they call.
    public var requestID: String?

    /// Whether a failed job will still be retried.
    public var willRetry: Bool { status == .failed && nextRunAt != nil }
}

/// One run of a job, as appended to `job_log`.
public struct JobRun: Sendable, Codable, Equatable {
    /// How a run ended: `success`, `failed`, `handed_back` (worker shutdown), `lost` (its worker's lease
    /// expired and another worker took the job over), `lease_lost` (the worker noticed it no longer owned it).
    public var outcome: String
    public var jobID: String
    public var attempt: Int
    public var worker: String
    public var error: String?
    public var startedAt: String
    public var finishedAt: String
}

/// The resource keys a job type takes, as served at `GET /v1.0/jobs/schemas` (Tricircle's shape).
public struct JobSchema: Sendable, Codable, Equatable {
    public var type: String
    public var resource: [String]

    public init(type: String, resource: [String]) {
        self.type = type
        self.resource = resource
    }
}

/// Filters for `JobEngine.list`; nil fields match everything.
public struct JobFilter: Sendable, Equatable {
    public var type: String?
    public var status: JobStatus?
    public var projectID: String?

    public init(type: String? = nil, status: JobStatus? = nil, projectID: String? = nil) {
        self.type = type
        self.status = status
        self.projectID = projectID
    }
}

/// Jobs in the database per type and status (queue depth).
public struct JobQueueDepth: Sendable, Codable, Equatable {
    public var type: String
    public var status: JobStatus
    public var count: Int
}

/// Runs finished by this process since it started, per job type.
public struct JobRunCounters: Sendable, Codable, Equatable {
    public var type: String
    public var succeeded: Int = 0
    public var failed: Int = 0
    public var handedBack: Int = 0
    /// Total and longest handler run time in seconds.
    public var totalSeconds: Double = 0
    public var maxSeconds: Double = 0
}

/// Queue depth (shared, from the database) and run counters (this process) for metrics and the admin API.
public struct JobStats: Sendable, Codable, Equatable {
    public var queue: [JobQueueDepth]
    public var runs: [JobRunCounters]
}

/// Errors from the job engine; the admin API maps them to 400, 404 and 409.
public enum JobError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No handler is registered for the type (400).
    case unknownType(String)
    /// Resource keys do not match the type's schema (400); both lists are sorted.
    case invalidResource(type: String, missing: [String], extra: [String])
    /// A resource value is empty, or a payload could not be turned into resource keys (400).
    case invalidPayload(String)
    /// No job with this id (404); also for an unknown list marker.
    case notFound(String)
    /// The job is running, so it cannot be deleted or redone now (409).
    case running(String)
    /// The worker no longer owns the job (its lease expired and another worker may have taken it).
    case leaseLost(String)

    public var description: String {
        switch self {
        case .unknownType(let type): return "unknown job type '\(type)'"
        case .invalidResource(let type, let missing, let extra):
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing resource keys: \(missing.joined(separator: ", "))") }
            if !extra.isEmpty { parts.append("unexpected resource keys: \(extra.joined(separator: ", "))") }
            return "invalid resource for job type '\(type)': " + parts.joined(separator: "; ")
        case .invalidPayload(let message): return "invalid job payload: \(message)"
        case .notFound(let id): return "job \(id) not found"
        case .running(let id): return "job \(id) is running; try again when it has finished"
        case .leaseLost(let id): return "lost the lease on job \(id); another worker may run it"
        }
    }
}

/// Thrown by a handler when repeating the job cannot help (bad input, resource gone): no further retries.
public struct PermanentJobFailure: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
