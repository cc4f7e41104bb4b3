import SQLKit
import TricircleCore

/// Per-project quota overrides for Compute (`compute_quotas`) and the usage the top can count itself.
public struct QuotaStore: Sendable {
    let store: StateStore
    let table: QuotaOverrideTable

    public init(store: StateStore) {
        self.store = store
        self.table = QuotaOverrideTable(store: store, table: "compute_quotas")
    }

    /// A project's overrides: resource -> limit (-1 unlimited). Resources without a row use the defaults.
    public func overrides(projectID: String) async throws -> [String: Int] { try await table.overrides(projectID: projectID) }

    /// Sets limits for a project (one transaction; other resources keep theirs).
    public func set(projectID: String, limits: [String: Int]) async throws { try await table.set(projectID: projectID, limits: limits) }

    /// Every project with at least one override.
    public func allProjects() async throws -> [String] { try await table.allOverrides().keys.sorted() }

    /// Drops a project's overrides (back to the defaults).
    public func reset(projectID: String) async throws { try await table.reset(projectID: projectID) }

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
