import Foundation
import SQLKit
import TricircleCore

/// One resource's count at the top: held by live resources, and reserved by creates under way.
public struct QuotaCount: Sendable, Equatable {
    public var inUse: Int
    public var reserved: Int

    public init(inUse: Int = 0, reserved: Int = 0) {
        self.inUse = inUse
        self.reserved = reserved
    }
}

/// What a live resource holds of its project's quota (`instances` 1, `cores` 4, `ram` 2048 for a server).
public struct QuotaHolding: Sendable, Equatable {
    public var objectType: String
    public var objectID: String
    public var projectID: String
    public var podID: String
    public var amounts: [String: Int]

    public init(objectType: String, objectID: String, projectID: String, podID: String, amounts: [String: Int]) {
        self.objectType = objectType
        self.objectID = objectID
        self.projectID = projectID
        self.podID = podID
        self.amounts = amounts
    }
}

/// The answer to a quota check: units reserved, or the resource that ran out.
public enum QuotaDecision: Sendable, Equatable {
    /// `units` (between the asked minimum and maximum) were reserved under `reservationID`.
    case reserved(reservationID: String, units: Int)
    /// Not even the minimum fits. `overs` are the resources too small for the maximum, in name order;
    /// `counts` and `limits` what each of them held and allowed; `allowedUnits` how many units would fit.
    case exceeded(overs: [String], counts: [String: Int], limits: [String: Int], allowedUnits: Int)
}

/// The quota ledger of the state database: reservations taken in the same transaction as the check, under
/// the project's `quota_locks` row (an upsert bumping its version, which PostgreSQL row-locks and SQLite runs
/// under its write lock), so two gateway processes checking one project run one after the other; holdings of live
/// resources, counted only while the top still routes to them.
public struct QuotaLedger: Sendable {
    let store: StateStore

    public init(store: StateStore) { self.store = store }

    /// Reserves as many units as fit between `minUnits` and `maxUnits`, each unit holding `perUnit` of
    /// the project's quota in `service`. `limits` are the project's limits (-1 or absent: unlimited);
    /// `countedRows` adds, per resource, the project's rows of a top table (Networking's documents) to the
    /// holdings. The reservation expires after `ttl` seconds unless committed or released first.
    public func reserve(
        service: String, projectID: String, perUnit: [String: Int], minUnits: Int = 1, maxUnits: Int = 1,
        limits: [String: Int], ttl: Double, owner: String, countedRows: [String: String] = [:]
    ) async throws -> QuotaDecision {
        let now = Date()
        let nowText = Timestamp.format(now)
        let expires = Timestamp.format(now.addingTimeInterval(ttl))
        return try await store.transaction { db in
            try await Self.lock(db, service: service, projectID: projectID)
            let counted = try await Self.counts(db, service: service, projectID: projectID, now: nowText, countedRows: countedRows)
            // How many units each limited resource leaves room for.
            var allowed = maxUnits
            var overs: [String] = []
            var used: [String: Int] = [:]
            var checked: [String: Int] = [:]
            for (resource, amount) in perUnit.sorted(by: { $0.key < $1.key }) where amount > 0 {
                guard let limit = limits[resource], limit >= 0 else { continue }
                let held = (counted[resource]?.inUse ?? 0) + (counted[resource]?.reserved ?? 0)
                let room = max(0, (limit - held) / amount)
                if room < maxUnits {
                    overs.append(resource)
                    used[resource] = held
                    checked[resource] = limit
                }
                allowed = min(allowed, room)
            }
            guard allowed >= max(minUnits, 1) else {
                return .exceeded(overs: overs, counts: used, limits: checked, allowedUnits: allowed)
            }
            let id = UUID().uuidString.lowercased()
            // One statement for every resource's row: each statement is a round trip to a distant database.
            var insert: SQLQueryString = """
                INSERT INTO quota_reservations (id, resource, project_id, service, amount, owner, expires_at, created_at) VALUES
                """
            var rows = 0
            for (resource, amount) in perUnit.sorted(by: { $0.key < $1.key }) where amount > 0 {
                insert += rows == 0 ? " " : ", "
                insert += """
                    (\(bind: id), \(bind: resource), \(bind: projectID), \(bind: service), \(bind: amount * allowed),
                     \(bind: owner), \(bind: expires), \(bind: nowText))
                    """
                rows += 1
            }
            if rows > 0 { try await db.raw(insert).run() }
            return .reserved(reservationID: id, units: allowed)
        }
    }

    /// The pod accepted: the reservation becomes the holdings of the resources made, in one transaction
    /// (never counted twice, never missing). A holding replaces what the same object held before (a resize).
    public func commit(reservationID: String, holdings: [QuotaHolding], service: String) async throws {
        let now = Timestamp.now()
        try await store.transaction { db in
            // Without the project's lock (a round trip less): a check counts reservations and holdings in one
            // statement, one snapshot, so it sees this transaction whole or not at all: the reservation or the
            // holdings, never neither, never both.
            try await db.raw("DELETE FROM quota_reservations WHERE id = \(bind: reservationID)").run()
            try await Self.write(holdings, service: service, now: now, on: db)
        }
    }

    /// The pod refused (or was never asked): the reservation is dropped.
    public func release(reservationID: String) async throws {
        // One statement, atomic by itself: no BEGIN/COMMIT round trips.
        try await store.read { db in
            try await db.raw("DELETE FROM quota_reservations WHERE id = \(bind: reservationID)").run()
        }
    }

    /// Records (or replaces) what one object holds, outside any reservation (the reconcile job).
    public func record(_ holding: QuotaHolding, service: String) async throws {
        let now = Timestamp.now()
        try await store.transaction { db in try await Self.write([holding], service: service, now: now, on: db) }
    }

    /// Forgets what an object holds (it is gone).
    public func forget(objectType: String, objectID: String) async throws {
        try await store.transaction { db in
            try await db.raw("""
                DELETE FROM quota_allocations WHERE object_type = \(bind: objectType) AND object_id = \(bind: objectID)
                """).run()
        }
    }

    /// A project's counts in `service`: holdings of resources the top still routes to, unexpired reservations
    /// and `countedRows` (resource -> top table whose project rows count).
    public func counts(service: String, projectID: String, countedRows: [String: String] = [:]) async throws -> [String: QuotaCount] {
        let now = Timestamp.now()
        return try await store.read { db in
            try await Self.counts(db, service: service, projectID: projectID, now: now, countedRows: countedRows)
        }
    }

    /// Every holding of one object type in `service` (the reconcile job compares them with the pods).
    public func holdings(service: String, objectType: String) async throws -> [QuotaHolding] {
        try await store.read { db in
            var byObject: [String: QuotaHolding] = [:]
            for row in try await db.raw("""
                SELECT object_id, project_id, pod_id, resource, amount FROM quota_allocations
                WHERE service = \(bind: service) AND object_type = \(bind: objectType)
                """).all() {
                let id = try row.decode(column: "object_id", as: String.self)
                let project = try row.decode(column: "project_id", as: String.self)
                let pod = try row.decode(column: "pod_id", as: String.self)
                var holding = byObject[id] ?? QuotaHolding(objectType: objectType, objectID: id, projectID: project, podID: pod, amounts: [:])
                holding.amounts[try row.decode(column: "resource", as: String.self)] = try row.decode(column: "amount", as: Int.self)
                byObject[id] = holding
            }
            return byObject.values.sorted { $0.objectID < $1.objectID }
        }
    }

    /// What a project's live resources hold in `service`, per pod (pod id -> resource -> amount).
    public func usageByPod(service: String, projectID: String) async throws -> [String: [String: Int]] {
        try await store.read { db in
            var out: [String: [String: Int]] = [:]
            for row in try await db.raw("""
                SELECT a.pod_id AS pod_id, a.resource AS resource, SUM(a.amount) AS n FROM quota_allocations a
                WHERE a.project_id = \(bind: projectID) AND a.service = \(bind: service)
                  AND EXISTS (SELECT 1 FROM resource_routings r
                              WHERE r.top_id = a.object_id AND r.resource_type = a.object_type AND r.bottom_id IS NOT NULL)
                GROUP BY a.pod_id, a.resource
                """).all() {
                out[try row.decode(column: "pod_id", as: String.self), default: [:]][try row.decode(column: "resource", as: String.self)] =
                    try row.decode(column: "n", as: Int.self)
            }
            return out
        }
    }

    /// Projects holding anything in `service`.
    public func projects(service: String) async throws -> [String] {
        try await store.read { db in
            try await db.raw("SELECT DISTINCT project_id FROM quota_allocations WHERE service = \(bind: service) ORDER BY project_id")
                .all().map { try $0.decode(column: "project_id", as: String.self) }
        }
    }

    /// What one object holds (nil: nothing recorded).
    public func holding(objectType: String, objectID: String) async throws -> QuotaHolding? {
        try await store.read { db in
            var holding: QuotaHolding?
            for row in try await db.raw("""
                SELECT project_id, pod_id, resource, amount FROM quota_allocations
                WHERE object_type = \(bind: objectType) AND object_id = \(bind: objectID)
                """).all() {
                let project = try row.decode(column: "project_id", as: String.self)
                let pod = try row.decode(column: "pod_id", as: String.self)
                var current = holding ?? QuotaHolding(objectType: objectType, objectID: objectID, projectID: project, podID: pod, amounts: [:])
                current.amounts[try row.decode(column: "resource", as: String.self)] = try row.decode(column: "amount", as: Int.self)
                holding = current
            }
            return holding
        }
    }

    /// Drops reservations past their expiry at `now` (their gateway died or never finished); returns how
    /// many rows.
    @discardableResult
    public func releaseExpired(now date: Date = Date()) async throws -> Int {
        let now = Timestamp.format(date)
        return try await store.transaction { db in
            let n = try await db.raw("SELECT COUNT(*) AS n FROM quota_reservations WHERE expires_at <= \(bind: now)")
                .first()?.decode(column: "n", as: Int.self) ?? 0
            if n > 0 { try await db.raw("DELETE FROM quota_reservations WHERE expires_at <= \(bind: now)").run() }
            return n
        }
    }

    /// Reservation rows still held (expired or not), for tests and the admin view.
    public func reservationRows(projectID: String) async throws -> Int {
        try await store.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM quota_reservations WHERE project_id = \(bind: projectID)")
                .first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    // MARK: - SQL shared by the methods above

    /// Serializes the checks of one project's quota in one service until the transaction ends.
    /// One upsert (a round trip less than insert-then-update): the conflicting row is updated, which locks it
    /// on PostgreSQL and CockroachDB as the UPDATE did; SQLite holds its write lock from BEGIN IMMEDIATE.
    static func lock(_ db: any SQLDatabase, service: String, projectID: String) async throws {
        try await db.raw("""
            INSERT INTO quota_locks (project_id, service, version) VALUES (\(bind: projectID), \(bind: service), 0)
            ON CONFLICT (project_id, service) DO UPDATE SET version = quota_locks.version + 1
            """).run()
    }

    static func counts(
        _ db: any SQLDatabase, service: String, projectID: String, now: String, countedRows: [String: String]
    ) async throws -> [String: QuotaCount] {
        var out: [String: QuotaCount] = [:]
        // Reservations and holdings in one statement (one round trip, and one snapshot on PostgreSQL's READ
        // COMMITTED: a create committing meanwhile, which turns one into the other, is counted exactly once).
        // A holding counts while its object is routed (a delete at the top frees it at once); objects
        // gone from their pod without the top noticing are dropped by the reconcile job.
        for row in try await db.raw("""
            SELECT 'reserved' AS kind, resource, SUM(amount) AS n FROM quota_reservations
            WHERE project_id = \(bind: projectID) AND service = \(bind: service) AND expires_at > \(bind: now)
            GROUP BY resource
            UNION ALL
            SELECT 'in_use' AS kind, a.resource AS resource, SUM(a.amount) AS n FROM quota_allocations a
            WHERE a.project_id = \(bind: projectID) AND a.service = \(bind: service)
              AND EXISTS (SELECT 1 FROM resource_routings r
                          WHERE r.top_id = a.object_id AND r.resource_type = a.object_type AND r.bottom_id IS NOT NULL)
            GROUP BY a.resource
            """).all() {
            let resource = try row.decode(column: "resource", as: String.self)
            let n = try row.decode(column: "n", as: Int.self)
            if try row.decode(column: "kind", as: String.self) == "reserved" {
                out[resource, default: QuotaCount()].reserved += n
            } else {
                out[resource, default: QuotaCount()].inUse += n
            }
        }
        for (resource, table) in countedRows.sorted(by: { $0.key < $1.key }) {
            let n = try await db.raw("SELECT COUNT(*) AS n FROM \(ident: table) WHERE project_id = \(bind: projectID)")
                .first()?.decode(column: "n", as: Int.self) ?? 0
            out[resource, default: QuotaCount()].inUse += n
        }
        return out
    }

    /// Replaces what the holdings' objects held: one DELETE and one multi-row INSERT for all of them (two round
    /// trips however many objects and resources).
    static func write(_ holdings: [QuotaHolding], service: String, now: String, on db: any SQLDatabase) async throws {
        guard !holdings.isEmpty else { return }
        var delete: SQLQueryString = "DELETE FROM quota_allocations WHERE "
        var insert: SQLQueryString = """
            INSERT INTO quota_allocations (object_type, object_id, resource, project_id, service, pod_id, amount, updated_at) VALUES
            """
        var rows = 0
        for (index, holding) in holdings.enumerated() {
            delete += index == 0 ? "" : " OR "
            delete += "(object_type = \(bind: holding.objectType) AND object_id = \(bind: holding.objectID))"
            for (resource, amount) in holding.amounts.sorted(by: { $0.key < $1.key }) where amount != 0 {
                insert += rows == 0 ? " " : ", "
                insert += """
                    (\(bind: holding.objectType), \(bind: holding.objectID), \(bind: resource), \(bind: holding.projectID),
                     \(bind: service), \(bind: holding.podID), \(bind: amount), \(bind: now))
                    """
                rows += 1
            }
        }
        try await db.raw(delete).run()
        if rows > 0 { try await db.raw(insert).run() }
    }
}

/// Limit overrides of Block Storage (`volume_quotas`) and Database (`database_quotas`) at the top; Compute's
/// and Networking's have their own stores over the same table shape.
public struct QuotaLimitStore: Sendable {
    let table: QuotaOverrideTable

    /// `table`: `volume_quotas` or `database_quotas`.
    public init(store: StateStore, service: String) {
        self.table = QuotaOverrideTable(store: store, table: service == "database" ? "database_quotas" : "volume_quotas")
    }

    public func overrides(projectID: String) async throws -> [String: Int] { try await table.overrides(projectID: projectID) }
    public func allOverrides() async throws -> [String: [String: Int]] { try await table.allOverrides() }
    public func set(projectID: String, limits: [String: Int]) async throws { try await table.set(projectID: projectID, limits: limits) }
    public func reset(projectID: String) async throws { try await table.reset(projectID: projectID) }
}
