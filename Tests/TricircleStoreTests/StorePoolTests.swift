import Foundation
import Synchronization
import Testing
import TricircleStore
import TricircleTestSupport

/// The store's connection pool through a failover, played step by step with a proxy in front of PostgreSQL:
/// sessions cut under their requests, connects that hang, then fail or get through. No connection may be dropped
/// open: postgres-nio stops a debug build on it ("PostgresConnection deinitialized before being closed"), which is
/// how the gateway died in `tricircle-bench failover` under AsyncKit's pool.
@Suite("Store connection pool")
struct StorePoolTests {
    /// Polls `condition` (a few seconds at most): the steps below wait for connections to show up at the proxy.
    static func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<400 where !condition() { try await Task.sleep(for: .milliseconds(5)) }
    }

    /// Where the requests holding sessions are (shared with their tasks).
    final class Steps: Sendable {
        let started = Atomic<Int>(0)
        let holdersDone = Atomic<Int>(0)
        let released = Atomic<Bool>(false)
    }

    @Test("a connection made after its request failed is kept or closed, never dropped open (sessions cut, connects refused, then let through)",
          .enabled(if: TestDatabases.postgresURL != nil))
    func noConnectionDroppedOpen() async throws {
        let url = try await TestDatabases.makeURL(.postgres)
        var components = try #require(URLComponents(string: url))
        let proxy = try await LoopbackProxy.start(upstreamHost: components.host ?? "127.0.0.1", upstreamPort: components.port ?? 5432)
        components.host = "127.0.0.1"
        components.port = proxy.port
        // One lane per event loop: AsyncKit's pool kept a pool per loop, each with room for 2 connections here.
        let lanes = max(2, ProcessInfo.processInfo.activeProcessorCount)
        let store = try await StateStore.open(url: try #require(components.string), maxPoolSize: 2 * lanes)
        let steps = Steps()
        do {
            let outcomes = try await withThrowingTaskGroup(of: (any Error)?.self) { group in
                // 1. Requests holding a session each, as requests in flight when the primary dies.
                for _ in 0..<lanes {
                    group.addTask {
                        defer { steps.holdersDone.add(1, ordering: .relaxed) }
                        do {
                            try await store.read { db in
                                try await db.raw("SELECT 1").run()
                                steps.started.add(1, ordering: .relaxed)
                                while !steps.released.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(5)) }
                                // Not a SELECT: the store does not read it again on a new connection.
                                try await db.raw("SET application_name = 'after the cut'").run()
                            }
                            return nil
                        } catch { return error }
                    }
                }
                try await Self.waitUntil { steps.started.load(ordering: .relaxed) == lanes }
                // 2. New connects hang (no primary yet): one request per lane opens one and waits for it.
                proxy.hold()
                for _ in 0..<lanes {
                    group.addTask {
                        do {
                            try await store.read { db in try await db.raw("SELECT 1").run() }
                            return nil
                        } catch { return error }
                    }
                }
                try await Self.waitUntil { proxy.heldCount >= lanes }
                let firstConnects = proxy.heldCount
                // 3. The sessions die; the requests holding them fail and give them back closed (AsyncKit then
                //    served each waiting request by opening yet another connection on its behalf).
                proxy.cutRelayed()
                steps.released.store(true, ordering: .releasing)
                try await Self.waitUntil { steps.holdersDone.load(ordering: .relaxed) == lanes }
                try await Self.waitUntil { proxy.heldCount > firstConnects }
                // 4. The first connects fail (the proxy closes them during the startup, as HAProxy does with no
                //    primary), 5. then the database is back and every later connect gets through.
                proxy.refuseHeld(first: firstConnects)
                try await Task.sleep(for: .milliseconds(100))
                proxy.passNew()
                proxy.passHeld()
                var outcomes: [(any Error)?] = []
                for try await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
            // Every request answered: done, or the store's "unavailable" (the API's 503), nothing else.
            #expect(outcomes.count == 2 * lanes)
            for case let error? in outcomes {
                #expect(error is StoreUnavailableError, "unexpected error: \(String(reflecting: error))")
            }
            // The store works afterwards, one read at a time. A new session through the proxy on a loaded machine
            // has been seen to wait out postgres-nio's 10 s connect timeout (the server's first byte never came
            // back through the proxy), so a read may fail as unavailable once, not every time.
            for _ in 0..<(2 * lanes) {
                var lastError: (any Error)?
                for _ in 0..<3 {
                    do {
                        try await store.read { db in try await db.raw("SELECT 1").run() }
                        lastError = nil
                        break
                    } catch {
                        lastError = error
                    }
                }
                if let lastError { Issue.record("after the failover: \(String(reflecting: lastError)); proxy: \(proxy.summary)") }
            }
            try await store.close()
            await proxy.stop()
        } catch {
            steps.released.store(true, ordering: .releasing)
            try? await store.close()
            await proxy.stop()
            throw error
        }
    }
}
