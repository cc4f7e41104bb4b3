import Testing
import TricircleStore
import TricircleTestSupport

@Suite("Migrations")
struct MigrationTests {
    @Test("upgrade applies every version once and is safe to run again", arguments: TestDatabases.backends)
    func upgradeTwice(backend: StoreBackend) async throws {
        let store = try await TestDatabases.makeStore(backend, migrate: false)
        let first = try await store.migrate()
        #expect(first.map(\.version) == Migrations.all.map(\.version))
        let second = try await store.migrate()
        #expect(second.isEmpty)
        #expect(try await store.currentVersions() == Set(Migrations.all.map(\.version)))
        try await store.close()
    }

    @Test("two stores upgrading the same database at once both succeed", arguments: TestDatabases.backends)
    func concurrentUpgrade(backend: StoreBackend) async throws {
        let url = try await TestDatabases.makeURL(backend)
        let a = try await StateStore.open(url: url)
        let b = try await StateStore.open(url: url)
        do {
            async let ra = a.migrate()
            async let rb = b.migrate()
            let (applied1, applied2) = try await (ra, rb)
            #expect(applied1.count + applied2.count >= Migrations.all.count)
            #expect(try await a.currentVersions() == Set(Migrations.all.map(\.version)))
        } catch {
            try await a.close()
            try await b.close()
            throw error
        }
        try await a.close()
        try await b.close()
    }

    @Test("a URL that is neither sqlite nor postgresql is refused with a clear message")
    func badURL() async throws {
        await #expect(throws: StoreError.self) { try await StateStore.open(url: "mysql://x@y/z") }
    }
}

@Suite("Transactions")
struct TransactionTests {
    /// SQLite sees the cancellation and rolls back; postgres-kit runs a session's body in its own task, so
    /// there the body finishes and commits. Either way the outcome is whole and the store stays usable.
    @Test("a transaction cancelled mid-way is all or nothing and leaves the session usable", arguments: TestDatabases.backends)
    func cancelled(backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let started = AsyncStream<Void>.makeStream()
            let task = Task {
                try await store.transaction { db in
                    try await db.raw("INSERT INTO pods (pod_id, region_name, az_name, created_at, updated_at) VALUES ('p1', 'R1', 'a1', 'x', 'x')").run()
                    started.continuation.yield()
                    try await Task.sleep(for: .seconds(2))
                    try await db.raw("INSERT INTO pods (pod_id, region_name, az_name, created_at, updated_at) VALUES ('p1b', 'R1b', 'a1', 'x', 'x')").run()
                }
            }
            var iterator = started.stream.makeAsyncIterator()
            await iterator.next()
            task.cancel()
            let firstCommitted = (try? await task.result.get()) != nil
            try await store.transaction { db in
                try await db.raw("INSERT INTO pods (pod_id, region_name, az_name, created_at, updated_at) VALUES ('p2', 'R2', 'a2', 'x', 'x')").run()
            }
            let ids = Set(try await PodStore(store: store).list().map(\.podID))
            #expect(ids == (firstCommitted ? ["p1", "p1b", "p2"] : ["p2"]))
            if backend == .sqlite { #expect(!firstCommitted) }
        }
    }
}
