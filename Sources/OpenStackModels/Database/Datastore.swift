import Foundation

/// A datastore version as listed inside a datastore (`{"id", "name", "links"}`) or shown on its own.
public struct DatastoreVersion: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var links: [Link]
    /// The parent datastore's id (only on `/versions` answers).
    public var datastore: String?
    /// 1 when active (only on `/versions` answers).
    public var active: Int?
    public var image: String?
    public var packages: String?
    public var version: String?

    public init(
        id: String, name: String, links: [Link] = [], datastore: String? = nil, active: Int? = nil,
        image: String? = nil, packages: String? = nil, version: String? = nil
    ) {
        self.id = id
        self.name = name
        self.links = links
        self.datastore = datastore
        self.active = active
        self.image = image
        self.packages = packages
        self.version = version
    }
}

/// A Trove datastore (`GET /v1.0/{project_id}/datastores/{id}`).
public struct Datastore: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var links: [Link]
    public var defaultVersion: String?
    public var versions: [DatastoreVersion]

    enum CodingKeys: String, CodingKey {
        case id, name, links, versions
        case defaultVersion = "default_version"
    }

    public init(id: String, name: String, links: [Link] = [], defaultVersion: String? = nil, versions: [DatastoreVersion]) {
        self.id = id
        self.name = name
        self.links = links
        self.defaultVersion = defaultVersion
        self.versions = versions
    }
}

/// `{"datastores": [...]}`.
public struct DatastoreList: Codable, Sendable, Hashable {
    public var datastores: [Datastore]
    public init(datastores: [Datastore]) { self.datastores = datastores }
}

/// `{"datastore": {...}}`.
public struct DatastoreEnvelope: Codable, Sendable, Hashable {
    public var datastore: Datastore
    public init(datastore: Datastore) { self.datastore = datastore }
}

/// `{"versions": [...]}` under a datastore.
public struct DatastoreVersionList: Codable, Sendable, Hashable {
    public var versions: [DatastoreVersion]
    public init(versions: [DatastoreVersion]) { self.versions = versions }
}

/// `{"version": {...}}` under a datastore.
public struct DatastoreVersionEnvelope: Codable, Sendable, Hashable {
    public var version: DatastoreVersion
    public init(version: DatastoreVersion) { self.version = version }
}
