import Foundation

/// A link object as OpenStack APIs embed them: `{"rel": "self", "href": "..."}`.
public struct Link: Codable, Sendable, Hashable {
    public var rel: String
    public var href: String
    /// Media type, present in version documents.
    public var type: String?
    public init(rel: String, href: String, type: String? = nil) {
        self.rel = rel
        self.href = href
        self.type = type
    }
}

/// A media type entry of a version document.
public struct MediaTypeEntry: Codable, Sendable, Hashable {
    public var base: String
    public var type: String
    public init(base: String = "application/json", type: String) {
        self.base = base
        self.type = type
    }
}

/// One API version as Nova/Cinder describe it (`GET /`, `GET /v2.1`).
public struct APIVersion: Codable, Sendable, Hashable {
    public var id: String
    public var status: String
    /// Maximum microversion ("" when the version has none).
    public var version: String
    /// Minimum microversion ("" when the version has none).
    public var minVersion: String
    public var updated: String
    public var links: [Link]
    public var mediaTypes: [MediaTypeEntry]?

    enum CodingKeys: String, CodingKey {
        case id, status, version, updated, links
        case minVersion = "min_version"
        case mediaTypes = "media-types"
    }

    public init(
        id: String, status: String, version: String, minVersion: String, updated: String, links: [Link],
        mediaTypes: [MediaTypeEntry]? = nil
    ) {
        self.id = id
        self.status = status
        self.version = version
        self.minVersion = minVersion
        self.updated = updated
        self.links = links
        self.mediaTypes = mediaTypes
    }
}

/// `{"versions": [...]}` as answered at a service's root.
public struct APIVersionList: Codable, Sendable, Hashable {
    public var versions: [APIVersion]
    public init(versions: [APIVersion]) { self.versions = versions }
}

/// `{"version": {...}}` as answered at a version's root.
public struct APIVersionDocument: Codable, Sendable, Hashable {
    public var version: APIVersion
    public init(version: APIVersion) { self.version = version }
}

/// A microversion "X.Y", comparable.
public struct Microversion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public init(_ major: Int, _ minor: Int) {
        self.major = major
        self.minor = minor
    }
    /// Parses "2.53"; nil when malformed.
    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ".")
        guard parts.count == 2, let major = Int(parts[0]), let minor = Int(parts[1]), major >= 0, minor >= 0
        else { return nil }
        self.init(major, minor)
    }
    public var description: String { "\(major).\(minor)" }
    public static func < (lhs: Microversion, rhs: Microversion) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }
}

extension Link {
    /// The `next` link of a `*_links` array, if any.
    public static func next(in links: [Link]?) -> Link? { links?.first { $0.rel == "next" } }
}

/// Reads the `marker` query parameter out of a next link's href (Nova/Cinder/Neutron pagination).
public func paginationMarker(fromNextHref href: String) -> String? {
    URLComponents(string: href)?.queryItems?.first { $0.name == "marker" }?.value
}
