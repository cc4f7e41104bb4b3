import Foundation
import SQLKit
import TricircleCore

/// Column lists and row decoding for `jobs` and `job_log`, in one place.
enum JobRows {
    static let columns = """
        id, type, project_id, resource_key, status, attempts, max_attempts, next_run_at, lease_owner, \
        lease_expires_at, last_error, progress_done, progress_total, progress_note, created_at, updated_at, \
        started_at, finished_at, request_id
        """

    static func job(_ row: any SQLRow) throws -> Job {
        let rawStatus = try row.decode(column: "status", as: String.self)
        let key = try row.decode(column: "resource_key", as: String.self)
        return Job(
            id: try row.decode(column: "id", as: String.self),
            type: try row.decode(column: "type", as: String.self),
            projectID: try row.decode(column: "project_id", as: String.self),
            resource: resource(fromKey: key),
            status: JobStatus(rawValue: rawStatus) ?? .failed,
            attempts: try row.decode(column: "attempts", as: Int.self),
            maxAttempts: try row.decode(column: "max_attempts", as: Int.self),
            nextRunAt: try row.decode(column: "next_run_at", as: String?.self),
            leaseOwner: try row.decode(column: "lease_owner", as: String?.self),
            leaseExpiresAt: try row.decode(column: "lease_expires_at", as: String?.self),
            lastError: try row.decode(column: "last_error", as: String?.self),
            progress: JobProgress(
                done: try row.decode(column: "progress_done", as: Int64.self),
                total: try row.decode(column: "progress_total", as: Int64.self),
                note: try row.decode(column: "progress_note", as: String?.self)),
            createdAt: try row.decode(column: "created_at", as: String.self),
            updatedAt: try row.decode(column: "updated_at", as: String.self),
            startedAt: try row.decode(column: "started_at", as: String?.self),
            finishedAt: try row.decode(column: "finished_at", as: String?.self),
            requestID: try row.decode(column: "request_id", as: String?.self))
    }

    static func run(_ row: any SQLRow) throws -> JobRun {
        JobRun(
            outcome: try row.decode(column: "outcome", as: String.self),
            jobID: try row.decode(column: "job_id", as: String.self),
            attempt: try row.decode(column: "attempt", as: Int.self),
            worker: try row.decode(column: "worker", as: String.self),
            error: try row.decode(column: "error", as: String?.self),
            startedAt: try row.decode(column: "started_at", as: String.self),
            finishedAt: try row.decode(column: "finished_at", as: String.self))
    }

    /// The canonical key of a resource: a JSON object with sorted keys, equal for equal dictionaries.
    static func key(of resource: [String: String]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(resource), as: UTF8.self)
    }

    static func resource(fromKey key: String) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(key.utf8))) ?? [:]
    }

    /// Errors are stored for operators; keep rows small.
    static func clip(_ text: String, to limit: Int = 4000) -> String {
        text.count <= limit ? text : String(text.prefix(limit)) + "…"
    }
}

extension Timestamp {
    /// `now` plus `seconds`, formatted.
    static func after(_ seconds: Double, from now: Date) -> String {
        format(now.addingTimeInterval(seconds))
    }
}
