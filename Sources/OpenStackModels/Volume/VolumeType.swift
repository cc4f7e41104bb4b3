import Foundation

/// A Cinder volume type.
public struct VolumeType: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var description: String?
    public var isPublic: Bool?
    public var extraSpecs: [String: String]?
    public var qosSpecsID: String?

    enum CodingKeys: String, CodingKey {
        case id, name, description
        case isPublic = "is_public"
        case extraSpecs = "extra_specs"
        case qosSpecsID = "qos_specs_id"
    }

    public init(id: String, name: String, description: String? = nil, isPublic: Bool? = true,
                extraSpecs: [String: String]? = [:], qosSpecsID: String? = nil) {
        self.id = id
        self.name = name
        self.description = description
        self.isPublic = isPublic
        self.extraSpecs = extraSpecs
        self.qosSpecsID = qosSpecsID
    }
}

/// `{"volume_type": {...}}`.
public struct VolumeTypeEnvelope: Codable, Sendable, Hashable {
    public var volumeType: VolumeType
    enum CodingKeys: String, CodingKey { case volumeType = "volume_type" }
    public init(volumeType: VolumeType) { self.volumeType = volumeType }
}

/// `{"volume_types": [...]}`.
public struct VolumeTypeList: Codable, Sendable, Hashable {
    public var volumeTypes: [VolumeType]
    enum CodingKeys: String, CodingKey { case volumeTypes = "volume_types" }
    public init(volumeTypes: [VolumeType]) { self.volumeTypes = volumeTypes }
}

/// `POST /types` body (admin).
public struct VolumeTypeCreateRequest: Codable, Sendable, Hashable {
    /// Name, description, visibility and extra specs of the new type.
    public struct Create: Codable, Sendable, Hashable {
        public var name: String
        public var description: String?
        public var isPublic: Bool?
        public var extraSpecs: [String: String]?
        enum CodingKeys: String, CodingKey {
            case name, description
            case isPublic = "os-volume-type-access:is_public"
            case extraSpecs = "extra_specs"
        }
        public init(name: String, description: String? = nil) {
            self.name = name
            self.description = description
        }
    }
    public var volumeType: Create
    enum CodingKeys: String, CodingKey { case volumeType = "volume_type" }
    public init(volumeType: Create) { self.volumeType = volumeType }
}
