import Foundation

/// The body of `POST /v1.0/{project_id}/configurations` (`{"configuration": {...}}`), as trove 25.1.0's
/// `apischema.configuration["create"]` reads it, plus the top's `region_name` (which region's Trove keeps
/// the group). Unknown members are kept, so the region gets the body as sent.
public struct DatabaseConfigurationCreate: Codable, Sendable, Hashable {
    public var name: String?
    public var description: String?
    public var values: [String: JSONValue]?
    public var datastore: DatabaseConfigurationDatastore?
    /// The region whose Trove keeps the group (the top's; Trove itself ignores unknown members).
    public var regionName: String?

    enum CodingKeys: String, CodingKey {
        case name, description, values, datastore
        case regionName = "region_name"
    }

    public init(name: String?, description: String? = nil, values: [String: JSONValue]?, datastore: DatabaseConfigurationDatastore? = nil, regionName: String? = nil) {
        self.name = name
        self.description = description
        self.values = values
        self.datastore = datastore
        self.regionName = regionName
    }
}

/// `configuration.datastore` of a create: `type`, `version` (a name or id), `version_number`.
public struct DatabaseConfigurationDatastore: Codable, Sendable, Hashable {
    public var type: String?
    public var version: String?
    public var versionNumber: String?

    enum CodingKeys: String, CodingKey {
        case type, version
        case versionNumber = "version_number"
    }

    public init(type: String?, version: String?, versionNumber: String? = nil) {
        self.type = type
        self.version = version
        self.versionNumber = versionNumber
    }
}

/// The body of `PUT`/`PATCH /configurations/{id}`: every member optional (`update` replaces the values,
/// `edit` merges them).
public struct DatabaseConfigurationUpdate: Codable, Sendable, Hashable {
    public var name: String?
    public var description: String?
    public var values: [String: JSONValue]?

    public init(name: String? = nil, description: String? = nil, values: [String: JSONValue]? = nil) {
        self.name = name
        self.description = description
        self.values = values
    }
}

/// `{"configuration": {...}}`.
public struct DatabaseConfigurationEnvelope<Body: Codable & Sendable & Hashable>: Codable, Sendable, Hashable {
    public var configuration: Body
    public init(configuration: Body) { self.configuration = configuration }
}

/// An instance's `configuration` member: `{"id", "name", "links"}` (trove's `_build_configuration_info`).
public struct DatabaseConfigurationRef: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var links: [Link]
    public init(id: String, name: String, links: [Link] = []) {
        self.id = id
        self.name = name
        self.links = links
    }
}

/// One datastore version's configuration parameter (trove's `ConfigurationParameterView`): `min`/`max`
/// only when set and not zero, as Trove renders them.
public struct DatabaseConfigurationParameter: Codable, Sendable, Hashable {
    public var name: String
    public var datastoreVersionID: String
    public var restartRequired: Bool
    /// "integer", "float", "string" or "boolean".
    public var type: String
    public var min: Int?
    public var max: Int?

    enum CodingKeys: String, CodingKey {
        case name, type, min, max
        case datastoreVersionID = "datastore_version_id"
        case restartRequired = "restart_required"
    }

    public init(name: String, datastoreVersionID: String, restartRequired: Bool, type: String, min: Int? = nil, max: Int? = nil) {
        self.name = name
        self.datastoreVersionID = datastoreVersionID
        self.restartRequired = restartRequired
        self.type = type
        self.min = min
        self.max = max
    }
}

/// `{"configuration-parameters": [...]}`.
public struct DatabaseConfigurationParameterList: Codable, Sendable, Hashable {
    public var parameters: [DatabaseConfigurationParameter]
    enum CodingKeys: String, CodingKey { case parameters = "configuration-parameters" }
    public init(parameters: [DatabaseConfigurationParameter]) { self.parameters = parameters }
}

/// A Cinder volume type as Trove lists those a datastore version may use (trove's `VolumeTypeView`).
public struct DatabaseVolumeType: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var isPublic: Bool
    public var description: String?

    enum CodingKeys: String, CodingKey {
        case id, name, description
        case isPublic = "is_public"
    }

    public init(id: String, name: String, isPublic: Bool = true, description: String? = nil) {
        self.id = id
        self.name = name
        self.isPublic = isPublic
        self.description = description
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(isPublic, forKey: .isPublic)
        // Trove writes `"description": null` for a type without one.
        try c.encode(description, forKey: .description)
    }
}

/// `{"volume_types": [...]}`.
public struct DatabaseVolumeTypeList: Codable, Sendable, Hashable {
    public var volumeTypes: [DatabaseVolumeType]
    enum CodingKeys: String, CodingKey { case volumeTypes = "volume_types" }
    public init(volumeTypes: [DatabaseVolumeType]) { self.volumeTypes = volumeTypes }
}
