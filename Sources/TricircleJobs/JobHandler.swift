import Foundation
import Logging
import Synchronization

/// Code that does one type of job.
///
/// Handlers MUST be safe to repeat: a run can be cut short (worker killed, lease lost, shutdown) and the
/// job run again from the start, and several submissions for one resource collapse into one run. Read
/// the current state and converge on it rather than replaying a recorded change. Honour task
/// cancellation promptly: it is how a lost lease or a shutdown past its grace period stops a run.
public protocol JobHandler: Sendable {
    /// The typed payload, decoded from the job's resource keys (every value is a string).
    associatedtype Payload: Codable & Sendable
    /// The job type, e.g. `router_setup`.
    static var type: String { get }
    /// The resource keys a submission must give, exactly (e.g. `["router_id", "pod_id"]`).
    static var resourceKeys: [String] { get }
    /// Does the work; throw to fail the run (retried with backoff), or `PermanentJobFailure` to stop retrying.
    func run(_ payload: Payload, context: JobContext) async throws
}

/// What a running handler can see and do: its job, a logger, progress reports (which also renew the lease).
public struct JobContext: Sendable {
    /// The job as claimed (status running, `attempts` counts this run).
    public let job: Job
    /// A logger carrying the job id and type.
    public let logger: Logger
    let report: @Sendable (JobProgress) async throws -> Void

    /// Records progress (shown by `jobs show`) and renews the lease; throws `JobError.leaseLost` if another
    /// worker may have taken the job, in which case the handler should stop.
    public func progress(done: Int64, total: Int64, note: String? = nil) async throws {
        try await report(JobProgress(done: done, total: total, note: note))
    }
}

/// The job types this process knows, with their handlers and schemas. Register before workers start.
public final class JobHandlerRegistry: Sendable {
    struct Entry: Sendable {
        let schema: JobSchema
        let run: @Sendable (_ resourceJSON: Data, _ context: JobContext) async throws -> Void
    }

    private let entries = Mutex<[String: Entry]>([:])

    public init() {}

    /// Registers `handler` for `H.type`, replacing any earlier handler of that type.
    public func register<H: JobHandler>(_ handler: H) {
        let schema = JobSchema(type: H.type, resource: H.resourceKeys.sorted())
        register(schema: schema) { data, context in
            let payload: H.Payload
            do {
                payload = try JSONDecoder().decode(H.Payload.self, from: data)
            } catch {
                throw PermanentJobFailure("cannot decode \(H.Payload.self) from the job's resource: \(error)")
            }
            try await handler.run(payload, context: context)
        }
    }

    /// Registers a closure taking the raw resource keys (small handlers, tests).
    public func register(
        type: String, resourceKeys: [String],
        run: @escaping @Sendable (_ resource: [String: String], _ context: JobContext) async throws -> Void
    ) {
        register(schema: JobSchema(type: type, resource: resourceKeys.sorted())) { _, context in
            try await run(context.job.resource, context)
        }
    }

    private func register(schema: JobSchema, run: @escaping @Sendable (Data, JobContext) async throws -> Void) {
        entries.withLock { $0[schema.type] = Entry(schema: schema, run: run) }
    }

    /// Every registered type's schema, sorted by type.
    public func schemas() -> [JobSchema] {
        entries.withLock { $0.values.map(\.schema) }.sorted { $0.type < $1.type }
    }

    func entry(_ type: String) -> Entry? {
        entries.withLock { $0[type] }
    }
}
