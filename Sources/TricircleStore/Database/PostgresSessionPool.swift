import Logging
import NIOCore
import NIOPosix
import PostgresKit
import Synchronization

/// The store's PostgreSQL connections: a bounded pool in which every connection has exactly one owner at any time
/// (the idle list, the caller that leased it, or the caller opening it), so none is ever dropped open.
///
/// Why not AsyncKit's `EventLoopConnectionPool`: it can hand a connection to a request that has already failed.
/// A waiting request whose own connect is still under way is served, when a closed connection comes back, by a
/// second request (`_requestConnection0(...).cascade(to: waiter.promise)`) that opens another connection; when the
/// first connect then fails (HAProxy closing it while there is no primary), the request's promise fails, and the
/// second connection, once made, is cascaded into that completed promise and lost: never released, never closed.
/// In a debug build postgres-nio stops the process on it ("PostgresConnection deinitialized before being closed",
/// the gateway in `tricircle-bench failover`); in a release build it is a leaked session and a pool slot gone.
/// Here a caller that opens a connection awaits that connect itself and is the only one to get it; a waiter is
/// only ever given an idle connection or a free slot, under the pool's lock, and only while it still waits.
final class PostgresSessionPool: Sendable {
    /// What a waiting request is given: a connection released by another request, or a slot to open one in.
    private enum Grant: Sendable {
        case connection(PostgresConnection)
        case openNew
    }

    private struct Waiter: Sendable {
        let id: Int
        let continuation: CheckedContinuation<Grant, any Error>
    }

    private struct State: Sendable {
        /// Connections given back and still usable, oldest first (the newest is handed out next).
        var idle: [(connection: PostgresConnection, since: NIODeadline)] = []
        /// Connections open or being opened, leased or idle: never more than `maxConnections`.
        var open = 0
        /// Requests waiting for a connection, first come first served (only while `idle` is empty).
        var waiters: [Waiter] = []
        var nextWaiterID = 0
        var shutDown = false
    }

    private let configuration: PostgresConnection.Configuration
    private let searchPath: [String]?
    private let maxConnections: Int
    private let requestTimeout: TimeAmount
    private let maxIdleTime: TimeAmount
    private let group: any EventLoopGroup
    private let logger: Logger
    private let state = Mutex(State())
    private let connectionIDs = Atomic<Int>(0)

    init(configuration: SQLPostgresConfiguration, maxConnections: Int, requestTimeout: TimeAmount,
         maxIdleTime: TimeAmount, logger: Logger, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration.coreConfiguration
        self.searchPath = configuration.searchPath
        self.maxConnections = max(1, maxConnections)
        self.requestTimeout = requestTimeout
        self.maxIdleTime = maxIdleTime
        self.logger = logger
        self.group = group
    }

    deinit {
        // A store dropped without close(): its idle connections still get closed (close() emptied the list).
        Self.close(state.withLock { s in s.idle.map(\.connection) })
    }

    /// Runs `body` with a connection of its own and gives the connection back however `body` ends. A connection
    /// `body` found unusable (`discard` says so from the error) is closed rather than given back.
    func withConnection<T: Sendable>(
        discardOn discard: @Sendable (any Error) -> Bool = { _ in false },
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await lease()
        do {
            let result = try await body(connection)
            release(connection, discard: false)
            return result
        } catch {
            release(connection, discard: discard(error))
            throw error
        }
    }

    /// An idle connection, a new one if there is room, or the first one given back within `requestTimeout`.
    private func lease() async throws -> PostgresConnection {
        let now = NIODeadline.now()
        var stale: [PostgresConnection] = []
        let grant: Grant = try await withCheckedThrowingContinuation { continuation in
            let immediate: Result<Grant, any Error>? = state.withLock { s in
                guard !s.shutDown else { return .failure(StoreUnavailableError(reason: "the store is closed")) }
                // Connections idle too long are closed here rather than by a timer (the server may end them).
                let maxIdleTime = maxIdleTime
                stale = s.idle.filter { $0.since + maxIdleTime < now }.map(\.connection)
                s.idle.removeAll { $0.since + maxIdleTime < now }
                s.open -= stale.count
                while let entry = s.idle.popLast() {
                    if !entry.connection.isClosed { return .success(.connection(entry.connection)) }
                    s.open -= 1
                }
                if s.open < maxConnections {
                    s.open += 1
                    return .success(.openNew)
                }
                let id = s.nextWaiterID
                s.nextWaiterID += 1
                s.waiters.append(Waiter(id: id, continuation: continuation))
                group.any().scheduleTask(in: requestTimeout) { [weak self] in self?.timeOut(waiter: id) }
                return nil
            }
            if let immediate { continuation.resume(with: immediate) }
        }
        Self.close(stale)
        switch grant {
        case .connection(let connection): return connection
        case .openNew: return try await openConnection()
        }
    }

    /// Opens a connection in a slot already counted in `open`; the caller awaits it, so it is never left unowned.
    private func openConnection() async throws -> PostgresConnection {
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                on: group.any(), configuration: configuration,
                id: connectionIDs.add(1, ordering: .relaxed).newValue, logger: logger).get()
            if let searchPath {
                do {
                    try await connection.sql(queryLogLevel: nil)
                        .raw("SET search_path TO \(idents: searchPath, joinedBy: ",")").run()
                } catch {
                    Self.close([connection])
                    throw error
                }
            }
        } catch {
            // The slot is free again: a waiter, if any, may try its own connect rather than wait for its timeout.
            let next = state.withLock { s -> Waiter? in
                guard !s.shutDown, !s.waiters.isEmpty else { s.open -= 1; return nil }
                return s.waiters.removeFirst()
            }
            next?.continuation.resume(returning: .openNew)
            throw error
        }
        return connection
    }

    /// Gives a leased connection back: to the first waiter, to the idle list, or closed (discarded, closed by
    /// the server, or the pool shut down) with its slot going to the first waiter.
    private func release(_ connection: PostgresConnection, discard: Bool) {
        enum Outcome { case kept, closed, handed(Waiter, Grant) }
        // A session that died says the server went away (a failover): the idle ones went with it, even if their
        // close has not been seen yet, so they are closed too rather than handed out one by one to fail.
        let lost = discard || connection.isClosed
        let dropped: [PostgresConnection] = lost ? state.withLock { s in
            let idle = s.idle.map(\.connection)
            s.idle = []
            s.open -= idle.count
            return idle
        } : []
        Self.close(dropped)
        let outcome = state.withLock { s -> Outcome in
            if s.shutDown || lost {
                guard !s.shutDown, !s.waiters.isEmpty else { s.open -= 1; return .closed }
                return .handed(s.waiters.removeFirst(), .openNew)
            }
            if !s.waiters.isEmpty { return .handed(s.waiters.removeFirst(), .connection(connection)) }
            s.idle.append((connection, .now()))
            return .kept
        }
        switch outcome {
        case .kept:
            break
        case .closed:
            Self.close([connection])
        case .handed(let waiter, let grant):
            if case .openNew = grant { Self.close([connection]) }
            waiter.continuation.resume(returning: grant)
        }
    }

    /// A waiter still waiting after `requestTimeout` gets the store's 503 (a granted one is no longer listed).
    private func timeOut(waiter id: Int) {
        let waiter = state.withLock { s -> Waiter? in
            guard let index = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return s.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: StoreUnavailableError(
            reason: "no database connection free within \(requestTimeout.nanoseconds / 1_000_000_000) s"))
    }

    /// Closes the idle connections and fails the waiters; leased connections are closed as they come back.
    func shutdown() async {
        let (idle, waiters) = state.withLock { s in
            s.shutDown = true
            let idle = s.idle.map(\.connection)
            s.open -= idle.count
            s.idle = []
            let waiters = s.waiters
            s.waiters = []
            return (idle, waiters)
        }
        for waiter in waiters { waiter.continuation.resume(throwing: StoreUnavailableError(reason: "the store is closed")) }
        for connection in idle { try? await connection.close().get() }
    }

    /// Closes connections without waiting; each stays referenced until its channel has closed (postgres-nio
    /// asserts that a connection object outlives its open channel).
    private static func close(_ connections: [PostgresConnection]) {
        for connection in connections where !connection.isClosed {
            connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
        }
    }
}
