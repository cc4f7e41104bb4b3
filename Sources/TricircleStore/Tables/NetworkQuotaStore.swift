import TricircleCore

/// `neutron_quotas`: per-project limit overrides of the Networking API at the top (-1 unlimited).
public struct NetworkQuotaStore: Sendable {
    let table: QuotaOverrideTable

    public init(store: StateStore) { self.table = QuotaOverrideTable(store: store, table: "neutron_quotas") }

    /// A project's overrides: resource -> limit. Resources without a row use the defaults.
    public func overrides(projectID: String) async throws -> [String: Int] { try await table.overrides(projectID: projectID) }

    /// Every project with at least one override, with its overrides (for the admin's quota list).
    public func allOverrides() async throws -> [String: [String: Int]] { try await table.allOverrides() }

    /// Sets limits for a project in one transaction (other resources keep theirs).
    public func set(projectID: String, limits: [String: Int]) async throws { try await table.set(projectID: projectID, limits: limits) }

    /// Drops a project's overrides (back to the defaults).
    public func reset(projectID: String) async throws { try await table.reset(projectID: projectID) }
}
