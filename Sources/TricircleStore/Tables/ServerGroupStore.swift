import SQLKit
import TricircleCore

/// A server group kept at the top (`compute_server_groups`).
public struct StoredServerGroup: Sendable, Hashable {
    public var id: String
    public var projectID: String
    public var userID: String
    public var name: String
    /// "affinity", "anti-affinity", "soft-affinity" or "soft-anti-affinity".
    public var policy: String
    /// The one rule Nova knows (anti-affinity only, 2.64+).
    public var maxServerPerHost: Int?
    public var createdAt: String

    public init(id: String, projectID: String, userID: String, name: String, policy: String, maxServerPerHost: Int?, createdAt: String) {
        self.id = id
        self.projectID = projectID
        self.userID = userID
        self.name = name
        self.policy = policy
        self.maxServerPerHost = maxServerPerHost
        self.createdAt = createdAt
    }
}

/// One server of a top group, and the pod it was booted in.
public struct ServerGroupMember: Sendable, Hashable {
    public var groupID: String
    public var serverID: String
    public var podID: String
}

/// Reads and writes the top's server groups, their members and the pods' groups standing in for them.
public struct ServerGroupStore: Sendable {
    let store: StateStore

    public init(store: StateStore) { self.store = store }

    public func create(_ group: StoredServerGroup) async throws {
        try await store.transaction { db in
            try await db.raw("""
                INSERT INTO compute_server_groups (id, project_id, user_id, name, policy, max_server_per_host, created_at)
                VALUES (\(bind: group.id), \(bind: group.projectID), \(bind: group.userID), \(bind: group.name),
                        \(bind: group.policy), \(bind: group.maxServerPerHost), \(bind: group.createdAt))
                """).run()
        }
    }

    public func get(id: String) async throws -> StoredServerGroup? {
        try await store.read { db in
            try await db.raw("SELECT * FROM compute_server_groups WHERE id = \(bind: id)").first().map(Self.decode)
        }
    }

    /// Groups in creation order, of one project (nil: every project).
    public func list(projectID: String?) async throws -> [StoredServerGroup] {
        try await store.read { db in
            if let projectID {
                return try await db.raw("""
                    SELECT * FROM compute_server_groups WHERE project_id = \(bind: projectID) ORDER BY created_at, id
                    """).all().map(Self.decode)
            }
            return try await db.raw("SELECT * FROM compute_server_groups ORDER BY created_at, id").all().map(Self.decode)
        }
    }

    /// Deletes a group with its members and pod mappings; false when there was none.
    public func delete(id: String) async throws -> Bool {
        try await store.transaction { db in
            guard try await db.raw("SELECT id FROM compute_server_groups WHERE id = \(bind: id)").first() != nil else { return false }
            // Explicit deletes: SQLite honours ON DELETE CASCADE only with foreign keys on.
            try await db.raw("DELETE FROM compute_server_group_members WHERE group_id = \(bind: id)").run()
            try await db.raw("DELETE FROM compute_server_group_pods WHERE group_id = \(bind: id)").run()
            try await db.raw("DELETE FROM compute_server_groups WHERE id = \(bind: id)").run()
            return true
        }
    }

    // MARK: Members

    /// Members of the given groups, in join order.
    public func members(groupIDs: [String]) async throws -> [ServerGroupMember] {
        guard !groupIDs.isEmpty else { return [] }
        return try await store.read { db in
            try await db.raw("""
                SELECT * FROM compute_server_group_members WHERE group_id IN (\(binds: groupIDs)) ORDER BY created_at, server_id
                """).all().map { row in
                ServerGroupMember(
                    groupID: try row.decode(column: "group_id", as: String.self),
                    serverID: try row.decode(column: "server_id", as: String.self),
                    podID: try row.decode(column: "pod_id", as: String.self))
            }
        }
    }

    public func addMembers(groupID: String, serverIDs: [String], podID: String) async throws {
        let now = Timestamp.now()
        try await store.transaction { db in
            for server in serverIDs {
                try await db.raw("""
                    INSERT INTO compute_server_group_members (group_id, server_id, pod_id, created_at)
                    VALUES (\(bind: groupID), \(bind: server), \(bind: podID), \(bind: now))
                    """).run()
            }
        }
    }

    public func removeMembers(groupID: String, serverIDs: [String]) async throws {
        guard !serverIDs.isEmpty else { return }
        try await store.transaction { db in
            try await db.raw("""
                DELETE FROM compute_server_group_members WHERE group_id = \(bind: groupID) AND server_id IN (\(binds: serverIDs))
                """).run()
        }
    }

    // MARK: Pods' groups

    /// The pod's group standing in for a top group (nil: none made there yet).
    public func podGroup(groupID: String, podID: String) async throws -> String? {
        try await store.read { db in
            try await db.raw("""
                SELECT bottom_group_id FROM compute_server_group_pods WHERE group_id = \(bind: groupID) AND pod_id = \(bind: podID)
                """).first()?.decode(column: "bottom_group_id", as: String.self)
        }
    }

    /// The top group a pod's group stands in for (nil: not one the top made).
    public func topGroup(bottomID: String, podID: String) async throws -> String? {
        try await store.read { db in
            try await db.raw("""
                SELECT group_id FROM compute_server_group_pods WHERE bottom_group_id = \(bind: bottomID) AND pod_id = \(bind: podID)
                """).first()?.decode(column: "group_id", as: String.self)
        }
    }

    /// Every pod group of a top group, as (pod, pod's group id).
    public func podGroups(groupID: String) async throws -> [(podID: String, bottomID: String)] {
        try await store.read { db in
            try await db.raw("SELECT pod_id, bottom_group_id FROM compute_server_group_pods WHERE group_id = \(bind: groupID)")
                .all().map { row in
                    (try row.decode(column: "pod_id", as: String.self), try row.decode(column: "bottom_group_id", as: String.self))
                }
        }
    }

    /// Records the pod's group; when another boot recorded one first, answers that one (the caller then
    /// removes its own), so a pod holds one group per top group.
    public func recordPodGroup(groupID: String, podID: String, bottomID: String) async throws -> String {
        do {
            try await store.transaction { db in
                try await db.raw("""
                    INSERT INTO compute_server_group_pods (group_id, pod_id, bottom_group_id, created_at)
                    VALUES (\(bind: groupID), \(bind: podID), \(bind: bottomID), \(bind: Timestamp.now()))
                    """).run()
            }
            return bottomID
        } catch where StateStore.isUniqueViolation(error) {
            guard let existing = try await podGroup(groupID: groupID, podID: podID) else { throw error }
            return existing
        }
    }

    static func decode(_ row: any SQLRow) throws -> StoredServerGroup {
        StoredServerGroup(
            id: try row.decode(column: "id", as: String.self),
            projectID: try row.decode(column: "project_id", as: String.self),
            userID: try row.decode(column: "user_id", as: String.self),
            name: try row.decode(column: "name", as: String.self),
            policy: try row.decode(column: "policy", as: String.self),
            maxServerPerHost: try row.decode(column: "max_server_per_host", as: Int?.self),
            createdAt: try row.decode(column: "created_at", as: String.self))
    }
}
