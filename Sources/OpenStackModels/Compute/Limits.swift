import Foundation

/// A Nova or Cinder quota set (`os-quota-sets/{project}`): resource name -> limit (-1 = unlimited), plus `id`.
public struct QuotaSet: Codable, Sendable, Hashable {
    public var id: String?
    /// instances, cores, ram, key_pairs, metadata_items, server_groups, ... / volumes, gigabytes, snapshots, ...
    public var limits: [String: Int]

    public init(id: String?, limits: [String: Int]) {
        self.id = id
        self.limits = limits
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let object = try container.decode([String: JSONValue].self)
        id = object["id"]?.stringValue
        limits = object.compactMapValues { $0.intValue }
    }

    public func encode(to encoder: any Encoder) throws {
        var object = limits.mapValues { JSONValue.number(Double($0)) }
        if let id { object["id"] = .string(id) }
        var container = encoder.singleValueContainer()
        try container.encode(object)
    }
}
