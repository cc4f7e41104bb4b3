import Logging
import NIOCore
import SQLKit
import Synchronization

/// Statements sent to the state database on behalf of one piece of work (an API request): each is a round trip,
/// which is what hurts when the database is far away (sites over a WAN). The gateway sets one per request
/// (`StoreRoundTrips.$current`); every statement the store runs for it, in child tasks too, is counted.
public final class StoreRoundTrips: Sendable {
    @TaskLocal public static var current: StoreRoundTrips?

    private let value = Atomic<Int>(0)
    private let keepsStatements: Bool
    private let kept = Mutex<[String]>([])

    /// `keepingStatements`: also keep each statement's SQL (for a trace log of what a request sent).
    public init(keepingStatements: Bool = false) {
        keepsStatements = keepingStatements
    }

    /// Statements counted so far.
    public var count: Int { value.load(ordering: .relaxed) }

    /// The SQL of each statement so far, in order (empty unless kept).
    public var statements: [String] { kept.withLock { $0 } }

    func add(_ query: any SQLExpression, on database: any SQLDatabase) {
        value.add(1, ordering: .relaxed)
        guard keepsStatements else { return }
        var serializer = SQLSerializer(database: database)
        query.serialize(to: &serializer)
        let sql = serializer.sql.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        kept.withLock { $0.append(String(sql.prefix(200))) }
    }
}

/// A session that counts each statement it runs into the counter of the work that opened it, passing everything
/// else through. The counter is taken when the session is asked for: PostgreSQL's pool runs the session's body
/// in a task of its own, where the caller's task-local is no longer set.
struct RoundTripCountingDatabase: SQLDatabase {
    let base: any SQLDatabase
    let counter: StoreRoundTrips?

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        counter?.add(query, on: base)
        return base.execute(sql: query, onRow)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        counter?.add(query, on: base)
        try await base.execute(sql: query, onRow)
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await base.withSession { session in try await closure(RoundTripCountingDatabase(base: session, counter: counter)) }
    }
}

/// A PostgreSQL session whose statements fail as `StoreUnavailableError` when the connection closes under them.
/// postgres-nio hands a statement to the connection's channel without a write promise: one written just as the
/// server went away (a killed primary) was never answered nor failed, and its request waited forever (seen in
/// `tricircle-bench failover`). While a statement waits, the connection is looked at twice a second (a timer
/// per statement, gone with it: nothing piles up on a long-lived connection).
struct ClosingSessionDatabase: SQLDatabase {
    let base: any SQLDatabase
    let isClosed: @Sendable () -> Bool
    /// Notes whether every statement of the session was a SELECT (then running it again is harmless).
    let reads: SessionReads

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        reads.note(query, on: base)
        let loop = base.eventLoop
        let promise = loop.makePromise(of: Void.self)
        let once = Once()
        let isClosed = isClosed
        let watch = loop.scheduleRepeatedTask(initialDelay: .milliseconds(500), delay: .milliseconds(500)) { task in
            guard isClosed() else { return }
            task.cancel()
            if once.first() {
                promise.fail(StoreUnavailableError(reason: "the connection closed while a statement was waiting on it", lostConnection: true))
            }
        }
        base.execute(sql: query, onRow).whenComplete { result in
            watch.cancel()
            if once.first() { promise.completeWith(result) }
        }
        return promise.futureResult
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        try await execute(sql: query, onRow).get()
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await closure(self)
    }
}

/// Whether a session sent only SELECT statements so far: such a session that lost its connection can be run again
/// on a new one (it changed nothing); one that sent anything else may have changed something before the loss.
final class SessionReads: Sendable {
    private let onlySelects = Atomic<Bool>(true)
    private let sent = Atomic<Bool>(false)

    /// A statement was sent on a session that SELECTed only: the connection was handed out and died under it
    /// (a connection that could not be opened never gets here: that is the caller's 503, not one more attempt).
    var onlyReads: Bool { sent.load(ordering: .acquiring) && onlySelects.load(ordering: .acquiring) }

    func note(_ query: any SQLExpression, on database: any SQLDatabase) {
        sent.store(true, ordering: .releasing)
        guard onlySelects.load(ordering: .acquiring) else { return }
        var serializer = SQLSerializer(database: database)
        query.serialize(to: &serializer)
        let head = serializer.sql.drop { $0.isWhitespace }.prefix(7).uppercased()
        if !(head.hasPrefix("SELECT ") || head.hasPrefix("SELECT\n")) { onlySelects.store(false, ordering: .releasing) }
    }
}

/// True for the first caller only: one statement's answer or its connection's loss completes it, never both.
final class Once: Sendable {
    private let done = Atomic<Bool>(false)
    func first() -> Bool { !done.exchange(true, ordering: .acquiringAndReleasing) }
}
