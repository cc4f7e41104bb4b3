import SQLKit
import TricircleCore

/// `neutron_quotas`: per-project limit overrides of the Networking API at the top (-1 unlimited).
public struct NetworkQuotaStore: Sendable {
    let store: StateStore

    public init(store: StateStore) { self.store = store }

    /// A project's overrides: resource -> limit. Resources without a row use the defaults.
    public func overrides(projectID: String) async throws -> [String: Int] {
        try await store.read { db in
            var result: [String: Int] = [:]
            for row in try await db.raw("SELECT resource, hard_limit FROM neutron_quotas WHERE project_id = \(bind: projectID)").all() {
                result[try row.decode(column: "resource", as: String.self)] = try row.decode(column: "hard_limit", as: Int.self)
            }
            return result
        }
    }

    /// Every project with at least one override, with its overrides (for the admin's quota list).
    public func allOverrides() async throws -> [String: [String: Int]] {
        try await store.read { db in
            var result: [String: [String: Int]] = [:]
            for row in try await db.raw("SELECT project_id, resource, hard_limit FROM neutron_quotas ORDER BY project_id").all() {
                let project = try row.decode(column: "project_id", as: String.self)
                result[project, default: [:]][try row.decode(column: "resource", as: String.self)] =
                    try row.decode(column: "hard_limit", as: Int.self)
            }
            return result
        }
    }

    /// Sets limits for a project in one transaction (other resources keep theirs).
    public func set(projectID: String, limits: [String: Int]) async throws {
        let now = Timestamp.now()
        try await store.transaction { db in
            for (resource, limit) in limits.sorted(by: { $0.key < $1.key }) {
                try await db.raw("""
                    INSERT INTO neutron_quotas (project_id, resource, hard_limit, created_at, updated_at)
                    VALUES (\(bind: projectID), \(bind: resource), \(bind: limit), \(bind: now), \(bind: now))
                    ON CONFLICT (project_id, resource) DO UPDATE SET hard_limit = excluded.hard_limit, updated_at = excluded.updated_at
                    """).run()
            }
        }
    }

    /// Drops a project's overrides (back to the defaults).
    public func reset(projectID: String) async throws {
        try await store.transaction { db in
            try await db.raw("DELETE FROM neutron_quotas WHERE project_id = \(bind: projectID)").run()
        }
    }
}
