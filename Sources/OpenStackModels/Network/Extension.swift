import Foundation

/// A Neutron API extension as `GET /v2.0/extensions` lists it.
public struct NeutronExtension: Codable, Sendable, Hashable {
    public var alias: String
    public var name: String
    public var description: String
    public var updated: String
    public var links: [Link]
    public init(alias: String, name: String, description: String, updated: String, links: [Link] = []) {
        self.alias = alias
        self.name = name
        self.description = description
        self.updated = updated
        self.links = links
    }
}

/// `{"extensions": [...]}`.
public struct NeutronExtensionList: Codable, Sendable, Hashable {
    public var extensions: [NeutronExtension]
    public init(extensions: [NeutronExtension]) { self.extensions = extensions }
}

/// `{"extension": {...}}`.
public struct NeutronExtensionEnvelope: Codable, Sendable, Hashable {
    public var `extension`: NeutronExtension
    public init(extension: NeutronExtension) { self.extension = `extension` }
}
