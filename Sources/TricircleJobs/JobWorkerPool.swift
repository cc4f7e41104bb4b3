import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TricircleCore

/// Runs `workers` job workers until the surrounding task is cancelled (or, in a ServiceGroup, until
/// graceful shutdown). On the way out each worker lets its current job run for the shutdown grace
/// period, then cancels it and hands it back (ownerless and due now) for another worker to take.
public struct JobWorkerPool: Service {
    public let engine: JobEngine
    public let workers: Int
    /// Prefix of every worker's name in `lease_owner` and the run log (default: host:pid).
    public let name: String

    public init(engine: JobEngine, workers: Int? = nil, name: String? = nil) {
        self.engine = engine
        self.workers = max(0, workers ?? engine.config.workers)
        self.name = name ?? Self.defaultName()
    }

    /// With no workers it still prunes, and returns only when cancelled (a ServiceGroup would otherwise stop).
    public func run() async throws {
        let engine = engine
        let name = name
        let workers = workers
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for index in 0..<workers {
                    group.addTask { await JobWorker(engine: engine, name: "\(name)/w\(index)").run() }
                }
                group.addTask { await Self.maintain(engine) }
            }
        }
    }

    /// Prunes old successful jobs now and then (every process may; the deletes are idempotent).
    private static func maintain(_ engine: JobEngine) async {
        let interval = min(3600, max(60, engine.config.retentionSeconds / 10))
        while true {
            do { try await Task.sleep(for: .seconds(interval)) } catch { return }
            do {
                let removed = try await engine.prune(olderThan: engine.config.retentionSeconds)
                if removed > 0 { engine.logger.info("pruned finished jobs", metadata: ["count": "\(removed)"]) }
            } catch {
                engine.logger.warning("job pruning failed", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }

    static func defaultName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        let host = gethostname(&buffer, buffer.count) == 0
            ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "localhost"
        return "\(host):\(ProcessInfo.processInfo.processIdentifier)"
    }
}

/// One worker: claim, run, record, repeat; wait for the doorbell or the poll interval when idle.
struct JobWorker: Sendable {
    let engine: JobEngine
    let name: String

    func run() async {
        var failures = 0
        while !Task.isCancelled {
            let job: Job?
            // The lease is counted from before the claim was sent: a conservative local deadline.
            let claimSent = ContinuousClock.now
            do {
                job = try await engine.claim(worker: name)
                failures = 0
            } catch {
                failures += 1
                engine.logger.warning("claiming a job failed", metadata: ["worker": "\(name)", "error": "\(String(reflecting: error))"])
                // Back off while the database is unreachable rather than spinning.
                await engine.doorbell.wait(upTo: min(30, engine.config.pollInterval * Double(1 << min(failures, 6))))
                continue
            }
            if let job {
                await runShielded(job, leaseFrom: claimSent)
            } else {
                await engine.doorbell.wait(upTo: engine.config.pollInterval)
            }
        }
    }

    /// Runs the job in a task that does not inherit our cancellation, so a stopping worker can give the job
    /// a grace period instead of abandoning it mid-step; we always wait for that task before returning.
    private func runShielded(_ job: Job, leaseFrom claimSent: ContinuousClock.Instant) async {
        let stopping = Waiters(sticky: true)
        let engine = engine
        let name = name
        let execution = Task { await engine.execute(job, worker: name, leaseFrom: claimSent, stopping: stopping) }
        await withTaskCancellationHandler {
            await execution.value
        } onCancel: {
            stopping.fire()
        }
    }
}

extension JobEngine {
    private enum Event: Sendable {
        case handlerDone(Result<Void, any Error>)
        case leaseLost
        case graceOver
    }

    /// Runs a claimed job: the handler, a lease renewer and a shutdown watch side by side.
    func execute(_ job: Job, worker: String, leaseFrom claimSent: ContinuousClock.Instant, stopping: Waiters) async {
        let clock = ContinuousClock()
        let started = clock.now
        var jobLogger = logger
        jobLogger[metadataKey: "job_id"] = "\(job.id)"
        jobLogger[metadataKey: "job_type"] = "\(job.type)"
        if let requestID = job.requestID { jobLogger[metadataKey: "request_id"] = "\(requestID)" }
        let log = jobLogger
        guard let entry = registry.entry(job.type) else {
            await finish(job, ending: .failure(PermanentJobFailure("no handler for job type '\(job.type)' in this process")),
                         worker: worker, seconds: 0)
            return
        }
        if stopping.isFired {
            await finish(job, ending: .handBack, worker: worker, seconds: 0)
            return
        }
        let leaseSeconds = config.leaseSeconds
        let leaseDeadline = LeaseDeadline(claimSent + .seconds(leaseSeconds))
        let context = JobContext(job: job, logger: log) { progress in
            let sent = ContinuousClock.now
            guard try await self.renew(job, progress: progress) else { throw JobError.leaseLost(job.id) }
            leaseDeadline.extend(to: sent + .seconds(leaseSeconds))
        }
        let payload = Data(((try? JobRows.key(of: job.resource)) ?? "{}").utf8)
        let renewEvery = leaseSeconds / 3
        let margin = min(1, leaseSeconds / 10)
        let grace = config.shutdownGraceSeconds

        var handlerResult: Result<Void, any Error>?
        var interruption: Event?
        await withTaskGroup(of: Event?.self) { group in
            group.addTask {
                do {
                    // Pod calls the handler makes carry the submitting request's id.
                    try await RequestTrace.$requestID.withValue(job.requestID) {
                        try await entry.run(payload, context)
                    }
                    return .handlerDone(.success(()))
                } catch {
                    return .handlerDone(.failure(error))
                }
            }
            group.addTask {
                while true {
                    do { try await Task.sleep(for: .seconds(renewEvery)) } catch { return nil }
                    let sent = ContinuousClock.now
                    do {
                        if try await !self.renew(job) { return .leaseLost }
                        leaseDeadline.extend(to: sent + .seconds(leaseSeconds))
                    } catch {
                        // A database hiccup: try again next period; the watchdog stops the run if it lasts.
                        log.warning("renewing a job lease failed", metadata: ["error": "\(String(reflecting: error))"])
                    }
                }
            }
            // Watchdog: if renewals stall (database slow, pool exhausted) the lease may expire and another
            // worker take over; stop our run just before that can happen instead of running alongside it.
            group.addTask {
                while true {
                    let stopAt = leaseDeadline.value - .seconds(margin)
                    if ContinuousClock.now >= stopAt { return .leaseLost }
                    do { try await Task.sleep(until: stopAt, clock: .continuous) } catch { return nil }
                }
            }
            group.addTask {
                await stopping.wait()
                if Task.isCancelled { return nil }
                do { try await Task.sleep(for: .seconds(grace)) } catch { return nil }
                return .graceOver
            }
            for await event in group {
                switch event {
                case .handlerDone(let result):
                    handlerResult = result
                    group.cancelAll()
                case .leaseLost, .graceOver:
                    if interruption == nil && handlerResult == nil {
                        interruption = event
                        group.cancelAll()
                    }
                case nil:
                    break
                }
            }
        }
        let seconds = (clock.now - started).seconds
        let ending: RunEnding
        switch (handlerResult, interruption) {
        case (.success?, _):
            ending = .success
        case (_, .graceOver?):
            log.info("job handed back at shutdown", metadata: ["worker": "\(worker)"])
            ending = .handBack
        case (_, .leaseLost?), (nil, _):
            log.warning("job run stopped: lease lost or about to expire", metadata: ["worker": "\(worker)"])
            ending = .failure(JobError.leaseLost(job.id))
        case (.failure(let error)?, _):
            log.warning("job run failed", metadata: ["attempt": "\(job.attempts)", "error": "\(error)"])
            ending = .failure(error)
        }
        // After a lost lease `finish` finds another owner and only logs the run.
        await finish(job, ending: ending, worker: worker, seconds: seconds)
    }
}

/// When our lease ends by the local clock, counted from before the claim or renewal was sent.
final class LeaseDeadline: Sendable {
    private let deadline: Mutex<ContinuousClock.Instant>
    init(_ initial: ContinuousClock.Instant) { deadline = Mutex(initial) }
    var value: ContinuousClock.Instant { deadline.withLock { $0 } }
    func extend(to instant: ContinuousClock.Instant) { deadline.withLock { $0 = max($0, instant) } }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
