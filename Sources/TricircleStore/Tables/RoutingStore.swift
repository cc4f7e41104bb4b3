import SQLKit
import TricircleCore

/// Filters for listing routings; nil fields match anything.
public struct RoutingFilter: Sendable, Equatable {
    public var id: String?
    public var topID: String?
    public var bottomID: String?
    public var podID: String?
    public var projectID: String?
    public var resourceType: ResourceType?

    public init(
        id: String? = nil, topID: String? = nil, bottomID: String? = nil, podID: String? = nil,
        projectID: String? = nil, resourceType: ResourceType? = nil
    ) {
        self.id = id
        self.topID = topID
        self.bottomID = bottomID
        self.podID = podID
        self.projectID = projectID
        self.resourceType = resourceType
    }
}

/// The answer to "may I create this resource in that pod?".
public enum CreateLockResult: Sendable, Equatable {
    /// The caller now holds the lock row and must complete or release it.
    case acquired(ResourceRouting)
    /// The resource already exists in the pod.
    case exists(ResourceRouting)
    /// Another creator holds a live lock; try again shortly.
    case busy(ResourceRouting)
    /// A lock older than the deadline: its creator probably died. Adopt the bottom resource
    /// (looked up by name = top id) with `complete`, or `release` the row and retry.
    case stale(ResourceRouting)
}

/// Reads and writes `resource_routings`: where each top resource lives, and the create-lock rows.
public struct RoutingStore: Sendable {
    let store: StateStore

    public init(store: StateStore) { self.store = store }

    /// Inserts a complete row (admin API, or a creator that needs no lock). `StoreError.conflict` on a duplicate.
    public func create(
        topID: String, bottomID: String?, podID: String, projectID: String, resourceType: ResourceType
    ) async throws -> ResourceRouting {
        let now = Timestamp.now()
        let routing = ResourceRouting(
            id: Identifier.make(), topID: topID, bottomID: bottomID, podID: podID, projectID: projectID,
            resourceType: resourceType, createdAt: now, updatedAt: now)
        do {
            // One statement (one round trip, atomic without BEGIN/COMMIT): the row is inserted only when its pod
            // exists, and RETURNING tells which happened.
            let inserted = try await store.read { db in
                try await db.raw("""
                    INSERT INTO resource_routings (id, top_id, bottom_id, pod_id, project_id, resource_type, created_at, updated_at)
                    SELECT \(bind: routing.id), \(bind: routing.topID), \(bind: routing.bottomID), pod_id, \(bind: routing.projectID),
                           \(bind: routing.resourceType.rawValue), \(bind: routing.createdAt), \(bind: routing.updatedAt)
                    FROM pods WHERE pod_id = \(bind: podID)
                    RETURNING id
                    """).all().count
            }
            guard inserted == 1 else { throw StoreError.notFound("Pod \(podID) could not be found") }
        } catch where StateStore.isUniqueViolation(error) {
            throw StoreError.conflict(
                "A routing for \(resourceType.rawValue) \(topID) in pod \(podID) already exists")
        }
        return routing
    }

    public func get(_ id: String) async throws -> ResourceRouting? {
        try await store.read { db in
            try await db.raw("SELECT * FROM resource_routings WHERE id = \(bind: id)").first().map(Self.decode)
        }
    }

    /// Newest first; `marker` is the id of the last row of the previous page.
    public func list(filter: RoutingFilter = RoutingFilter(), limit: Int, marker: String? = nil) async throws -> [ResourceRouting] {
        try await store.read { db in
            var query = SQLQueryString("SELECT * FROM resource_routings WHERE 1 = 1")
            if let v = filter.id { query.appendInterpolation(raw: " AND id = "); query.appendInterpolation(bind: v) }
            if let v = filter.topID { query.appendInterpolation(raw: " AND top_id = "); query.appendInterpolation(bind: v) }
            if let v = filter.bottomID { query.appendInterpolation(raw: " AND bottom_id = "); query.appendInterpolation(bind: v) }
            if let v = filter.podID { query.appendInterpolation(raw: " AND pod_id = "); query.appendInterpolation(bind: v) }
            if let v = filter.projectID { query.appendInterpolation(raw: " AND project_id = "); query.appendInterpolation(bind: v) }
            if let v = filter.resourceType {
                query.appendInterpolation(raw: " AND resource_type = ")
                query.appendInterpolation(bind: v.rawValue)
            }
            if let marker {
                guard let m = try await db.raw("SELECT created_at, id FROM resource_routings WHERE id = \(bind: marker)").first() else {
                    throw StoreError.notFound("Marker \(marker) could not be found")
                }
                let createdAt = try m.decode(column: "created_at", as: String.self)
                query.appendInterpolation(raw: " AND (created_at < ")
                query.appendInterpolation(bind: createdAt)
                query.appendInterpolation(raw: " OR (created_at = ")
                query.appendInterpolation(bind: createdAt)
                query.appendInterpolation(raw: " AND id < ")
                query.appendInterpolation(bind: marker)
                query.appendInterpolation(raw: "))")
            }
            query.appendInterpolation(raw: " ORDER BY created_at DESC, id DESC LIMIT ")
            query.appendInterpolation(bind: max(0, limit))
            return try await db.raw(query).all().map(Self.decode)
        }
    }

    /// Rows for one top resource, limited to the caller's project (another project's id finds nothing).
    /// `projectID` nil means any project (admin callers and jobs).
    public func lookup(topID: String, resourceType: ResourceType, projectID: String?) async throws -> [ResourceRouting] {
        try await store.read { db in
            let rows: [any SQLRow]
            if let projectID {
                rows = try await db.raw("""
                    SELECT * FROM resource_routings
                    WHERE top_id = \(bind: topID) AND resource_type = \(bind: resourceType.rawValue)
                      AND project_id = \(bind: projectID)
                    ORDER BY created_at, id
                    """).all()
            } else {
                rows = try await db.raw("""
                    SELECT * FROM resource_routings
                    WHERE top_id = \(bind: topID) AND resource_type = \(bind: resourceType.rawValue)
                    ORDER BY created_at, id
                    """).all()
            }
            return try rows.map(Self.decode)
        }
    }

    /// Updates the mutable columns of a row; nil leaves a column as it is. Returns the new row, nil if gone.
    public func update(_ id: String, bottomID: String? = nil, podID: String? = nil, projectID: String? = nil) async throws -> ResourceRouting? {
        let now = Timestamp.now()
        return try await store.transaction { db in
            guard let current = try await db.raw("SELECT * FROM resource_routings WHERE id = \(bind: id)").first().map(Self.decode) else {
                return nil
            }
            var next = current
            if let bottomID { next.bottomID = bottomID }
            if let podID { next.podID = podID }
            if let projectID { next.projectID = projectID }
            next.updatedAt = now
            try await db.raw("""
                UPDATE resource_routings SET bottom_id = \(bind: next.bottomID), pod_id = \(bind: next.podID),
                    project_id = \(bind: next.projectID), updated_at = \(bind: now)
                WHERE id = \(bind: id)
                """).run()
            return next
        }
    }

    public func delete(_ id: String) async throws -> Bool {
        try await store.transaction { db in
            let existed = try await db.raw("SELECT id FROM resource_routings WHERE id = \(bind: id)").first() != nil
            try await db.raw("DELETE FROM resource_routings WHERE id = \(bind: id)").run()
            return existed
        }
    }

    /// Deletes every row of one top resource (all pods), e.g. after the resource is deleted everywhere.
    public func deleteAll(topID: String, resourceType: ResourceType) async throws {
        try await store.transaction { db in
            try await db.raw("""
                DELETE FROM resource_routings WHERE top_id = \(bind: topID) AND resource_type = \(bind: resourceType.rawValue)
                """).run()
        }
    }

    // MARK: create-lock

    /// Tries to take the create-lock for (top id, pod, type): a row with no bottom id.
    public func acquireCreateLock(
        topID: String, podID: String, projectID: String, resourceType: ResourceType, staleAfterSeconds: Int
    ) async throws -> CreateLockResult {
        let now = Timestamp.now()
        let lock = ResourceRouting(
            id: Identifier.make(), topID: topID, bottomID: nil, podID: podID, projectID: projectID,
            resourceType: resourceType, createdAt: now, updatedAt: now)
        do {
            try await store.transaction { db in try await Self.insert(lock, db) }
            return .acquired(lock)
        } catch where StateStore.isUniqueViolation(error) {
            let existing = try await store.read { db in
                try await db.raw("""
                    SELECT * FROM resource_routings WHERE top_id = \(bind: topID) AND pod_id = \(bind: podID)
                      AND resource_type = \(bind: resourceType.rawValue)
                    """).first().map(Self.decode)
            }
            guard let existing else {
                // Released between our insert and our read: simply try once more.
                return try await acquireCreateLock(
                    topID: topID, podID: podID, projectID: projectID, resourceType: resourceType,
                    staleAfterSeconds: staleAfterSeconds)
            }
            if existing.isComplete { return .exists(existing) }
            let deadline = Timestamp.format(Date().addingTimeInterval(-TimeInterval(staleAfterSeconds)))
            return existing.updatedAt < deadline ? .stale(existing) : .busy(existing)
        }
    }

    /// Completes a lock row with the bottom id the creator got from the pod.
    public func complete(lockID: String, bottomID: String) async throws -> ResourceRouting? {
        try await update(lockID, bottomID: bottomID)
    }

    /// Removes a lock row (only while it has no bottom id), so the next caller can try again.
    public func release(lockID: String) async throws {
        try await store.transaction { db in
            try await db.raw("DELETE FROM resource_routings WHERE id = \(bind: lockID) AND bottom_id IS NULL").run()
        }
    }

    /// Inserts complete rows of one project and type (top id = bottom id) many at a time: a scale set-up writes
    /// a million rows in multi-row statements, 100 rows each, 50 statements per transaction, instead of a
    /// round trip per row. The pods must exist; a duplicate fails its transaction's batch.
    public func createMany(
        _ rows: [(topID: String, podID: String)], projectID: String, resourceType: ResourceType
    ) async throws {
        let rowsPerStatement = 100  // 8 binds a row: within SQLite's and PostgreSQL's bind limits
        let statementsPerTransaction = 50
        let now = Timestamp.now()
        var start = 0
        while start < rows.count {
            let end = min(rows.count, start + rowsPerStatement * statementsPerTransaction)
            let chunk = Array(rows[start..<end])
            try await store.transaction { db in
                var first = 0
                while first < chunk.count {
                    let last = min(chunk.count, first + rowsPerStatement)
                    var insert: SQLQueryString = """
                        INSERT INTO resource_routings (id, top_id, bottom_id, pod_id, project_id, resource_type, created_at, updated_at) VALUES
                        """
                    for index in first..<last {
                        let row = chunk[index]
                        insert += index == first ? " " : ", "
                        insert += """
                            (\(bind: Identifier.make()), \(bind: row.topID), \(bind: row.topID), \(bind: row.podID), \(bind: projectID),
                             \(bind: resourceType.rawValue), \(bind: now), \(bind: now))
                            """
                    }
                    try await db.raw(insert).run()
                    first = last
                }
            }
            start = end
        }
    }

    /// Total rows (benchmarks, admin overview).
    public func count() async throws -> Int {
        try await store.read { db in
            guard let row = try await db.raw("SELECT COUNT(*) AS n FROM resource_routings").first() else { return 0 }
            return try row.decode(column: "n", as: Int.self)
        }
    }

    static func insert(_ r: ResourceRouting, _ db: any SQLDatabase) async throws {
        try await db.raw("""
            INSERT INTO resource_routings (id, top_id, bottom_id, pod_id, project_id, resource_type, created_at, updated_at)
            VALUES (\(bind: r.id), \(bind: r.topID), \(bind: r.bottomID), \(bind: r.podID), \(bind: r.projectID),
                    \(bind: r.resourceType.rawValue), \(bind: r.createdAt), \(bind: r.updatedAt))
            """).run()
    }

    static func decode(_ row: any SQLRow) throws -> ResourceRouting {
        let typeName = try row.decode(column: "resource_type", as: String.self)
        guard let type = ResourceType(rawValue: typeName) else {
            throw StoreError.conflict("routing row has unknown resource type \(typeName)")
        }
        return ResourceRouting(
            id: try row.decode(column: "id", as: String.self),
            topID: try row.decode(column: "top_id", as: String.self),
            bottomID: try row.decode(column: "bottom_id", as: String?.self),
            podID: try row.decode(column: "pod_id", as: String.self),
            projectID: try row.decode(column: "project_id", as: String.self),
            resourceType: type,
            createdAt: try row.decode(column: "created_at", as: String.self),
            updatedAt: try row.decode(column: "updated_at", as: String.self))
    }
}

import Foundation
