import SQLKit
import TricircleCore

/// One address held by a port (or reserved for a router gateway, a DHCP port, a floating IP).
public struct IPAllocation: Sendable, Hashable {
    public var subnetID: String
    public var ipAddress: String
    public var networkID: String
    public var portID: String

    public init(subnetID: String, ipAddress: String, networkID: String, portID: String) {
        self.subnetID = subnetID
        self.ipAddress = ipAddress
        self.networkID = networkID
        self.portID = portID
    }
}

/// Why an allocating write did not happen.
public enum AddressWriteError: Error, Sendable, Equatable {
    /// An address the client asked for by value is already held (no point in retrying).
    case addressTaken(subnetID: String, ipAddress: String)
    /// The unique key (a port's MAC on its network) is taken.
    case uniqueKeyTaken(String)
    /// Another writer took an address we picked between our read and our insert: pick again.
    case raced
}

/// `neutron_ip_allocations`: who holds which address of which subnet. The primary key (subnet, address)
/// is what keeps an address from being handed out twice, across processes and backends.
public struct NetworkAddressStore: Sendable {
    let store: StateStore

    public init(store: StateStore) { self.store = store }

    /// Every address taken in a subnet (the allocator picks among the others).
    public func taken(subnetID: String) async throws -> Set<String> {
        try await store.read { db in
            let rows = try await db.raw("SELECT ip_address FROM neutron_ip_allocations WHERE subnet_id = \(bind: subnetID)").all()
            return Set(try rows.map { try $0.decode(column: "ip_address", as: String.self) })
        }
    }

    /// Which of `addresses` are held in a subnet, and by which port (address -> port id): the allocator
    /// checks a few candidates with one indexed lookup instead of reading every taken address.
    public func holders(subnetID: String, among addresses: [String]) async throws -> [String: String] {
        guard !addresses.isEmpty else { return [:] }
        return try await store.read { db in
            var sql = SQLQueryString("SELECT ip_address, port_id FROM neutron_ip_allocations WHERE subnet_id = ")
            sql.appendInterpolation(bind: subnetID)
            sql.appendInterpolation(unsafeRaw: " AND ip_address IN (")
            NetworkDocumentStore.appendList(&sql, addresses)
            sql.appendInterpolation(unsafeRaw: ")")
            var out: [String: String] = [:]
            for row in try await db.raw(sql).all() {
                out[try row.decode(column: "ip_address", as: String.self)] = try row.decode(column: "port_id", as: String.self)
            }
            return out
        }
    }

    /// The addresses a port holds.
    public func allocations(portID: String) async throws -> [IPAllocation] {
        try await store.read { db in
            try await db.raw("SELECT * FROM neutron_ip_allocations WHERE port_id = \(bind: portID) ORDER BY created_at, ip_address")
                .all().map(Self.decode)
        }
    }

    /// How many addresses of a subnet are held by ports other than `exceptPortIDs`.
    public func count(subnetID: String) async throws -> Int {
        try await store.read { db in
            guard let row = try await db.raw("SELECT COUNT(*) AS n FROM neutron_ip_allocations WHERE subnet_id = \(bind: subnetID)").first()
            else { return 0 }
            return try row.decode(column: "n", as: Int.self)
        }
    }

    /// The holders of addresses in a subnet (to tell a deletable DHCP reservation from a port in use).
    public func holders(subnetID: String) async throws -> Set<String> {
        try await store.read { db in
            let rows = try await db.raw("SELECT DISTINCT port_id FROM neutron_ip_allocations WHERE subnet_id = \(bind: subnetID)").all()
            return Set(try rows.map { try $0.decode(column: "port_id", as: String.self) })
        }
    }

    /// Writes a resource together with its addresses, all or nothing. `requested` are addresses the client
    /// named (a conflict on them is final); the others were picked by the allocator (a conflict is `.raced`).
    /// `replacing`: a port update swaps its addresses for `allocations` and rewrites the document, which must
    /// still be at `expectedRevision`.
    public func write(
        _ table: NetworkTable, _ document: NetworkDocument, allocations: [IPAllocation], requested: Set<IPAllocation>,
        replacing expectedRevision: Int? = nil
    ) async throws {
        let settling = RowSettledReservations.current
        do {
            try await store.transaction { db in
                for allocation in requested {
                    let holder = try await db.raw("""
                        SELECT port_id FROM neutron_ip_allocations
                        WHERE subnet_id = \(bind: allocation.subnetID) AND ip_address = \(bind: allocation.ipAddress)
                        """).first()
                    if let holder, try holder.decode(column: "port_id", as: String.self) != document.id {
                        throw AddressWriteError.addressTaken(subnetID: allocation.subnetID, ipAddress: allocation.ipAddress)
                    }
                }
                if let key = document.uniqueKey,
                   let holder = try await db.raw("SELECT id FROM \(unsafeRaw: table.rawValue) WHERE unique_key = \(bind: key)").first(),
                   try holder.decode(column: "id", as: String.self) != document.id {
                    throw AddressWriteError.uniqueKeyTaken(key)
                }
                if let expectedRevision {
                    let current = try await db.raw("SELECT revision FROM \(unsafeRaw: table.rawValue) WHERE id = \(bind: document.id)").first()
                    guard let current, try current.decode(column: "revision", as: Int.self) == expectedRevision else {
                        throw AddressWriteError.raced
                    }
                    try await db.raw("DELETE FROM neutron_ip_allocations WHERE port_id = \(bind: document.id)").run()
                    try await db.raw("""
                        UPDATE \(unsafeRaw: table.rawValue) SET name = \(bind: document.name), device_id = \(bind: document.deviceID),
                            unique_key = \(bind: document.uniqueKey), revision = \(bind: document.revision),
                            body = \(bind: document.body), updated_at = \(bind: document.updatedAt)
                        WHERE id = \(bind: document.id)
                        """).run()
                } else {
                    try await NetworkDocumentStore.insert(table, document, db, settling: settling)
                }
                let now = Timestamp.now()
                for a in allocations {
                    try await db.raw("""
                        INSERT INTO neutron_ip_allocations (subnet_id, ip_address, network_id, port_id, created_at)
                        VALUES (\(bind: a.subnetID), \(bind: a.ipAddress), \(bind: a.networkID), \(bind: a.portID), \(bind: now))
                        """).run()
                }
            }
        } catch where StateStore.isUniqueViolation(error) {
            throw AddressWriteError.raced
        }
    }

    static func decode(_ row: any SQLRow) throws -> IPAllocation {
        IPAllocation(
            subnetID: try row.decode(column: "subnet_id", as: String.self),
            ipAddress: try row.decode(column: "ip_address", as: String.self),
            networkID: try row.decode(column: "network_id", as: String.self),
            portID: try row.decode(column: "port_id", as: String.self))
    }
}
