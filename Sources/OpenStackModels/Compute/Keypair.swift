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
