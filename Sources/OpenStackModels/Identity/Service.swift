import Foundation

/// A Keystone service (catalog entry type + name).
public struct Service: Codable, Sendable, Hashable {
    public var id: String
    public var type: String
    public var name: String?
    public var description: String?
    public var enabled: Bool
    public var links: EntityLinks?

    public init(
        id: String, type: String, name: String?, description: String? = nil, enabled: Bool = true,
        links: EntityLinks? = nil
    ) {
        self.id = id
        self.type = type
        self.name = name
        self.description = description
        self.enabled = enabled
        self.links = links
    }
}

/// `{"service": {...}}`.
public struct ServiceResponse: Codable, Sendable, Hashable {
    public var service: Service
    public init(service: Service) { self.service = service }
}

/// `{"services": [...], "links": {...}}`.
public struct ServiceList: Codable, Sendable, Hashable {
    public var services: [Service]
    public var links: CollectionLinks?
    public init(services: [Service], links: CollectionLinks? = nil) {
        self.services = services
        self.links = links
    }
}

/// `POST /v3/services` body.
public struct ServiceCreateRequest: Codable, Sendable, Hashable {
    /// The new service's fields.
    public struct Body: Codable, Sendable, Hashable {
        public var type: String
        public var name: String?
        public var description: String?
        public var enabled: Bool?
        public init(type: String, name: String? = nil, description: String? = nil, enabled: Bool? = nil) {
            self.type = type
            self.name = name
            self.description = description
            self.enabled = enabled
        }
    }
    public var service: Body
    public init(service: Body) { self.service = service }
}
