import Foundation

/// One service in a token's catalog (or `GET /v3/auth/catalog`).
public struct CatalogEntry: Codable, Sendable, Hashable {
    public var id: String
    public var type: String
    public var name: String?
    public var endpoints: [CatalogEndpoint]
    public init(id: String, type: String, name: String?, endpoints: [CatalogEndpoint]) {
        self.id = id
        self.type = type
        self.name = name
        self.endpoints = endpoints
    }
}

/// One endpoint of a catalog entry.
public struct CatalogEndpoint: Codable, Sendable, Hashable {
    public var id: String
    /// public, internal or admin.
    public var interface: String
    /// Legacy region field, same as `regionID`.
    public var region: String?
    public var regionID: String?
    public var url: String

    enum CodingKeys: String, CodingKey {
        case id, interface, region, url
        case regionID = "region_id"
    }

    public init(id: String, interface: String, regionID: String?, url: String) {
        self.id = id
        self.interface = interface
        self.region = regionID
        self.regionID = regionID
        self.url = url
    }

    /// The region, whichever of the two fields the server filled.
    public var effectiveRegion: String? { regionID ?? region }
}

/// `GET /v3/auth/catalog` body.
public struct CatalogResponse: Codable, Sendable, Hashable {
    public var catalog: [CatalogEntry]
    public var links: CollectionLinks?
    public init(catalog: [CatalogEntry], links: CollectionLinks? = nil) {
        self.catalog = catalog
        self.links = links
    }
}

/// Keystone's collection links: `{"self": ..., "previous": null, "next": null}`.
public struct CollectionLinks: Codable, Sendable, Hashable {
    public var selfLink: String
    public var previous: String?
    public var next: String?

    enum CodingKeys: String, CodingKey {
        case selfLink = "self"
        case previous, next
    }

    public init(selfLink: String, previous: String? = nil, next: String? = nil) {
        self.selfLink = selfLink
        self.previous = previous
        self.next = next
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(selfLink, forKey: .selfLink)
        try c.encode(previous, forKey: .previous)
        try c.encode(next, forKey: .next)
    }
}

/// Keystone's per-entity links: `{"self": "..."}`.
public struct EntityLinks: Codable, Sendable, Hashable {
    public var selfLink: String
    enum CodingKeys: String, CodingKey { case selfLink = "self" }
    public init(selfLink: String) { self.selfLink = selfLink }
}
