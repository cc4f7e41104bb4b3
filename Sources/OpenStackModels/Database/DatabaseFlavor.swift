import Foundation

/// A flavor as Trove lists it (`GET /v1.0/{project_id}/flavors`): Nova's flavor plus `str_id`.
public struct DatabaseFlavor: Codable, Sendable, Hashable {
    public var id: String
    public var strID: String
    public var name: String
    public var ram: Int
    public var vcpus: Int
    public var disk: Int
    public var ephemeral: Int
    public var links: [Link]

    enum CodingKeys: String, CodingKey {
        case id, name, ram, vcpus, disk, ephemeral, links
        case strID = "str_id"
    }

    public init(id: String, name: String, ram: Int, vcpus: Int, disk: Int, ephemeral: Int = 0, links: [Link] = []) {
        self.id = id
        self.strID = id
        self.name = name
        self.ram = ram
        self.vcpus = vcpus
        self.disk = disk
        self.ephemeral = ephemeral
        self.links = links
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // Older Troves send an integer id and the real id in str_id.
        let strID = try c.decodeIfPresent(String.self, forKey: .strID)
        if let text = try? c.decode(String.self, forKey: .id) {
            id = text
        } else if let number = try? c.decode(Int.self, forKey: .id) {
            id = strID ?? String(number)
        } else {
            id = strID ?? ""
        }
        self.strID = strID ?? id
        name = try c.decode(String.self, forKey: .name)
        ram = try c.decodeIfPresent(Int.self, forKey: .ram) ?? 0
        vcpus = try c.decodeIfPresent(Int.self, forKey: .vcpus) ?? 0
        disk = try c.decodeIfPresent(Int.self, forKey: .disk) ?? 0
        ephemeral = try c.decodeIfPresent(Int.self, forKey: .ephemeral) ?? 0
        links = try c.decodeIfPresent([Link].self, forKey: .links) ?? []
    }
}

/// `{"flavors": [...]}`.
public struct DatabaseFlavorList: Codable, Sendable, Hashable {
    public var flavors: [DatabaseFlavor]
    public init(flavors: [DatabaseFlavor]) { self.flavors = flavors }
}

/// `{"flavor": {...}}`.
public struct DatabaseFlavorEnvelope: Codable, Sendable, Hashable {
    public var flavor: DatabaseFlavor
    public init(flavor: DatabaseFlavor) { self.flavor = flavor }
}
