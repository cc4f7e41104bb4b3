import Foundation

/// A Keystone endpoint (`/v3/endpoints`).
public struct Endpoint: Codable, Sendable, Hashable {
    public var id: String
    public var interface: String
    public var region: String?
    public var regionID: String?
    public var serviceID: String
    public var url: String
    public var enabled: Bool
    public var links: EntityLinks?

    enum CodingKeys: String, CodingKey {
        case id, interface, region, url, enabled, links
        case regionID = "region_id"
        case serviceID = "service_id"
    }

    public init(
        id: String, interface: String, regionID: String?, serviceID: String, url: String, enabled: Bool = true,
        links: EntityLinks? = nil
    ) {
        self.id = id
        self.interface = interface
        self.region = regionID
        self.regionID = regionID
        self.serviceID = serviceID
        self.url = url
        self.enabled = enabled
        self.links = links
    }
}

/// `{"endpoint": {...}}`.
public struct EndpointResponse: Codable, Sendable, Hashable {
    public var endpoint: Endpoint
    public init(endpoint: Endpoint) { self.endpoint = endpoint }
}

/// `{"endpoints": [...], "links": {...}}`.
public struct EndpointList: Codable, Sendable, Hashable {
    public var endpoints: [Endpoint]
    public var links: CollectionLinks?
    public init(endpoints: [Endpoint], links: CollectionLinks? = nil) {
        self.endpoints = endpoints
        self.links = links
    }
}

/// `POST /v3/endpoints` body (the openstack CLI sends both `region` and `region_id`).
public struct EndpointCreateRequest: Codable, Sendable, Hashable {
    /// The new endpoint's fields.
    public struct Body: Codable, Sendable, Hashable {
        public var interface: String
        public var serviceID: String
        public var url: String
        public var region: String?
        public var regionID: String?
        public var enabled: Bool?
        enum CodingKeys: String, CodingKey {
            case interface, url, region, enabled
            case serviceID = "service_id"
            case regionID = "region_id"
        }
        public init(
            interface: String, serviceID: String, url: String, regionID: String?, enabled: Bool? = nil
        ) {
            self.interface = interface
            self.serviceID = serviceID
            self.url = url
            self.regionID = regionID
            self.enabled = enabled
        }
    }
    public var endpoint: Body
    public init(endpoint: Body) { self.endpoint = endpoint }
}
