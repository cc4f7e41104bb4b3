import Foundation

/// Keystone's description of an API version (no microversion fields, unlike Nova's).
public struct IdentityVersion: Codable, Sendable, Hashable {
    public var id: String
    public var status: String
    public var updated: String
    public var links: [Link]
    public var mediaTypes: [MediaTypeEntry]

    enum CodingKeys: String, CodingKey {
        case id, status, updated, links
        case mediaTypes = "media-types"
    }

    public init(id: String, status: String, updated: String, links: [Link], mediaTypes: [MediaTypeEntry]) {
        self.id = id
        self.status = status
        self.updated = updated
        self.links = links
        self.mediaTypes = mediaTypes
    }

    /// The v3 document Keystone serves, pointing at `baseURL` + "/v3/".
    public static func v3(baseURL: String) -> IdentityVersion {
        IdentityVersion(
            id: "v3.14", status: "stable", updated: "2020-04-07T00:00:00Z",
            links: [Link(rel: "self", href: baseURL + "/v3/")],
            mediaTypes: [MediaTypeEntry(type: "application/vnd.openstack.identity-v3+json")])
    }
}

/// `GET /v3`: `{"version": {...}}`.
public struct IdentityVersionDocument: Codable, Sendable, Hashable {
    public var version: IdentityVersion
    public init(version: IdentityVersion) { self.version = version }
}

/// `GET /`: `{"versions": {"values": [...]}}` (answered with 300 Multiple Choices).
public struct IdentityVersionList: Codable, Sendable, Hashable {
    /// The `values` wrapper Keystone puts around the list.
    public struct Values: Codable, Sendable, Hashable {
        public var values: [IdentityVersion]
        public init(values: [IdentityVersion]) { self.values = values }
    }
    public var versions: Values
    public init(versions: [IdentityVersion]) { self.versions = Values(values: versions) }
}
