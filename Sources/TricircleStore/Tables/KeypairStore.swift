import SQLKit
import TricircleCore

/// A key pair kept at the top for one user (`compute_keypairs`).
public struct StoredKeypair: Sendable, Hashable, Codable {
    public var id: String
    public var userID: String
    public var name: String
    /// "ssh" or "x509".
    public var type: String
    public var publicKey: String
    public var fingerprint: String
    public var createdAt: String

    public init(id: String, userID: String, name: String, type: String, publicKey: String, fingerprint: String, createdAt: String) {
        self.id = id
        self.userID = userID
        self.name = name
        self.type = type
        self.publicKey = publicKey
        self.fingerprint = fingerprint
        self.createdAt = createdAt
    }
}

/// Reads and writes users' key pairs at the top.
public struct KeypairStore: Sendable {
    let store: StateStore

    public init(store: StateStore) { self.store = store }

    /// The user already holds `limit` key pairs (Nova's `key_pairs` quota, counted per user).
    public struct LimitExceeded: Error, Sendable {
        public let limit: Int
    }

    /// Stores a key pair; `StoreError.conflict` when the user already has one with that name, `LimitExceeded`
    /// when the user holds `limit` already (-1: unlimited). The count and the insert run under the user's
    /// `quota_locks` row, so concurrent creates through several gateways never pass the limit.
    @discardableResult
    public func create(
        userID: String, name: String, type: String, publicKey: String, fingerprint: String, limit: Int = -1
    ) async throws -> StoredKeypair {
        let keypair = StoredKeypair(
            id: Identifier.make(), userID: userID, name: name, type: type, publicKey: publicKey, fingerprint: fingerprint,
            createdAt: Timestamp.now())
        do {
            try await store.transaction { db in
                if limit >= 0 {
                    try await QuotaLedger.lock(db, service: "key_pairs", projectID: userID)
                    let held = try await db.raw("SELECT COUNT(*) AS n FROM compute_keypairs WHERE user_id = \(bind: userID)")
                        .first()?.decode(column: "n", as: Int.self) ?? 0
                    if held >= limit { throw LimitExceeded(limit: limit) }
                }
                if try await db.raw("""
                    SELECT id FROM compute_keypairs WHERE user_id = \(bind: userID) AND name = \(bind: name)
                    """).first() != nil {
                    throw StoreError.conflict("Key pair '\(name)' already exists.")
                }
                try await db.raw("""
                    INSERT INTO compute_keypairs (id, user_id, name, key_type, public_key, fingerprint, created_at)
                    VALUES (\(bind: keypair.id), \(bind: userID), \(bind: name), \(bind: type), \(bind: publicKey),
                            \(bind: fingerprint), \(bind: keypair.createdAt))
                    """).run()
            }
        } catch let error as StoreError {
            throw error
        } catch let error as LimitExceeded {
            throw error
        } catch where StateStore.isUniqueViolation(error) {
            throw StoreError.conflict("Key pair '\(name)' already exists.")
        }
        return keypair
    }

    public func get(userID: String, name: String) async throws -> StoredKeypair? {
        try await store.read { db in
            try await db.raw("""
                SELECT * FROM compute_keypairs WHERE user_id = \(bind: userID) AND name = \(bind: name)
                """).first().map(Self.decode)
        }
    }

    /// A user's key pairs by name, `limit` at a time after `marker` (a name; unknown: `StoreError.notFound`).
    public func list(userID: String, limit: Int, marker: String? = nil) async throws -> [StoredKeypair] {
        try await store.read { db in
            if let marker {
                guard try await db.raw("""
                    SELECT id FROM compute_keypairs WHERE user_id = \(bind: userID) AND name = \(bind: marker)
                    """).first() != nil else {
                    throw StoreError.notFound("marker [\(marker)] not found")
                }
                return try await db.raw("""
                    SELECT * FROM compute_keypairs WHERE user_id = \(bind: userID) AND name > \(bind: marker)
                    ORDER BY name LIMIT \(bind: max(0, limit))
                    """).all().map(Self.decode)
            }
            return try await db.raw("""
                SELECT * FROM compute_keypairs WHERE user_id = \(bind: userID) ORDER BY name LIMIT \(bind: max(0, limit))
                """).all().map(Self.decode)
        }
    }

    /// How many key pairs a user holds (quota usage).
    public func count(userID: String) async throws -> Int {
        try await store.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM compute_keypairs WHERE user_id = \(bind: userID)").first()?
                .decode(column: "n", as: Int.self) ?? 0
        }
    }

    /// Deletes a key pair; false when the user has none with that name.
    public func delete(userID: String, name: String) async throws -> Bool {
        try await store.transaction { db in
            let found = try await db.raw("""
                SELECT id FROM compute_keypairs WHERE user_id = \(bind: userID) AND name = \(bind: name)
                """).first() != nil
            if found {
                try await db.raw("DELETE FROM compute_keypairs WHERE user_id = \(bind: userID) AND name = \(bind: name)").run()
            }
            return found
        }
    }

    static func decode(_ row: any SQLRow) throws -> StoredKeypair {
        StoredKeypair(
            id: try row.decode(column: "id", as: String.self),
            userID: try row.decode(column: "user_id", as: String.self),
            name: try row.decode(column: "name", as: String.self),
            type: try row.decode(column: "key_type", as: String.self),
            publicKey: try row.decode(column: "public_key", as: String.self),
            fingerprint: try row.decode(column: "fingerprint", as: String.self),
            createdAt: try row.decode(column: "created_at", as: String.self))
    }
}
