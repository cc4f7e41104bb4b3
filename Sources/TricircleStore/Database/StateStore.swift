import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import SQLKit
import SQLiteKit
import Synchronization
import TricircleCore

/// The database cannot be reached or is not the primary (lost connection, failover under way, a demoted node
/// answering read-only): the caller answers 503 with Retry-After and the client retries; the store reconnects.
public struct StoreUnavailableError: Error, CustomStringConvertible, Sendable {
    public let reason: String
    /// The session's connection went away (rather than a server refusing, or no connection to be had).
    let lostConnection: Bool
    public var description: String { "state database unavailable: \(reason)" }

    init(reason: String, lostConnection: Bool = false) {
        self.reason = reason
        self.lostConnection = lostConnection
    }
}

/// Which database engine holds the state.
public enum StoreBackend: String, Sendable {
    case sqlite
    case postgres
}

/// Errors from opening or using the store, with messages an operator can act on.
public enum StoreError: Error, CustomStringConvertible, Sendable {
    case badURL(String)
    case conflict(String)
    case notFound(String)

    public var description: String {
        switch self {
        case .badURL(let m): return "bad database URL: \(m)"
        case .conflict(let m): return m
        case .notFound(let m): return m
        }
    }
}

/// The state database: SQLite (one file, one process) or PostgreSQL (shared by many processes).
/// Every query goes through `read` or `transaction`, which hand out an `SQLDatabase` bound to one session.
public final class StateStore: Sendable {
    public let backend: StoreBackend
    /// The URL with any password removed, for logs.
    public let displayURL: String
    let logger: Logger
    private let engine: Engine

    private enum Engine: Sendable {
        case sqlite(SQLiteConnection, SerialLock)
        case postgres(PostgresSessionPool)
    }

    private init(backend: StoreBackend, displayURL: String, logger: Logger, engine: Engine) {
        self.backend = backend
        self.displayURL = displayURL
        self.logger = logger
        self.engine = engine
    }

    /// Opens `sqlite:///abs/path`, `sqlite://relative/path`, `sqlite::memory:` or `postgresql://user:pass@host:port/db`.
    public static func open(url: String, maxPoolSize: Int = 10, logger: Logger = Logger(label: "tricircle.store")) async throws -> StateStore {
        if url.hasPrefix("sqlite:") {
            let rest = url.dropFirst("sqlite:".count)
            let storage: SQLiteConnection.Storage
            if rest == ":memory:" {
                storage = .memory
            } else {
                let path = rest.hasPrefix("//") ? String(rest.dropFirst(2)) : String(rest)
                guard !path.isEmpty else { throw StoreError.badURL("no file path in \(url)") }
                let directory = (path as NSString).deletingLastPathComponent
                if !directory.isEmpty {
                    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                }
                storage = .file(path: path)
            }
            let connection = try await SQLiteConnection.open(storage: storage, logger: logger)
            let store = StateStore(backend: .sqlite, displayURL: url, logger: logger, engine: .sqlite(connection, SerialLock()))
            // WAL lets readers proceed during a write; busy_timeout waits out another process's write lock.
            try await store.read { db in
                try await db.raw("PRAGMA journal_mode=WAL").run()
                try await db.raw("PRAGMA busy_timeout=5000").run()
                try await db.raw("PRAGMA foreign_keys=ON").run()
            }
            return store
        }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            let configuration: SQLPostgresConfiguration
            do {
                configuration = try SQLPostgresConfiguration(url: url)
            } catch {
                throw StoreError.badURL("cannot parse \(redact(url))")
            }
            let pool = PostgresSessionPool(
                configuration: configuration, maxConnections: maxPoolSize,
                // A burst queues for a connection rather than failing at once.
                requestTimeout: .seconds(30), maxIdleTime: .seconds(120), logger: logger)
            let store = StateStore(backend: .postgres, displayURL: redact(url), logger: logger, engine: .postgres(pool))
            do {
                try await store.read { db in try await db.raw("SELECT 1").run() }
            } catch {
                await pool.shutdown()
                throw StoreError.badURL("cannot connect to \(redact(url)): \(String(reflecting: error))")
            }
            return store
        }
        throw StoreError.badURL("'\(redact(url))' is neither sqlite:// nor postgresql://")
    }

    /// Runs `body` on one session outside a transaction.
    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        switch engine {
        case .sqlite(let connection, let lock):
            let counter = StoreRoundTrips.current
            return try await lock.withLock {
                try await body(RoundTripCountingDatabase(base: connection.sql(queryLogLevel: .trace), counter: counter))
            }
        case .postgres(let pool):
            let reads = SessionReads()
            do {
                return try await readOnce(body, pool: pool, reads: reads)
            } catch where Self.isLostConnection(error) && reads.onlyReads {
                // A pooled connection that died with the old primary (or was cut by the proxy): the body sent only
                // SELECTs, so it changed nothing and runs once more on a new connection, instead of the caller's 503
                // for each dead connection left in the pool.
                logger.info("the state database connection was lost under a read; reading again on a new one",
                            metadata: ["error": "\(String(reflecting: error))"])
                return try await readOnce(body, pool: pool, reads: SessionReads())
            }
        }
    }

    /// One attempt of `read` on PostgreSQL: `reads` notes whether the body sent only SELECTs.
    private func readOnce<T: Sendable>(
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> T, pool: PostgresSessionPool, reads: SessionReads
    ) async throws -> T {
        let counter = StoreRoundTrips.current
        do {
            // A session on a node that stopped being the primary may keep its socket (a demoted node answers
            // 25006): the pool closes it (without waiting: a connection the server already failed may never
            // finish closing), so the next one goes through the proxy to the new primary.
            return try await pool.withConnection(discardOn: { Self.isUnavailable($0) }) { connection in
                // The body runs in a task of its own (awaited), as it did under AsyncKit's pool: a cancelled
                // request does not cut its session's statements short.
                try await connection.eventLoop.makeFutureWithTask {
                    let session = ClosingSessionDatabase(
                        base: connection.sql(queryLogLevel: .trace), isClosed: { connection.isClosed }, reads: reads)
                    return try await body(RoundTripCountingDatabase(base: session, counter: counter))
                }.get()
            }
        } catch where Self.isUnavailable(error) {
            if error is StoreUnavailableError { throw error }
            throw StoreUnavailableError(reason: Self.describe(error), lostConnection: Self.isLostConnection(error))
        }
    }

    /// Whether an error means the session's connection itself went away (closed, cut, ended by the server:
    /// 57P01 admin shutdown, class 08), as opposed to a server that answered it cannot serve (read-only, no slot)
    /// or a pool with no connection to give: only the first is worth one more try on a new connection.
    static func isLostConnection(_ error: any Error) -> Bool {
        switch error {
        case let unavailable as StoreUnavailableError: return unavailable.lostConnection
        case let pg as PSQLError:
            switch pg.code {
            case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown: return true
            case .server:
                guard let code = pg.serverInfo?[.sqlState] else { return false }
                return code.hasPrefix("08") || code == "57P01"
            default: return false
            }
        case is ChannelError, is IOError: return true
        default: return false
        }
    }

    /// Whether an error means the database is out of reach or not the primary, rather than a refused
    /// statement: the connection was lost or could not be made, the server is shutting down or starting
    /// (57P01 after pg_terminate_backend or a fast shutdown, 57P02, 57P03), a connection exception (class 08),
    /// a read-only node (25006: a demoted primary or a standby), no connection slot (53300), or the pool had
    /// none to give within its wait.
    public static func isUnavailable(_ error: any Error) -> Bool {
        switch error {
        case is StoreUnavailableError: return true
        case let pg as PSQLError:
            switch pg.code {
            case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown, .poolClosed:
                return true
            case .server:
                guard let code = pg.serverInfo?[.sqlState] else { return false }
                return code.hasPrefix("08") || code.hasPrefix("57P0") || code == "25006" || code == "53300"
            default:
                return false
            }
        case is ChannelError, is NIOConnectionError, is IOError:
            return true
        default:
            return false
        }
    }

    /// A short description of an unavailability for logs and `StoreUnavailableError`.
    static func describe(_ error: any Error) -> String {
        guard let pg = error as? PSQLError else { return String(describing: error) }
        if let message = pg.serverInfo?[.message] {
            return "\(pg.serverInfo?[.sqlState] ?? "") \(message)"
        }
        return "\(pg.code)" + (pg.underlying.map { ": \($0)" } ?? "")
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    /// COMMIT and ROLLBACK run where the caller's cancellation cannot reach them: a cancelled request must
    /// never leave its session inside an open transaction (the next BEGIN on it would fail).
    ///
    /// A transaction the database aborted to keep transactions apart (PostgreSQL's and CockroachDB's
    /// serialization failure 40001, a deadlock 40P01) rolled back everything it did, so it is run again, a few
    /// times with a short random pause; `body` must therefore keep its effects inside the transaction.
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        var attempt = 1
        var reopened = false
        while true {
            let progress = TransactionProgress()
            do {
                return try await transactionOnce(body, progress: progress)
            } catch where Self.isRetryableConflict(error) && attempt < Self.conflictAttempts {
                logger.info("transaction aborted by the database to keep transactions apart; running it again",
                            metadata: ["attempt": "\(attempt)", "error": "\(String(reflecting: error))"])
                try await Task.sleep(for: .milliseconds(Int.random(in: 5...(20 * attempt))))
                attempt += 1
            } catch where Self.isUnavailable(error) && !progress.began && !reopened {
                // BEGIN never went through (a pooled connection the old primary's end had closed): nothing of the
                // body ran, so one more try on a new connection is safe. Once BEGIN went through, a lost
                // connection may have lost the COMMIT's answer too: that is the caller's 503, never a rerun.
                logger.info("the state database connection was lost before the transaction began; trying a new one",
                            metadata: ["error": "\(String(reflecting: error))"])
                reopened = true
            }
        }
    }

    /// Attempts of one transaction aborted as a serialization failure or a deadlock.
    static let conflictAttempts = 5

    /// PostgreSQL (and CockroachDB) SQLSTATEs that mean "this transaction lost a conflict, try it again".
    public static func isRetryableConflict(_ error: any Error) -> Bool {
        guard let pg = error as? PSQLError, let code = pg.serverInfo?[.sqlState] else { return false }
        return code == "40001" || code == "40P01"
    }

    private func transactionOnce<T: Sendable>(
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> T, progress: TransactionProgress
    ) async throws -> T {
        try await read { db in
            // SQLite: take the write lock at BEGIN, where busy_timeout waits for another process's writer; a
            // deferred transaction that read first fails at once ("database is locked") when it comes to write.
            let begin: SQLQueryString = self.backend == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN"
            try await Self.uncancellable { try await db.raw(begin).run() }
            progress.markBegan()
            let result: T
            do {
                result = try await body(db)
            } catch {
                try? await Self.uncancellable { try await db.raw("ROLLBACK").run() }
                throw error
            }
            do {
                try await Self.uncancellable { try await db.raw("COMMIT").run() }
            } catch {
                try? await Self.uncancellable { try await db.raw("ROLLBACK").run() }
                throw error
            }
            return result
        }
    }

    /// Runs `work` in a child of no one's cancellation, and waits for it (it never outlives the caller).
    static func uncancellable(_ work: @escaping @Sendable () async throws -> Void) async throws {
        try await Task { try await work() }.value
    }

    /// Closes every connection.
    public func close() async throws {
        switch engine {
        case .sqlite(let connection, _): try await connection.close()
        case .postgres(let pool): await pool.shutdown()
        }
    }

    /// Whether an error is a unique-constraint violation (the same idea on both backends).
    public static func isUniqueViolation(_ error: any Error) -> Bool {
        if let pg = error as? PSQLError, let code = pg.serverInfo?[.sqlState] { return code == "23505" }
        let text = String(describing: error)
        return text.contains("UNIQUE constraint failed") || text.contains("constraint_unique")
    }

    static func redact(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }
}

/// Whether one attempt of a transaction got past BEGIN (read by the retry decision after it failed).
final class TransactionProgress: Sendable {
    private let state = Atomic<Bool>(false)
    var began: Bool { state.load(ordering: .acquiring) }
    func markBegan() { state.store(true, ordering: .releasing) }
}

/// A FIFO async lock: SQLite gets one session at a time, so transactions never interleave on its one connection.
final class SerialLock: Sendable {
    private let state = Mutex<(locked: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func withLock<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let runNow = state.withLock { s -> Bool in
                if !s.locked { s.locked = true; return true }
                s.waiters.append(continuation)
                return false
            }
            if runNow { continuation.resume() }
        }
    }

    private func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiters.isEmpty { s.locked = false; return nil }
            return s.waiters.removeFirst()
        }
        next?.resume()
    }
}
