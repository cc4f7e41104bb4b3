import Foundation
import Logging
import TricircleCore
import TricircleStore

/// Fresh, migrated databases for tests: a temporary SQLite file always, and a new PostgreSQL database
/// when `TRICIRCLE_TEST_POSTGRES_URL` names a server (CI starts one; see scripts/postgres.sh).
public enum TestDatabases {
    /// The backends to run a store test on in this environment.
    public static var backends: [StoreBackend] {
        postgresURL == nil ? [.sqlite] : [.sqlite, .postgres]
    }

    /// The PostgreSQL server URL for tests, if configured.
    public static var postgresURL: String? {
        let value = ProcessInfo.processInfo.environment["TRICIRCLE_TEST_POSTGRES_URL"] ?? ""
        return value.isEmpty ? nil : value
    }

    /// A new empty database URL on `backend` (a new file, or a new PostgreSQL database).
    public static func makeURL(_ backend: StoreBackend) async throws -> String {
        let name = "tricircle_test_" + Identifier.make().replacingOccurrences(of: "-", with: "").prefix(12)
        switch backend {
        case .sqlite:
            let dir = NSTemporaryDirectory() + "tricircle-tests"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            return "sqlite://\(dir)/\(name).sqlite"
        case .postgres:
            guard let server = postgresURL, var components = URLComponents(string: server) else {
                throw StoreError.badURL("TRICIRCLE_TEST_POSTGRES_URL is not set")
            }
            let admin = try await StateStore.open(url: server, maxPoolSize: 2)
            try await admin.read { db in try await db.raw("CREATE DATABASE \(unsafeRaw: name)").run() }
            try await admin.close()
            components.path = "/" + name
            return components.string ?? server
        }
    }

    /// Opens a new, migrated store on `backend`; close it when done.
    public static func makeStore(_ backend: StoreBackend, migrate: Bool = true) async throws -> StateStore {
        var logger = Logger(label: "tricircle.test.store")
        logger.logLevel = .warning
        let store = try await StateStore.open(url: try await makeURL(backend), maxPoolSize: 8, logger: logger)
        if migrate { try await store.migrate() }
        return store
    }

    /// Runs `body` with a fresh store and closes it afterwards, whatever happens.
    public static func withStore<T: Sendable>(
        _ backend: StoreBackend, _ body: (StateStore) async throws -> T
    ) async throws -> T {
        try await closing(try await makeStore(backend), body)
    }

    /// Runs `body` with a store on the existing database at `url` (`maxPoolSize` connections; one is enough for
    /// a benchmark's few reads) and closes it afterwards, whatever happens.
    public static func withStore<T: Sendable>(
        url: String, maxPoolSize: Int = 1, _ body: (StateStore) async throws -> T
    ) async throws -> T {
        try await closing(try await StateStore.open(url: url, maxPoolSize: maxPoolSize), body)
    }

    private static func closing<T: Sendable>(_ store: StateStore, _ body: (StateStore) async throws -> T) async throws -> T {
        do {
            let result = try await body(store)
            try await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }
}
