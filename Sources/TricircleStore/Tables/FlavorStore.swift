import SQLKit
import TricircleCore

/// A flavor in the top's catalog (`compute_flavors`).
public struct CatalogFlavor: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public var ram: Int
    public var vcpus: Int
    public var disk: Int
    public var ephemeral: Int
    /// MiB; 0 means none (Nova shows "").
    public var swap: Int
    public var rxtxFactor: Double
    public var isPublic: Bool
    public var disabled: Bool
    public var description: String?
    public var createdAt: String
    public var updatedAt: String

    public init(
        id: String, name: String, ram: Int, vcpus: Int, disk: Int, ephemeral: Int = 0, swap: Int = 0,
        rxtxFactor: Double = 1.0, isPublic: Bool = true, disabled: Bool = false, description: String? = nil,
        createdAt: String = "", updatedAt: String = ""
    ) {
        self.id = id
        self.name = name
        self.ram = ram
        self.vcpus = vcpus
        self.disk = disk
        self.ephemeral = ephemeral
        self.swap = swap
        self.rxtxFactor = rxtxFactor
        self.isPublic = isPublic
        self.disabled = disabled
        self.description = description
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Which flavors a list shows, as Nova's `is_public` filter decides it.
public enum FlavorVisibility: Sendable, Hashable {
    /// Public flavors plus the private ones `projectID` was given access to (every non-admin list).
    case publicOrAccessible(projectID: String)
    /// Only private flavors (admin, `is_public=false`).
    case privateOnly
    /// Everything (admin, `is_public=none`).
    case all
}

/// The columns a flavor list may sort on (Nova's `sort_key` names).
public enum FlavorSortKey: String, Sendable, CaseIterable {
    case flavorid, name, memoryMB = "memory_mb", vcpus, rootGB = "root_gb", swap, ephemeralGB = "ephemeral_gb"
    case rxtxFactor = "rxtx_factor", id, createdAt = "created_at", updatedAt = "updated_at", disabled
    case isPublic = "is_public", description

    var column: String {
        switch self {
        case .flavorid, .id: "flavor_id"
        case .name: "name"
        case .memoryMB: "ram"
        case .vcpus: "vcpus"
        case .rootGB: "disk"
        case .swap: "swap"
        case .ephemeralGB: "ephemeral"
        case .rxtxFactor: "rxtx_factor"
        case .createdAt: "created_at"
        case .updatedAt: "updated_at"
        case .disabled: "disabled"
        case .isPublic: "is_public"
        case .description: "description"
        }
    }
}

/// A flavor list query: filters, order and one page.
public struct FlavorQuery: Sendable, Hashable {
    public var visibility: FlavorVisibility
    public var minRAM: Int
    public var minDisk: Int
    public var sortKey: FlavorSortKey
    public var ascending: Bool
    public var limit: Int
    /// The id of the last flavor of the previous page.
    public var marker: String?

    public init(
        visibility: FlavorVisibility, minRAM: Int = 0, minDisk: Int = 0, sortKey: FlavorSortKey = .flavorid,
        ascending: Bool = true, limit: Int = 1000, marker: String? = nil
    ) {
        self.visibility = visibility
        self.minRAM = minRAM
        self.minDisk = minDisk
        self.sortKey = sortKey
        self.ascending = ascending
        self.limit = limit
        self.marker = marker
    }
}

/// Reads and writes the top flavor catalog: flavors, their extra specs and project access.
public struct FlavorStore: Sendable {
    let store: StateStore

    public init(store: StateStore) { self.store = store }

    /// Inserts a flavor. `StoreError.conflict` names whether the id or the name is taken.
    @discardableResult
    public func create(_ flavor: CatalogFlavor) async throws -> CatalogFlavor {
        let now = Timestamp.now()
        var flavor = flavor
        flavor.createdAt = now
        flavor.updatedAt = now
        let row = flavor
        do {
            try await store.transaction { db in
                if try await db.raw("SELECT flavor_id FROM compute_flavors WHERE flavor_id = \(bind: row.id)").first() != nil {
                    throw StoreError.conflict("Flavor with ID \(row.id) already exists.")
                }
                if try await db.raw("SELECT flavor_id FROM compute_flavors WHERE name = \(bind: row.name)").first() != nil {
                    throw StoreError.conflict("Flavor with name \(row.name) already exists.")
                }
                try await Self.insert(row, db)
            }
        } catch let error as StoreError {
            throw error
        } catch where StateStore.isUniqueViolation(error) {
            throw StoreError.conflict("Flavor with ID \(row.id) or name \(row.name) already exists.")
        }
        return flavor
    }

    /// Fills an empty catalog with `flavors` (a first-use import from a pod). Returns false, writing
    /// nothing, when the catalog already holds flavors (another process may have imported first).
    @discardableResult
    public func importIfEmpty(_ flavors: [CatalogFlavor], extraSpecs: [String: [String: String]] = [:]) async throws -> Bool {
        let now = Timestamp.now()
        do {
            return try await store.transaction { db in
                guard try await db.raw("SELECT flavor_id FROM compute_flavors LIMIT 1").first() == nil else { return false }
                var seenNames = Set<String>()
                for var flavor in flavors where seenNames.insert(flavor.name).inserted {
                    flavor.createdAt = now
                    flavor.updatedAt = now
                    try await Self.insert(flavor, db)
                    for (key, value) in extraSpecs[flavor.id] ?? [:] {
                        try await db.raw("""
                            INSERT INTO compute_flavor_extra_specs (flavor_id, spec_key, spec_value, created_at, updated_at)
                            VALUES (\(bind: flavor.id), \(bind: key), \(bind: value), \(bind: now), \(bind: now))
                            """).run()
                    }
                }
                return true
            }
        } catch where StateStore.isUniqueViolation(error) {
            return false
        }
    }

    /// Whether the catalog holds no flavor at all.
    public func isEmpty() async throws -> Bool {
        try await store.read { db in
            try await db.raw("SELECT flavor_id FROM compute_flavors LIMIT 1").first() == nil
        }
    }

    public func get(_ id: String) async throws -> CatalogFlavor? {
        try await store.read { db in
            try await db.raw("SELECT * FROM compute_flavors WHERE flavor_id = \(bind: id)").first().map(Self.decode)
        }
    }

    /// One page of flavors. An unknown marker is `StoreError.notFound`.
    public func list(_ query: FlavorQuery) async throws -> [CatalogFlavor] {
        try await store.read { db in
            var sql = SQLQueryString("SELECT * FROM compute_flavors WHERE ram >= ")
            sql.appendInterpolation(bind: query.minRAM)
            sql.appendInterpolation(unsafeRaw: " AND disk >= ")
            sql.appendInterpolation(bind: query.minDisk)
            switch query.visibility {
            case .publicOrAccessible(let projectID):
                sql.appendInterpolation(unsafeRaw: " AND disabled = 0 AND (is_public = 1 OR flavor_id IN (SELECT flavor_id FROM compute_flavor_access WHERE project_id = ")
                sql.appendInterpolation(bind: projectID)
                sql.appendInterpolation(unsafeRaw: "))")
            case .privateOnly:
                sql.appendInterpolation(unsafeRaw: " AND is_public = 0")
            case .all:
                break
            }
            let column = query.sortKey.column
            let comparison = query.ascending ? ">" : "<"
            if let marker = query.marker {
                guard let row = try await db.raw("SELECT * FROM compute_flavors WHERE flavor_id = \(bind: marker)").first() else {
                    throw StoreError.notFound("marker [\(marker)] not found")
                }
                let flavor = try Self.decode(row)
                // Keyset paging on (sort column, id): stable across pages whatever the sort key.
                if column == "flavor_id" {
                    sql.appendInterpolation(unsafeRaw: " AND flavor_id \(comparison) ")
                    sql.appendInterpolation(bind: marker)
                } else {
                    let value = Self.sortValue(flavor, column)
                    sql.appendInterpolation(unsafeRaw: " AND (\(column) \(comparison) ")
                    Self.bind(value, into: &sql)
                    sql.appendInterpolation(unsafeRaw: " OR (\(column) = ")
                    Self.bind(value, into: &sql)
                    sql.appendInterpolation(unsafeRaw: " AND flavor_id \(comparison) ")
                    sql.appendInterpolation(bind: marker)
                    sql.appendInterpolation(unsafeRaw: "))")
                }
            }
            let direction = query.ascending ? "ASC" : "DESC"
            sql.appendInterpolation(unsafeRaw: column == "flavor_id"
                ? " ORDER BY flavor_id \(direction)" : " ORDER BY \(column) \(direction), flavor_id \(direction)")
            sql.appendInterpolation(unsafeRaw: " LIMIT ")
            sql.appendInterpolation(bind: max(0, query.limit))
            return try await db.raw(sql).all().map(Self.decode)
        }
    }

    enum SortValue { case text(String), int(Int), double(Double) }

    static func sortValue(_ f: CatalogFlavor, _ column: String) -> SortValue {
        switch column {
        case "name": .text(f.name)
        case "ram": .int(f.ram)
        case "vcpus": .int(f.vcpus)
        case "disk": .int(f.disk)
        case "swap": .int(f.swap)
        case "ephemeral": .int(f.ephemeral)
        case "rxtx_factor": .double(f.rxtxFactor)
        case "created_at": .text(f.createdAt)
        case "updated_at": .text(f.updatedAt)
        case "disabled": .int(f.disabled ? 1 : 0)
        case "is_public": .int(f.isPublic ? 1 : 0)
        case "description": .text(f.description ?? "")
        default: .text(f.id)
        }
    }

    static func bind(_ value: SortValue, into sql: inout SQLQueryString) {
        switch value {
        case .text(let v): sql.appendInterpolation(bind: v)
        case .int(let v): sql.appendInterpolation(bind: v)
        case .double(let v): sql.appendInterpolation(bind: v)
        }
    }

    /// Changes the description (2.55+); nil when the flavor is gone.
    public func updateDescription(_ id: String, description: String?) async throws -> CatalogFlavor? {
        let now = Timestamp.now()
        return try await store.transaction { db in
            try await db.raw("""
                UPDATE compute_flavors SET description = \(bind: description), updated_at = \(bind: now)
                WHERE flavor_id = \(bind: id)
                """).run()
            return try await db.raw("SELECT * FROM compute_flavors WHERE flavor_id = \(bind: id)").first().map(Self.decode)
        }
    }

    /// Deletes a flavor with its extra specs, access rows and pod mappings.
    public func delete(_ id: String) async throws -> Bool {
        try await store.transaction { db in
            guard try await db.raw("SELECT flavor_id FROM compute_flavors WHERE flavor_id = \(bind: id)").first() != nil else {
                return false
            }
            // Explicit deletes rather than relying on ON DELETE CASCADE, which SQLite only honours with foreign_keys on.
            try await db.raw("DELETE FROM compute_flavor_extra_specs WHERE flavor_id = \(bind: id)").run()
            try await db.raw("DELETE FROM compute_flavor_access WHERE flavor_id = \(bind: id)").run()
            try await db.raw("DELETE FROM compute_flavor_mappings WHERE top_flavor_id = \(bind: id)").run()
            try await db.raw("DELETE FROM compute_flavors WHERE flavor_id = \(bind: id)").run()
            return true
        }
    }

    // MARK: Extra specs

    /// A flavor's extra specs.
    public func extraSpecs(_ flavorID: String) async throws -> [String: String] {
        try await extraSpecs(for: [flavorID])[flavorID] ?? [:]
    }

    /// Extra specs of several flavors at once (one query for a whole list page).
    public func extraSpecs(for flavorIDs: [String]) async throws -> [String: [String: String]] {
        guard !flavorIDs.isEmpty else { return [:] }
        return try await store.read { db in
            var sql = SQLQueryString("SELECT flavor_id, spec_key, spec_value FROM compute_flavor_extra_specs WHERE flavor_id IN (")
            for (index, id) in flavorIDs.enumerated() {
                if index > 0 { sql.appendInterpolation(unsafeRaw: ", ") }
                sql.appendInterpolation(bind: id)
            }
            sql.appendInterpolation(unsafeRaw: ")")
            var result: [String: [String: String]] = [:]
            for row in try await db.raw(sql).all() {
                let id = try row.decode(column: "flavor_id", as: String.self)
                result[id, default: [:]][try row.decode(column: "spec_key", as: String.self)] =
                    try row.decode(column: "spec_value", as: String.self)
            }
            return result
        }
    }

    /// Sets (adds or replaces) extra specs; `StoreError.notFound` when the flavor is gone.
    public func setExtraSpecs(_ flavorID: String, _ specs: [String: String]) async throws {
        let now = Timestamp.now()
        try await store.transaction { db in
            guard try await db.raw("SELECT flavor_id FROM compute_flavors WHERE flavor_id = \(bind: flavorID)").first() != nil else {
                throw StoreError.notFound("Flavor \(flavorID) could not be found.")
            }
            for (key, value) in specs.sorted(by: { $0.key < $1.key }) {
                try await db.raw("""
                    INSERT INTO compute_flavor_extra_specs (flavor_id, spec_key, spec_value, created_at, updated_at)
                    VALUES (\(bind: flavorID), \(bind: key), \(bind: value), \(bind: now), \(bind: now))
                    ON CONFLICT (flavor_id, spec_key) DO UPDATE SET spec_value = excluded.spec_value, updated_at = excluded.updated_at
                    """).run()
            }
        }
    }

    /// Removes one extra spec; false when it was not set.
    public func deleteExtraSpec(_ flavorID: String, key: String) async throws -> Bool {
        try await store.transaction { db in
            let found = try await db.raw("""
                SELECT spec_key FROM compute_flavor_extra_specs WHERE flavor_id = \(bind: flavorID) AND spec_key = \(bind: key)
                """).first() != nil
            if found {
                try await db.raw("""
                    DELETE FROM compute_flavor_extra_specs WHERE flavor_id = \(bind: flavorID) AND spec_key = \(bind: key)
                    """).run()
            }
            return found
        }
    }

    // MARK: Access

    /// Projects given access to a private flavor, sorted.
    public func accessProjects(_ flavorID: String) async throws -> [String] {
        try await store.read { db in
            try await db.raw("""
                SELECT project_id FROM compute_flavor_access WHERE flavor_id = \(bind: flavorID) ORDER BY project_id
                """).all().map { try $0.decode(column: "project_id", as: String.self) }
        }
    }

    /// Whether `projectID` may see `flavor` (public, or given access).
    public func isVisible(_ flavor: CatalogFlavor, to projectID: String) async throws -> Bool {
        if flavor.isPublic { return true }
        return try await store.read { db in
            try await db.raw("""
                SELECT project_id FROM compute_flavor_access WHERE flavor_id = \(bind: flavor.id) AND project_id = \(bind: projectID)
                """).first() != nil
        }
    }

    /// Grants access; `StoreError.conflict` when it already exists.
    public func addAccess(_ flavorID: String, projectID: String) async throws {
        do {
            try await store.transaction { db in
                if try await db.raw("""
                    SELECT project_id FROM compute_flavor_access WHERE flavor_id = \(bind: flavorID) AND project_id = \(bind: projectID)
                    """).first() != nil {
                    throw StoreError.conflict(
                        "Flavor access already exists for flavor \(flavorID) and project \(projectID) combination.")
                }
                try await db.raw("""
                    INSERT INTO compute_flavor_access (flavor_id, project_id, created_at)
                    VALUES (\(bind: flavorID), \(bind: projectID), \(bind: Timestamp.now()))
                    """).run()
            }
        } catch let error as StoreError {
            throw error
        } catch where StateStore.isUniqueViolation(error) {
            throw StoreError.conflict("Flavor access already exists for flavor \(flavorID) and project \(projectID) combination.")
        }
    }

    /// Revokes access; false when there was none.
    public func removeAccess(_ flavorID: String, projectID: String) async throws -> Bool {
        try await store.transaction { db in
            let found = try await db.raw("""
                SELECT project_id FROM compute_flavor_access WHERE flavor_id = \(bind: flavorID) AND project_id = \(bind: projectID)
                """).first() != nil
            if found {
                try await db.raw("""
                    DELETE FROM compute_flavor_access WHERE flavor_id = \(bind: flavorID) AND project_id = \(bind: projectID)
                    """).run()
            }
            return found
        }
    }

    static func insert(_ f: CatalogFlavor, _ db: any SQLDatabase) async throws {
        try await db.raw("""
            INSERT INTO compute_flavors (flavor_id, name, ram, vcpus, disk, ephemeral, swap, rxtx_factor, is_public,
                                         disabled, description, created_at, updated_at)
            VALUES (\(bind: f.id), \(bind: f.name), \(bind: f.ram), \(bind: f.vcpus), \(bind: f.disk), \(bind: f.ephemeral),
                    \(bind: f.swap), \(bind: f.rxtxFactor), \(bind: f.isPublic ? 1 : 0), \(bind: f.disabled ? 1 : 0),
                    \(bind: f.description), \(bind: f.createdAt), \(bind: f.updatedAt))
            """).run()
    }

    static func decode(_ row: any SQLRow) throws -> CatalogFlavor {
        CatalogFlavor(
            id: try row.decode(column: "flavor_id", as: String.self),
            name: try row.decode(column: "name", as: String.self),
            ram: try row.decode(column: "ram", as: Int.self),
            vcpus: try row.decode(column: "vcpus", as: Int.self),
            disk: try row.decode(column: "disk", as: Int.self),
            ephemeral: try row.decode(column: "ephemeral", as: Int.self),
            swap: try row.decode(column: "swap", as: Int.self),
            rxtxFactor: try row.decode(column: "rxtx_factor", as: Double.self),
            isPublic: try row.decode(column: "is_public", as: Int.self) != 0,
            disabled: try row.decode(column: "disabled", as: Int.self) != 0,
            description: try row.decode(column: "description", as: String?.self),
            createdAt: try row.decode(column: "created_at", as: String.self),
            updatedAt: try row.decode(column: "updated_at", as: String.self))
    }
}
