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
