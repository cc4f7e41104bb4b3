import SQLKit
import TricircleCore

/// Per-project quota overrides for Compute (`compute_quotas`) and the usage the top can count itself.
public struct QuotaStore: Sendable {
    let store: StateStore

    public init(store: StateStore) { self.store = store }

    /// A project's overrides: resource -> limit (-1 unlimited). Resources without a row use the defaults.
    public func overrides(projectID: String) async throws -> [String: Int] {
        try await store.read { db in
            var result: [String: Int] = [:]
            for row in try await db.raw("SELECT resource, hard_limit FROM compute_quotas WHERE project_id = \(bind: projectID)").all() {
                result[try row.decode(column: "resource", as: String.self)] = try row.decode(column: "hard_limit", as: Int.self)
            }
            return result
        }
    }

    /// Sets limits for a project (one transaction; other resources keep theirs).
    public func set(projectID: String, limits: [String: Int]) async throws {
        let now = Timestamp.now()
        try await store.transaction { db in
            for (resource, limit) in limits.sorted(by: { $0.key < $1.key }) {
                try await db.raw("""
                    INSERT INTO compute_quotas (project_id, resource, hard_limit, created_at, updated_at)
                    VALUES (\(bind: projectID), \(bind: resource), \(bind: limit), \(bind: now), \(bind: now))
                    ON CONFLICT (project_id, resource) DO UPDATE SET hard_limit = excluded.hard_limit, updated_at = excluded.updated_at
                    """).run()
            }
        }
    }

    /// Drops a project's overrides (back to the defaults).
    public func reset(projectID: String) async throws {
        try await store.transaction { db in
            try await db.raw("DELETE FROM compute_quotas WHERE project_id = \(bind: projectID)").run()
        }
    }

    /// Servers of a project the routing table knows about (created ones, not create-locks).
    public func serverCount(projectID: String) async throws -> Int {
        try await store.read { db in
            try await db.raw("""
                SELECT COUNT(*) AS n FROM resource_routings
                WHERE project_id = \(bind: projectID) AND resource_type = 'server' AND bottom_id IS NOT NULL
                """).first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }
}
