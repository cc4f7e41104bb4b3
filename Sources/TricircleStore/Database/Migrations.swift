import Logging
import SQLKit
import TricircleCore

/// One schema step. Statements use only SQL that PostgreSQL, SQLite and CockroachDB all accept.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let statements: [String]

    public init(version: Int, name: String, statements: [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }
}

/// The ordered list of every migration. Add new steps at the end; never edit a released one.
public enum Migrations {
    public static let all: [Migration] = [
        CoreSchema.v1, JobsSchema.v2, ComputeCatalogSchema.v3, NetworkSchema.v4, ImageSchema.v5, VolumeSchema.v6,
        NetworkQuotaSchema.v7, QuotaSchema.v8, JobsRequestIDSchema.v12, NetworkPoolSchema.v13,
        ComputeServerGroupSchema.v15,
    ]

    /// The newest schema version this build knows.
    public static var latestVersion: Int { all.map(\.version).max() ?? 0 }
}

extension StateStore {
    /// Applies every migration not yet applied, each in its own transaction; safe to run again
    /// and from several processes at once (a concurrent runner's duplicate version row makes ours roll back).
    @discardableResult
    public func migrate() async throws -> [Migration] {
        do {
            try await read { db in
                try await db.raw("""
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version INTEGER PRIMARY KEY,
                        name TEXT NOT NULL,
                        applied_at TEXT NOT NULL)
                    """).run()
            }
        } catch {
            // PostgreSQL's IF NOT EXISTS is not atomic: a process creating the table at the same moment makes
            // ours fail on a catalog unique key. The table being there is all this step needs.
            guard (try? await currentVersions()) != nil else { throw error }
        }
        var applied: [Migration] = []
        var busyRetries = 0
        var pending = Migrations.all.sorted(by: { $0.version < $1.version })[...]
        while let migration = pending.first {
            if try await currentVersions().contains(migration.version) { pending.removeFirst(); continue }
            do {
                try await transaction { db in
                    for statement in migration.statements {
                        try await db.raw(SQLQueryString(statement)).run()
                    }
                    try await db.raw("""
                        INSERT INTO schema_migrations (version, name, applied_at)
                        VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: Timestamp.now()))
                        """).run()
                }
                logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                applied.append(migration)
                pending.removeFirst()
            } catch {
                // Another process may have applied the same step between our check and our commit.
                if (try? await currentVersions().contains(migration.version)) == true {
                    logger.info("migration applied concurrently by another process", metadata: ["version": "\(migration.version)"])
                    pending.removeFirst()
                    continue
                }
                // SQLite: another process's migration held the write lock past busy_timeout (a loaded machine);
                // its step commits soon, and this one is tried again.
                guard String(describing: error).contains("database is locked"), busyRetries < 10 else { throw error }
                busyRetries += 1
                try await Task.sleep(for: .milliseconds(200 * busyRetries))
            }
        }
        return applied
    }

    /// Versions recorded in `schema_migrations` (empty before the first upgrade).
    public func currentVersions() async throws -> Set<Int> {
        try await read { db in
            let rows = try await db.raw("SELECT version FROM schema_migrations").all()
            return Set(try rows.map { try $0.decode(column: "version", as: Int.self) })
        }
    }
}
