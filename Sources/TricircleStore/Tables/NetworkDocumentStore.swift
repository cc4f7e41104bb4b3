import SQLKit
import TricircleCore

/// The resource families of the Networking API at the top, one table each.
public enum NetworkTable: String, Sendable, CaseIterable {
    case networks = "neutron_networks"
    case subnets = "neutron_subnets"
    case ports = "neutron_ports"
    case routers = "neutron_routers"
    case securityGroups = "neutron_security_groups"
    case securityGroupRules = "neutron_security_group_rules"
    case floatingIPs = "neutron_floating_ips"
    case subnetPools = "neutron_subnetpools"
    case addressScopes = "neutron_address_scopes"
}

/// One stored Neutron resource: the JSON document plus the columns lists select and page on.
public struct NetworkDocument: Sendable, Equatable {
    public var id: String
    public var projectID: String
    /// The owning resource: network of a subnet or port, group of a rule, external network of a floating IP.
    public var parentID: String
    /// What the resource is attached to: a port's device, a floating IP's port.
    public var deviceID: String
    public var name: String
    /// What Neutron keeps unique for this family (nil: nothing).
    public var uniqueKey: String?
    /// Bumped on every write; updates only apply to the revision they read.
    public var revision: Int
    /// The resource as Neutron renders it (JSON).
    public var body: String
    public var createdAt: String
    public var updatedAt: String

    public init(id: String, projectID: String, parentID: String = "", deviceID: String = "", name: String = "",
                uniqueKey: String? = nil, revision: Int = 1, body: String, createdAt: String, updatedAt: String) {
        self.id = id
        self.projectID = projectID
        self.parentID = parentID
        self.deviceID = deviceID
        self.name = name
        self.uniqueKey = uniqueKey
        self.revision = revision
        self.body = body
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Which rows of a table a list wants; nil fields match anything. Rows come in id order.
public struct NetworkDocumentQuery: Sendable, Equatable {
    /// Projects whose rows are visible (nil: all, for admins).
    public var projectIDs: [String]?
    /// Rows with one of these device ids are visible whatever the project ("shared": shared and external networks).
    public var orDeviceIDs: [String]
    public var parentIDs: [String]?
    public var deviceIDs: [String]?
    public var ids: [String]?
    public var names: [String]?
    /// Keyset paging: rows after (or, descending, before) this id.
    public var afterID: String?
    public var descending: Bool
    public var limit: Int?

    public init(projectIDs: [String]? = nil, orDeviceIDs: [String] = [], parentIDs: [String]? = nil, deviceIDs: [String]? = nil,
                ids: [String]? = nil, names: [String]? = nil, afterID: String? = nil, descending: Bool = false, limit: Int? = nil) {
        self.projectIDs = projectIDs
        self.orDeviceIDs = orDeviceIDs
        self.parentIDs = parentIDs
        self.deviceIDs = deviceIDs
        self.ids = ids
        self.names = names
        self.afterID = afterID
        self.descending = descending
        self.limit = limit
    }
}

/// Reads and writes the Networking API's resource tables.
public struct NetworkDocumentStore: Sendable {
    let store: StateStore

    public init(store: StateStore) { self.store = store }

    /// One row by id.
    public func get(_ table: NetworkTable, id: String) async throws -> NetworkDocument? {
        try await store.read { db in
            try await db.raw("SELECT * FROM \(unsafeRaw: table.rawValue) WHERE id = \(bind: id)").first().map(Self.decode)
        }
    }

    /// The row holding a unique key (a project's default security group, a MAC on a network).
    public func get(_ table: NetworkTable, uniqueKey: String) async throws -> NetworkDocument? {
        try await store.read { db in
            try await db.raw("SELECT * FROM \(unsafeRaw: table.rawValue) WHERE unique_key = \(bind: uniqueKey)").first().map(Self.decode)
        }
    }

    /// Rows matching `query`, in id order.
    public func list(_ table: NetworkTable, _ query: NetworkDocumentQuery) async throws -> [NetworkDocument] {
        if let ids = query.ids, ids.isEmpty { return [] }
        if let ids = query.parentIDs, ids.isEmpty { return [] }
        if let ids = query.deviceIDs, ids.isEmpty { return [] }
        return try await store.read { db in
            var sql = SQLQueryString("SELECT * FROM \(unsafeRaw: table.rawValue) WHERE 1 = 1")
            if let projects = query.projectIDs {
                sql.appendInterpolation(unsafeRaw: " AND (project_id IN (")
                Self.appendList(&sql, projects.isEmpty ? [""] : projects)
                sql.appendInterpolation(unsafeRaw: ")")
                if !query.orDeviceIDs.isEmpty {
                    sql.appendInterpolation(unsafeRaw: " OR device_id IN (")
                    Self.appendList(&sql, query.orDeviceIDs)
                    sql.appendInterpolation(unsafeRaw: ")")
                }
                sql.appendInterpolation(unsafeRaw: ")")
            }
            for (column, values) in [("parent_id", query.parentIDs), ("device_id", query.deviceIDs), ("id", query.ids), ("name", query.names)] {
                guard let values else { continue }
                sql.appendInterpolation(unsafeRaw: " AND \(column) IN (")
                Self.appendList(&sql, values.isEmpty ? [""] : values)
                sql.appendInterpolation(unsafeRaw: ")")
            }
            if let after = query.afterID {
                sql.appendInterpolation(unsafeRaw: query.descending ? " AND id < " : " AND id > ")
                sql.appendInterpolation(bind: after)
            }
            sql.appendInterpolation(unsafeRaw: query.descending ? " ORDER BY id DESC" : " ORDER BY id")
            if let limit = query.limit {
                sql.appendInterpolation(unsafeRaw: " LIMIT ")
                sql.appendInterpolation(bind: max(0, limit))
            }
            return try await db.raw(sql).all().map(Self.decode)
        }
    }

    /// How many rows have one of these parents (ports on a network, rules of a group).
    public func count(_ table: NetworkTable, parentID: String) async throws -> Int {
        try await store.read { db in
            guard let row = try await db.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table.rawValue) WHERE parent_id = \(bind: parentID)").first()
            else { return 0 }
            return try row.decode(column: "n", as: Int.self)
        }
    }

    /// How many rows a project owns (quota usage at the top).
    public func count(_ table: NetworkTable, projectID: String) async throws -> Int {
        try await store.read { db in
            guard let row = try await db.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table.rawValue) WHERE project_id = \(bind: projectID)").first()
            else { return 0 }
            return try row.decode(column: "n", as: Int.self)
        }
    }

    /// Inserts a child row (a subnet of a network) after `check` has accepted the parent's current
    /// children, atomically: the parent's row is locked first (a no-op UPDATE, which PostgreSQL row-locks and
    /// SQLite runs under its write lock), so two writers checking the same parent run one after the other,
    /// in one process or several. `check` throws to refuse; nothing is written then. Returns false when the
    /// parent row is gone.
    public func insert(
        _ table: NetworkTable, _ document: NetworkDocument, lockingParent parentTable: NetworkTable,
        check: @escaping @Sendable ([NetworkDocument]) throws -> Void
    ) async throws -> Bool {
        let settling = RowSettledReservations.current
        do {
            return try await store.transaction { db in
                try await db.raw("""
                    UPDATE \(unsafeRaw: parentTable.rawValue) SET revision = revision WHERE id = \(bind: document.parentID)
                    """).run()
                guard try await db.raw("SELECT id FROM \(unsafeRaw: parentTable.rawValue) WHERE id = \(bind: document.parentID)").first() != nil
                else { return false }
                let siblings = try await db.raw("""
                    SELECT * FROM \(unsafeRaw: table.rawValue) WHERE parent_id = \(bind: document.parentID) ORDER BY id
                    """).all().map(Self.decode)
                try check(siblings)
                try await Self.insert(table, document, db, settling: settling)
                return true
            }
        } catch where StateStore.isUniqueViolation(error) {
            throw StoreError.conflict("\(table.rawValue): \(document.uniqueKey ?? document.id) already exists")
        }
    }

    /// Inserts a row; `StoreError.conflict` when its id or unique key is taken.
    public func insert(_ table: NetworkTable, _ document: NetworkDocument) async throws {
        let settling = RowSettledReservations.current
        do {
            try await store.transaction { db in try await Self.insert(table, document, db, settling: settling) }
        } catch where StateStore.isUniqueViolation(error) {
            throw StoreError.conflict("\(table.rawValue): \(document.uniqueKey ?? document.id) already exists")
        }
    }

    /// Inserts several rows at once, all or none (a group with its default rules).
    public func insert(_ table: NetworkTable, _ document: NetworkDocument, with children: [(NetworkTable, NetworkDocument)]) async throws {
        let settling = RowSettledReservations.current
        do {
            try await store.transaction { db in
                try await Self.insert(table, document, db, settling: settling)
                for (childTable, child) in children { try await Self.insert(childTable, child, db, settling: settling) }
            }
        } catch where StateStore.isUniqueViolation(error) {
            throw StoreError.conflict("\(table.rawValue): \(document.uniqueKey ?? document.id) already exists")
        }
    }

    /// Replaces a row if it is still at `expectedRevision` (the caller re-reads and retries when not).
    /// Returns false when another writer got there first or the row is gone.
    public func update(_ table: NetworkTable, _ document: NetworkDocument, expectedRevision: Int) async throws -> Bool {
        try await store.transaction { db in
            let current = try await db.raw("""
                SELECT revision FROM \(unsafeRaw: table.rawValue) WHERE id = \(bind: document.id)
                """).first()
            guard let current, try current.decode(column: "revision", as: Int.self) == expectedRevision else { return false }
            // On PostgreSQL (READ COMMITTED) a concurrent writer may commit between the read above and this
            // statement, which then matches no row: only a row actually written counts as success.
            return try await db.raw("""
                UPDATE \(unsafeRaw: table.rawValue) SET name = \(bind: document.name), device_id = \(bind: document.deviceID),
                    unique_key = \(bind: document.uniqueKey), revision = \(bind: document.revision), body = \(bind: document.body),
                    updated_at = \(bind: document.updatedAt)
                WHERE id = \(bind: document.id) AND revision = \(bind: expectedRevision)
                RETURNING id
                """).first() != nil
        }
    }

    /// Deletes a row (and, for a port, its addresses; for a group, its rules). Returns whether it existed.
    @discardableResult
    public func delete(_ table: NetworkTable, id: String) async throws -> Bool {
        try await store.transaction { db in
            let existed = try await db.raw("SELECT id FROM \(unsafeRaw: table.rawValue) WHERE id = \(bind: id)").first() != nil
            try await db.raw("DELETE FROM \(unsafeRaw: table.rawValue) WHERE id = \(bind: id)").run()
            switch table {
            case .ports:
                try await db.raw("DELETE FROM neutron_ip_allocations WHERE port_id = \(bind: id)").run()
            case .securityGroups:
                try await db.raw("DELETE FROM neutron_security_group_rules WHERE parent_id = \(bind: id)").run()
            default:
                break
            }
            return existed
        }
    }

    static func appendList(_ sql: inout SQLQueryString, _ values: [String]) {
        for (index, value) in values.enumerated() {
            if index > 0 { sql.appendInterpolation(unsafeRaw: ", ") }
            sql.appendInterpolation(bind: value)
        }
    }

    /// `settling`: read by the caller before its transaction (a task-local is not seen inside a PostgreSQL one).
    static func insert(_ table: NetworkTable, _ d: NetworkDocument, _ db: any SQLDatabase, settling: RowSettledReservations?) async throws {
        try await db.raw("""
            INSERT INTO \(unsafeRaw: table.rawValue) (id, project_id, parent_id, device_id, name, unique_key, revision, body, created_at, updated_at)
            VALUES (\(bind: d.id), \(bind: d.projectID), \(bind: d.parentID), \(bind: d.deviceID), \(bind: d.name),
                    \(bind: d.uniqueKey), \(bind: d.revision), \(bind: d.body), \(bind: d.createdAt), \(bind: d.updatedAt))
            """).run()
        try await settling?.settle(table: table.rawValue, projectID: d.projectID, on: db)
    }

    static func decode(_ row: any SQLRow) throws -> NetworkDocument {
        NetworkDocument(
            id: try row.decode(column: "id", as: String.self),
            projectID: try row.decode(column: "project_id", as: String.self),
            parentID: try row.decode(column: "parent_id", as: String.self),
            deviceID: try row.decode(column: "device_id", as: String.self),
            name: try row.decode(column: "name", as: String.self),
            uniqueKey: try row.decode(column: "unique_key", as: String?.self),
            revision: try row.decode(column: "revision", as: Int.self),
            body: try row.decode(column: "body", as: String.self),
            createdAt: try row.decode(column: "created_at", as: String.self),
            updatedAt: try row.decode(column: "updated_at", as: String.self))
    }
}
