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
        async let ra = a.migrate()
        async let rb = b.migrate()
        let (applied1, applied2) = try await (ra, rb)
        #expect(applied1.count + applied2.count >= Migrations.all.count)
        #expect(try await a.currentVersions() == Set(Migrations.all.map(\.version)))
        try await a.close()
        try await b.close()
    }

    @Test("a URL that is neither sqlite nor postgresql is refused with a clear message")
    func badURL() async throws {
        await #expect(throws: StoreError.self) { try await StateStore.open(url: "mysql://x@y/z") }
    }
}
