import Foundation
import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport

/// What a failover does to the store's connections, done by hand: the server ends every session of the
/// database (pg_terminate_backend, as a primary going away does); the store must reconnect, not hang or
/// keep handing out dead sessions. PostgreSQL only (SQLite has no server to lose).
@Suite("Store reconnects")
struct StoreReconnectTests {
    /// Ends every session of `store`'s database but the caller's own, from a second store on the same database.
    static func terminateSessions(of url: String) async throws -> Int {
        let admin = try await StateStore.open(url: url, maxPoolSize: 1)
        do {
            let ended = try await admin.read { db in
                try await db.raw("""
                    SELECT COUNT(*) AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                                               WHERE datname = current_database() AND pid <> pg_backend_pid()) AS t
                    """).first()?.decode(column: "n", as: Int.self) ?? 0
            }
            try await admin.close()
            return ended
        } catch {
            try? await admin.close()
            throw error
        }
    }

    @Test("after the server ends its sessions, a read either works or fails as unavailable, and the next one works",
          .enabled(if: TestDatabases.postgresURL != nil))
    func readAfterTermination() async throws {
        let url = try await TestDatabases.makeURL(.postgres)
        let store = try await StateStore.open(url: url, maxPoolSize: 4)
        do {
            try await store.migrate()
            let pods = PodStore(store: store)
            _ = try await pods.create(regionName: "RegionOne", azName: "az1")
            // Several sessions open in the pool, all idle when they are ended.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 { group.addTask { _ = try await pods.list() } }
                try await group.waitForAll()
            }
            #expect(try await Self.terminateSessions(of: url) >= 1)
            // Each dead session in the pool may be handed out once: it must then read as "unavailable" (the
            // API's 503) and be dropped, so the failures end within the pool's size and reads work again.
            var failures = 0
            for _ in 0..<8 {
                do {
                    #expect(try await pods.list().count == 1)
                } catch {
                    failures += 1
                    #expect(error is StoreUnavailableError, "unexpected error: \(String(reflecting: error))")
                }
            }
            #expect(failures <= 4)
            #expect(try await pods.list().count == 1)
            try await store.close()
        } catch {
            try? await store.close()
            throw error
        }
    }

    @Test("after the server ends its sessions, every read works: a read on a dead pooled session runs again on a new one",
          .enabled(if: TestDatabases.postgresURL != nil))
    func readRetriedAfterTermination() async throws {
        let url = try await TestDatabases.makeURL(.postgres)
        let store = try await StateStore.open(url: url, maxPoolSize: 4)
        do {
            try await store.migrate()
            let pods = PodStore(store: store)
            _ = try await pods.create(regionName: "RegionOne", azName: "az1")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 { group.addTask { _ = try await pods.list() } }
                try await group.waitForAll()
            }
            #expect(try await Self.terminateSessions(of: url) >= 1)
            // Before, each dead session handed out cost one 503; a SELECT changed nothing, so it is read again.
            for _ in 0..<8 { #expect(try await pods.list().count == 1) }
            try await store.close()
        } catch {
            try? await store.close()
            throw error
        }
    }

    @Test("a write outside a transaction on a dead session is not run again: it fails as unavailable or is done once",
          .enabled(if: TestDatabases.postgresURL != nil))
    func writeNotRetriedAfterTermination() async throws {
        let url = try await TestDatabases.makeURL(.postgres)
        let store = try await StateStore.open(url: url, maxPoolSize: 1)
        do {
            try await store.migrate()
            try await store.read { db in try await db.raw("CREATE TABLE marks (n INTEGER)").run() }
            #expect(try await Self.terminateSessions(of: url) >= 1)
            var failed = 0
            do {
                try await store.read { db in try await db.raw("INSERT INTO marks (n) VALUES (1)").run() }
            } catch {
                failed += 1
                #expect(error is StoreUnavailableError, "unexpected error: \(String(reflecting: error))")
            }
            let rows = try await store.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM marks").first()?.decode(column: "n", as: Int.self) ?? -1
            }
            #expect(rows + failed == 1)
            try await store.close()
        } catch {
            try? await store.close()
            throw error
        }
    }

    @Test("a transaction after the server ended its sessions runs on a new session (BEGIN never went through)",
          .enabled(if: TestDatabases.postgresURL != nil))
    func transactionAfterTermination() async throws {
        let url = try await TestDatabases.makeURL(.postgres)
        let store = try await StateStore.open(url: url, maxPoolSize: 1)
        do {
            try await store.migrate()
            let pods = PodStore(store: store)
            _ = try await pods.create(regionName: "RegionOne", azName: "az1")
            #expect(try await Self.terminateSessions(of: url) >= 1)
            let pod = try await pods.create(regionName: "RegionTwo", azName: "az2")
            #expect(try await pods.list().map(\.podID).contains(pod.podID))
            try await store.close()
        } catch {
            try? await store.close()
            throw error
        }
    }

    @Test("a session cut in the middle of a transaction fails it as unavailable, commits nothing, and the next works",
          .enabled(if: TestDatabases.postgresURL != nil))
    func cutInsideTransaction() async throws {
        let url = try await TestDatabases.makeURL(.postgres)
        let store = try await StateStore.open(url: url, maxPoolSize: 2)
        do {
            try await store.migrate()
            let pods = PodStore(store: store)
            await #expect(throws: StoreUnavailableError.self) {
                try await store.transaction { db in
                    try await db.raw("""
                        INSERT INTO pods (pod_id, region_name, az_name, pod_az_name, dc_name, created_at, updated_at)
                        VALUES ('p-cut', 'RegionCut', 'azc', '', '', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')
                        """).run()
                    // The server ends this very session: what a primary killed mid-transaction looks like.
                    try await db.raw("SELECT pg_terminate_backend(pg_backend_pid())").run()
                }
            }
            #expect(try await pods.list().isEmpty)
            _ = try await pods.create(regionName: "RegionOne", azName: "az1")
            #expect(try await pods.list().count == 1)
            try await store.close()
        } catch {
            try? await store.close()
            throw error
        }
    }

    @Test("a read-only session (a demoted primary answers 25006) fails as unavailable and is not handed out again",
          .enabled(if: TestDatabases.postgresURL != nil))
    func readOnlySessionIsDropped() async throws {
        let url = try await TestDatabases.makeURL(.postgres)
        let store = try await StateStore.open(url: url, maxPoolSize: 1)
        do {
            try await store.migrate()
            let pods = PodStore(store: store)
            // A session made read-only for the rest of its life, as on a node now in recovery: a write on it is
            // refused with 25006, which must read as unavailable and drop the session.
            await #expect(throws: StoreUnavailableError.self) {
                try await store.read { db in
                    try await db.raw("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY").run()
                    try await db.raw("""
                        INSERT INTO pods (pod_id, region_name, az_name, pod_az_name, dc_name, created_at, updated_at)
                        VALUES ('p-ro', 'RegionRO', 'azr', '', '', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')
                        """).run()
                }
            }
            // Had the read-only session gone back to the pool, one of these writes would land on it and fail.
            for index in 0..<4 { _ = try await pods.create(regionName: "Region\(index)", azName: "az\(index)") }
            #expect(try await pods.list().count == 4)
            try await store.close()
        } catch {
            try? await store.close()
            throw error
        }
    }
}
