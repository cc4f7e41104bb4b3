import Foundation
import TricircleCore

/// Tuning for the job engine, from the `[job]` options.
public struct JobEngineConfig: Sendable, Equatable {
    /// Workers `JobWorkerPool` runs in this process (0: submit only).
    public var workers: Int
    /// How long a claim lasts without renewal; renewed every third of it while a handler runs.
    public var leaseSeconds: Double
    /// Runs before a failing job stays failed.
    public var maxAttempts: Int
    /// First retry delay; doubles each attempt up to `backoffMaxSeconds`, then jittered down by up to half.
    public var backoffBaseSeconds: Double
    public var backoffMaxSeconds: Double
    /// How long an idle worker waits before looking again (a local submit wakes it sooner).
    public var pollInterval: Double
    /// How long a stopping worker lets its current job run before cancelling it and handing it back.
    public var shutdownGraceSeconds: Double
    /// Finished successful jobs and run log rows older than this are pruned by the worker pool.
    public var retentionSeconds: Double

    public init(
        workers: Int = 2, leaseSeconds: Double = 30, maxAttempts: Int = 8, backoffBaseSeconds: Double = 1,
        backoffMaxSeconds: Double = 300, pollInterval: Double = 0.5, shutdownGraceSeconds: Double = 10,
        retentionSeconds: Double = 7 * 86400
    ) {
        self.workers = max(0, workers)
        self.leaseSeconds = max(0.1, leaseSeconds)
        self.maxAttempts = max(1, maxAttempts)
        self.backoffBaseSeconds = max(0, backoffBaseSeconds)
        self.backoffMaxSeconds = max(self.backoffBaseSeconds, backoffMaxSeconds)
        self.pollInterval = max(0.001, pollInterval)
        self.shutdownGraceSeconds = max(0, shutdownGraceSeconds)
        self.retentionSeconds = max(0, retentionSeconds)
    }

    /// The `[job]` options of a loaded configuration.
    public init(_ config: TricircleConfig) {
        self.init(
            workers: config.jobWorkers, leaseSeconds: Double(config.jobLeaseSeconds),
            maxAttempts: config.jobMaxAttempts, backoffBaseSeconds: config.jobBackoffBase,
            backoffMaxSeconds: config.jobBackoffMax, pollInterval: config.jobPollInterval,
            shutdownGraceSeconds: config.jobShutdownGrace, retentionSeconds: config.jobRetention)
    }

    /// The delay before retry number `attempt` (1-based): exponential, capped, with "equal jitter"
    /// (between half and all of it) so retries of many jobs that failed together spread out.
    public func backoff(afterAttempt attempt: Int) -> Double {
        let exponent = Double(min(max(attempt - 1, 0), 60))
        let capped = min(backoffMaxSeconds, backoffBaseSeconds * pow(2, exponent))
        return capped * Double.random(in: 0.5...1.0)
    }
}
