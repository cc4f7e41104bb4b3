import SQLKit
import TricircleCore

/// Which pod flavor a top flavor boots as in one pod (`compute_flavor_mappings`).
public struct FlavorMappingRow: Sendable, Hashable, Codable {
    public var id: String
    public var topFlavorID: String
    public var podID: String
    public var bottomFlavorID: String
    /// Set by an admin: never replaced by the automatic matcher.
    public var pinned: Bool
    public var createdAt: String
    public var updatedAt: String

    public init(id: String, topFlavorID: String, podID: String, bottomFlavorID: String, pinned: Bool, createdAt: String, updatedAt: String) {
        self.id = id
        self.topFlavorID = topFlavorID
        self.podID = podID
        self.bottomFlavorID = bottomFlavorID
        self.pinned = pinned
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Reads and writes the flavor mapping cache and the admin's pinned mappings.
public struct FlavorMappingStore: Sendable {
    let store: StateStore

    public init(store: StateStore) { self.store = store }

    /// The mapping of a top flavor in a pod, if one is recorded.
    public func get(topFlavorID: String, podID: String) async throws -> FlavorMappingRow? {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM compute_flavor_mappings WHERE top_flavor_id = \(bind: topFlavorID) AND pod_id = \(bind: podID)
                """).first().map(Self.decode)
        }
    }

    public func get(id: String) async throws -> FlavorMappingRow? {
        try await store.read { db in
            try await db.raw("SELECT * FROM compute_flavor_mappings WHERE id = \(bind: id)").first().map(Self.decode)
        }
    }

    /// Records a mapping. A pinned row is replaced only by another pinned write (`pinned: true`);
    /// an automatic write over a pinned row leaves it and returns the pinned row.
    @discardableResult
    public func put(topFlavorID: String, podID: String, bottomFlavorID: String, pinned: Bool) async throws -> FlavorMappingRow {
        let now = Timestamp.now()
        let id = Identifier.make()
        return try await store.transaction { db in
            if pinned {
                try await db.raw("""
                    INSERT INTO compute_flavor_mappings (id, top_flavor_id, pod_id, bottom_flavor_id, pinned, created_at, updated_at)
                    VALUES (\(bind: id), \(bind: topFlavorID), \(bind: podID), \(bind: bottomFlavorID), 1, \(bind: now), \(bind: now))
                    ON CONFLICT (top_flavor_id, pod_id) DO UPDATE
                    SET bottom_flavor_id = excluded.bottom_flavor_id, pinned = 1, updated_at = excluded.updated_at
                    """).run()
            } else {
                try await db.raw("""
                    INSERT INTO compute_flavor_mappings (id, top_flavor_id, pod_id, bottom_flavor_id, pinned, created_at, updated_at)
                    VALUES (\(bind: id), \(bind: topFlavorID), \(bind: podID), \(bind: bottomFlavorID), 0, \(bind: now), \(bind: now))
                    ON CONFLICT (top_flavor_id, pod_id) DO UPDATE
                    SET bottom_flavor_id = excluded.bottom_flavor_id, updated_at = excluded.updated_at
                    WHERE compute_flavor_mappings.pinned = 0
                    """).run()
            }
            guard let row = try await db.raw("""
                SELECT * FROM compute_flavor_mappings WHERE top_flavor_id = \(bind: topFlavorID) AND pod_id = \(bind: podID)
                """).first().map(Self.decode) else {
                throw StoreError.notFound("flavor mapping \(topFlavorID) in pod \(podID) vanished")
            }
            return row
        }
    }

    /// Mappings ordered by id, `limit` at a time after `marker` (an id); optional filters.
    public func list(topFlavorID: String? = nil, podID: String? = nil, limit: Int, marker: String? = nil) async throws -> [FlavorMappingRow] {
        try await store.read { db in
            var sql = SQLQueryString("SELECT * FROM compute_flavor_mappings WHERE 1 = 1")
            if let topFlavorID {
                sql.appendInterpolation(unsafeRaw: " AND top_flavor_id = ")
                sql.appendInterpolation(bind: topFlavorID)
            }
            if let podID {
                sql.appendInterpolation(unsafeRaw: " AND pod_id = ")
                sql.appendInterpolation(bind: podID)
            }
            if let marker {
                sql.appendInterpolation(unsafeRaw: " AND id > ")
                sql.appendInterpolation(bind: marker)
            }
            sql.appendInterpolation(unsafeRaw: " ORDER BY id LIMIT ")
            sql.appendInterpolation(bind: max(0, limit))
            return try await db.raw(sql).all().map(Self.decode)
        }
    }

    /// Whether the top catalog holds a flavor with this id (admins pin mappings only for real flavors).
    public func topFlavorExists(_ id: String) async throws -> Bool {
        try await store.read { db in
            try await db.raw("SELECT flavor_id FROM compute_flavors WHERE flavor_id = \(bind: id)").first() != nil
        }
    }

    /// Deletes one mapping by id; false when it did not exist.
    public func delete(id: String) async throws -> Bool {
        try await store.transaction { db in
            let found = try await db.raw("SELECT id FROM compute_flavor_mappings WHERE id = \(bind: id)").first() != nil
            if found { try await db.raw("DELETE FROM compute_flavor_mappings WHERE id = \(bind: id)").run() }
            return found
        }
    }

    static func decode(_ row: any SQLRow) throws -> FlavorMappingRow {
        FlavorMappingRow(
            id: try row.decode(column: "id", as: String.self),
            topFlavorID: try row.decode(column: "top_flavor_id", as: String.self),
            podID: try row.decode(column: "pod_id", as: String.self),
            bottomFlavorID: try row.decode(column: "bottom_flavor_id", as: String.self),
            pinned: try row.decode(column: "pinned", as: Int.self) != 0,
            createdAt: try row.decode(column: "created_at", as: String.self),
            updatedAt: try row.decode(column: "updated_at", as: String.self))
    }
}

extension PodStore {
    /// The flavor mappings in the same database (for the admin API, which is handed pod and routing stores).
    public var flavorMappings: FlavorMappingStore { FlavorMappingStore(store: store) }
}
