import Foundation

/// A Glance v2 image. Kept whole: Glance puts free-form properties at the top level of the object.
public struct Image: JSONObjectBacked {
    public var object: [String: JSONValue]
    public init(object: [String: JSONValue]) { self.object = object }

    public var id: String { string("id") ?? "" }
    public var name: String? { string("name") }
    /// queued, saving, uploading, importing, active, deactivated, killed, deleted, pending_delete.
    public var status: String? { string("status") }
    /// public, private, shared, community.
    public var visibility: String? { string("visibility") }
    public var owner: String? { string("owner") }
    public var size: Int? { int("size") }
    public var virtualSize: Int? { int("virtual_size") }
    /// MD5 of the data, hex.
    public var checksum: String? { string("checksum") }
    /// "sha512".
    public var hashAlgorithm: String? { string("os_hash_algo") }
    public var hashValue: String? { string("os_hash_value") }
    public var diskFormat: String? { string("disk_format") }
    public var containerFormat: String? { string("container_format") }
    public var minDisk: Int? { int("min_disk") }
    public var minRAM: Int? { int("min_ram") }
    public var protected: Bool? { bool("protected") }
    public var tags: [String]? { stringArray("tags") }
    public var createdAt: String? { string("created_at") }
    public var updatedAt: String? { string("updated_at") }
    /// Glance's core attributes; everything else on the object is a user property.
    public static let coreAttributes: Set<String> = [
        "id", "name", "status", "visibility", "owner", "size", "virtual_size", "checksum", "os_hash_algo",
        "os_hash_value", "disk_format", "container_format", "min_disk", "min_ram", "protected", "tags",
        "created_at", "updated_at", "self", "file", "schema", "direct_url", "locations", "os_hidden", "stores",
    ]
    /// User-defined properties (string-valued members outside the core attributes).
    public var properties: [String: String] {
        object.filter { !Self.coreAttributes.contains($0.key) }.compactMapValues { $0.stringValue }
    }
}

/// `GET /v2/images` answer: `images`, `first`, `schema` and `next` when there is another page.
public struct ImageList: Codable, Sendable, Hashable {
    public var images: [Image]
    public var first: String?
    public var next: String?
    public var schema: String?
    public init(images: [Image], first: String? = nil, next: String? = nil, schema: String? = "/v2/schemas/images") {
        self.images = images
        self.first = first
        self.next = next
        self.schema = schema
    }
    /// Marker for the next page, if there is one.
    public var nextMarker: String? {
        next.flatMap { URLComponents(string: $0)?.queryItems?.first { $0.name == "marker" }?.value }
    }
}
