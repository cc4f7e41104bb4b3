import Foundation
import SQLKit
import TricircleCore
import TricircleStore

/// A job no worker will pick up again on its own, and why (found by `JobEngine.lostJobs`).
public struct LostJob: Sendable, Codable, Equatable {
    public var job: Job
    public var reason: String
    /// Whether `requeueLost` can put it back in the queue (an unknown type cannot be helped here).
    public var requeueable: Bool
}

/// The job side of `tricircle audit`: jobs stranded by crashes, and putting them back in the queue.
extension JobEngine {
    /// Jobs in a state nobody will pick up again:
    /// - running, with its lease expired more than `graceSeconds` ago and no worker having taken it over
    ///   (its worker died and no worker of this type has run since), or handed back and unclaimed as long;
    /// - queued or running with no due time (never claimable);
    /// - failed and given up because its workers kept dying (the last error is a lost lease, not the
    ///   handler's own failure: the work was never judged);
    /// - of a type no handler in this process knows (unknown to this build: nobody can run it).
    /// Finished jobs and jobs failed by their handler are not lost: they are outcomes.
    public func lostJobs(graceSeconds: Double, now: Date = Date()) async throws -> [LostJob] {
        let cutoff = Timestamp.after(-max(0, graceSeconds), from: now)
        let known = Set(registry.schemas().map(\.type))
        // Only candidates are read (a deep queue of due jobs is not loaded); the loop below decides.
        let knownTypes = known.isEmpty ? [""] : Array(known)
        let rows = try await store.read { db in
            try await db.raw("""
                SELECT \(unsafeRaw: JobRows.columns) FROM jobs
                WHERE (status IN ('new', 'running') AND next_run_at IS NULL)
                   OR (status = 'running' AND next_run_at < \(bind: cutoff))
                   OR (status = 'failed' AND next_run_at IS NULL AND last_error LIKE '%lost its lease%')
                   OR (status <> 'success' AND type NOT IN (\(binds: knownTypes)))
                ORDER BY created_at, id
                """).all().map(JobRows.job)
        }
        var lost: [LostJob] = []
        for job in rows {
            if !known.contains(job.type) {
                guard job.status != .failed || job.willRetry else { continue }
                lost.append(LostJob(job: job, reason: "no handler for type '\(job.type)' in this build", requeueable: false))
                continue
            }
            switch job.status {
            case .new, .running:
                guard let due = job.nextRunAt else {
                    lost.append(LostJob(job: job, reason: "\(job.status.rawValue) with no due time", requeueable: true))
                    continue
                }
                if job.status == .running, due < cutoff {
                    if let owner = job.leaseOwner {
                        lost.append(LostJob(
                            job: job, reason: "lease of \(owner) expired at \(due) and no worker took it over", requeueable: true))
                    } else {
                        // Handed back (or queued again by an audit) and due: only a running worker helps.
                        lost.append(LostJob(
                            job: job, reason: "handed back, due since \(due), and no worker has claimed it", requeueable: false))
                    }
                }
            case .failed:
                if !job.willRetry {
                    lost.append(LostJob(job: job, reason: "given up after its workers died: \(job.lastError ?? "")", requeueable: true))
                }
            case .success:
                break
            }
        }
        return lost
    }

    /// Puts a lost job back in the queue, due now; false when it is no longer lost (someone else moved it)
    /// or cannot be helped. Safe to repeat: each step only applies to the state `lostJobs` reported.
    @discardableResult
    public func requeueLost(_ lost: LostJob, graceSeconds: Double, now: Date = Date()) async throws -> Bool {
        guard lost.requeueable else { return false }
        let job = lost.job
        let nowText = Timestamp.format(now)
        let cutoff = Timestamp.after(-max(0, graceSeconds), from: now)
        switch job.status {
        case .failed:
            let current = try await get(job.id)
            guard current.status == .failed, !current.willRetry else { return false }
            try await redo(job.id)
            return true
        case .new, .running:
            // Due now and ownerless: the next claim takes it (a running row keeps its resource's run lock,
            // as a job handed back at shutdown does; the attempt that died is not counted).
            let updated = try await transaction { db in
                try await db.raw("""
                    UPDATE jobs SET next_run_at = \(bind: nowText), lease_owner = NULL, lease_expires_at = NULL,
                        attempts = CASE WHEN status = 'running' AND attempts > 0 THEN attempts - 1 ELSE attempts END,
                        updated_at = \(bind: nowText)
                    WHERE id = \(bind: job.id) AND status = \(bind: job.status.rawValue)
                      AND (next_run_at IS NULL
                           OR (status = 'running' AND lease_owner IS NOT NULL AND next_run_at < \(bind: cutoff)))
                    RETURNING id
                    """).all()
            }
            if !updated.isEmpty { doorbell.fire() }
            return !updated.isEmpty
        case .success:
            return false
        }
    }
}
