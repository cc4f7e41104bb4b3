import Foundation

/// A Nova key pair (`os-keypairs`), owned by a user.
public struct Keypair: Codable, Sendable, Hashable {
    public var name: String
    public var publicKey: String
    public var fingerprint: String
    /// "ssh" or "x509" (2.2+).
    public var type: String?
    public var userID: String?
    /// Only in the create answer when Nova generated the key (before 2.92).
    public var privateKey: String?
    public var createdAt: String?
    public var deleted: Bool?
    public var id: Int?

    enum CodingKeys: String, CodingKey {
        case name, fingerprint, type, deleted, id
        case publicKey = "public_key"
        case userID = "user_id"
        case privateKey = "private_key"
        case createdAt = "created_at"
    }

    public init(
        name: String, publicKey: String, fingerprint: String, type: String? = "ssh", userID: String? = nil,
        privateKey: String? = nil, createdAt: String? = nil
    ) {
        self.name = name
        self.publicKey = publicKey
        self.fingerprint = fingerprint
        self.type = type
        self.userID = userID
        self.privateKey = privateKey
        self.createdAt = createdAt
    }
}

/// `{"keypair": {...}}` (create body and show answer).
public struct KeypairEnvelope: Codable, Sendable, Hashable {
    public var keypair: Keypair
    public init(keypair: Keypair) { self.keypair = keypair }
}

/// `POST /os-keypairs` body.
public struct KeypairCreateRequest: Codable, Sendable, Hashable {
    /// Name and optional public key (import); `user_id` is admin-only (2.10+).
    public struct Create: Codable, Sendable, Hashable {
        public var name: String
        public var publicKey: String?
        public var type: String?
        public var userID: String?
        enum CodingKeys: String, CodingKey {
            case name, type
            case publicKey = "public_key"
            case userID = "user_id"
        }
        public init(name: String, publicKey: String? = nil, type: String? = nil) {
            self.name = name
            self.publicKey = publicKey
            self.type = type
        }
    }
    public var keypair: Create
    public init(keypair: Create) { self.keypair = keypair }
}

/// `{"keypairs": [{"keypair": {...}}], "keypairs_links": [...]}` — note the per-item wrapper.
public struct KeypairList: Codable, Sendable, Hashable {
    public var keypairs: [KeypairEnvelope]
    public var keypairsLinks: [Link]?
    enum CodingKeys: String, CodingKey {
        case keypairs
        case keypairsLinks = "keypairs_links"
    }
    public init(keypairs: [KeypairEnvelope], keypairsLinks: [Link]? = nil) {
        self.keypairs = keypairs
        self.keypairsLinks = keypairsLinks
    }
}
