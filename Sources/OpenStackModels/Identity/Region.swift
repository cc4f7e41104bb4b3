import Foundation

/// A Keystone region.
public struct Region: Codable, Sendable, Hashable {
    public var id: String
    public var description: String
    public var parentRegionID: String?
    public var links: EntityLinks?

    enum CodingKeys: String, CodingKey {
        case id, description, links
        case parentRegionID = "parent_region_id"
    }

    public init(id: String, description: String = "", parentRegionID: String? = nil, links: EntityLinks? = nil) {
        self.id = id
        self.description = description
        self.parentRegionID = parentRegionID
        self.links = links
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
        parentRegionID = try c.decodeIfPresent(String.self, forKey: .parentRegionID)
        links = try c.decodeIfPresent(EntityLinks.self, forKey: .links)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(description, forKey: .description)
        try c.encode(parentRegionID, forKey: .parentRegionID)
        try c.encodeIfPresent(links, forKey: .links)
    }
}

/// `{"region": {...}}`.
public struct RegionResponse: Codable, Sendable, Hashable {
    public var region: Region
    public init(region: Region) { self.region = region }
}

/// `{"regions": [...], "links": {...}}`.
public struct RegionList: Codable, Sendable, Hashable {
    public var regions: [Region]
    public var links: CollectionLinks?
    public init(regions: [Region], links: CollectionLinks? = nil) {
        self.regions = regions
        self.links = links
    }
}

/// `POST /v3/regions` body; `id` optional (Keystone generates one when absent).
public struct RegionCreateRequest: Codable, Sendable, Hashable {
    /// The new region's fields.
    public struct Body: Codable, Sendable, Hashable {
        public var id: String?
        public var description: String?
        public var parentRegionID: String?
        enum CodingKeys: String, CodingKey {
            case id, description
            case parentRegionID = "parent_region_id"
        }
        public init(id: String? = nil, description: String? = nil, parentRegionID: String? = nil) {
            self.id = id
            self.description = description
            self.parentRegionID = parentRegionID
        }
    }
    public var region: Body
    public init(region: Body) { self.region = region }
}
