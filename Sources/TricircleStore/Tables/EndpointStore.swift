import SQLKit
import TricircleCore

/// A pod endpoint read from the Keystone catalog and kept in `cached_endpoints`.
public struct CachedEndpoint: Sendable, Hashable, Codable {
    public var podID: String
    public var serviceType: String
    public var interface: String
    public var url: String
    public var updatedAt: String
}

/// Reads and writes `cached_endpoints`, so every process shares what one of them learnt from the catalog.
public struct EndpointStore: Sendable {
    let store: StateStore

    public init(store: StateStore) { self.store = store }

    public func endpoints(podID: String) async throws -> [CachedEndpoint] {
        try await store.read { db in
            try await db.raw("""
                SELECT pod_id, service_type, interface, url, updated_at FROM cached_endpoints
                WHERE pod_id = \(bind: podID) ORDER BY service_type, interface
                """).all().map(Self.decode)
        }
    }

    /// Replaces the cached endpoints of one pod with a fresh read of the catalog.
    public func replace(podID: String, with endpoints: [(serviceType: String, interface: String, url: String)]) async throws {
        let now = Timestamp.now()
        try await store.transaction { db in
            try await db.raw("DELETE FROM cached_endpoints WHERE pod_id = \(bind: podID)").run()
            for e in endpoints {
                try await db.raw("""
                    INSERT INTO cached_endpoints (id, pod_id, service_type, interface, url, created_at, updated_at)
                    VALUES (\(bind: Identifier.make()), \(bind: podID), \(bind: e.serviceType), \(bind: e.interface),
                            \(bind: e.url), \(bind: now), \(bind: now))
                    """).run()
            }
        }
    }

    static func decode(_ row: any SQLRow) throws -> CachedEndpoint {
        CachedEndpoint(
            podID: try row.decode(column: "pod_id", as: String.self),
            serviceType: try row.decode(column: "service_type", as: String.self),
            interface: try row.decode(column: "interface", as: String.self),
            url: try row.decode(column: "url", as: String.self),
            updatedAt: try row.decode(column: "updated_at", as: String.self))
    }
}
