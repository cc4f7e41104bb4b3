import SQLKit
import TricircleCore

/// One table of per-project limit overrides, `(project_id, resource, hard_limit)` (-1 unlimited): the shape
/// Compute's `compute_quotas` and Networking's `neutron_quotas` share.
struct QuotaOverrideTable: Sendable {
    let store: StateStore
    /// A schema constant, never client input.
    let table: String

    /// A project's overrides: resource -> limit. Resources without a row use the defaults.
    func overrides(projectID: String) async throws -> [String: Int] {
        try await store.read { db in
            var result: [String: Int] = [:]
            for row in try await db.raw("SELECT resource, hard_limit FROM \(ident: table) WHERE project_id = \(bind: projectID)").all() {
                result[try row.decode(column: "resource", as: String.self)] = try row.decode(column: "hard_limit", as: Int.self)
            }
            return result
        }
    }

    /// Every project with at least one override, with its overrides.
    func allOverrides() async throws -> [String: [String: Int]] {
        try await store.read { db in
            var result: [String: [String: Int]] = [:]
            for row in try await db.raw("SELECT project_id, resource, hard_limit FROM \(ident: table) ORDER BY project_id").all() {
                let project = try row.decode(column: "project_id", as: String.self)
                result[project, default: [:]][try row.decode(column: "resource", as: String.self)] =
                    try row.decode(column: "hard_limit", as: Int.self)
            }
            return result
        }
    }

    /// Sets limits for a project in one transaction (other resources keep theirs).
    func set(projectID: String, limits: [String: Int]) async throws {
        let now = Timestamp.now()
        try await store.transaction { db in
            for (resource, limit) in limits.sorted(by: { $0.key < $1.key }) {
                try await db.raw("""
                    INSERT INTO \(ident: table) (project_id, resource, hard_limit, created_at, updated_at)
                    VALUES (\(bind: projectID), \(bind: resource), \(bind: limit), \(bind: now), \(bind: now))
                    ON CONFLICT (project_id, resource) DO UPDATE SET hard_limit = excluded.hard_limit, updated_at = excluded.updated_at
                    """).run()
            }
        }
    }

    /// Drops a project's overrides (back to the defaults).
    func reset(projectID: String) async throws {
        try await store.transaction { db in
            try await db.raw("DELETE FROM \(ident: table) WHERE project_id = \(bind: projectID)").run()
        }
    }
}
