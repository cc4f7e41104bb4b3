import Foundation

/// A Nova flavor (`GET /flavors/{id}`, `/flavors/detail`).
public struct Flavor: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var ram: Int
    public var vcpus: Int
    public var disk: Int
    /// `OS-FLV-EXT-DATA:ephemeral`.
    public var ephemeral: Int?
    /// Nova sends "" for no swap, otherwise MiB as an integer.
    public var swap: JSONValue?
    public var rxtxFactor: Double?
    public var isPublic: Bool?
    public var disabled: Bool?
    /// 2.55+.
    public var description: String?
    /// 2.61+.
    public var extraSpecs: [String: String]?
    public var links: [Link]?

    enum CodingKeys: String, CodingKey {
        case id, name, ram, vcpus, disk, swap, links, description
        case ephemeral = "OS-FLV-EXT-DATA:ephemeral"
        case rxtxFactor = "rxtx_factor"
        case isPublic = "os-flavor-access:is_public"
        case disabled = "OS-FLV-DISABLED:disabled"
        case extraSpecs = "extra_specs"
    }

    public init(
        id: String, name: String, ram: Int, vcpus: Int, disk: Int, ephemeral: Int? = 0, swap: JSONValue? = "",
        rxtxFactor: Double? = 1.0, isPublic: Bool? = true, disabled: Bool? = false, description: String? = nil,
        extraSpecs: [String: String]? = nil, links: [Link]? = nil
    ) {
        self.id = id
        self.name = name
        self.ram = ram
        self.vcpus = vcpus
        self.disk = disk
        self.ephemeral = ephemeral
        self.swap = swap
        self.rxtxFactor = rxtxFactor
        self.isPublic = isPublic
        self.disabled = disabled
        self.description = description
        self.extraSpecs = extraSpecs
        self.links = links
    }
}

/// One `os-flavor-access` entry.
public struct FlavorAccess: Codable, Sendable, Hashable {
    public var flavorID: String
    public var tenantID: String
    enum CodingKeys: String, CodingKey {
        case flavorID = "flavor_id"
        case tenantID = "tenant_id"
    }
    public init(flavorID: String, tenantID: String) {
        self.flavorID = flavorID
        self.tenantID = tenantID
    }
}
