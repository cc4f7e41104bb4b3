import Foundation

/// A payload kept as its full JSON object, with typed accessors for the fields code reads.
///
/// Used where lossless pass-through matters (server create, Glance images with free-form properties):
/// decoding then encoding gives back every field, including ones newer microversions add.
public protocol JSONObjectBacked: Codable, Sendable, Hashable {
    /// Every member of the object, known or not.
    var object: [String: JSONValue] { get set }
    init(object: [String: JSONValue])
}

extension JSONObjectBacked {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self.init(object: try container.decode([String: JSONValue].self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(object)
    }

    /// Reads a member as a string.
    public func string(_ key: String) -> String? { object[key]?.stringValue }
    /// Reads a member as an integer.
    public func int(_ key: String) -> Int? { object[key]?.intValue }
    /// Reads a member as a boolean.
    public func bool(_ key: String) -> Bool? { object[key]?.boolValue }
    /// Reads a member as an object of strings (metadata maps).
    public func stringMap(_ key: String) -> [String: String]? {
        object[key]?.objectValue?.compactMapValues { $0.stringValue }
    }
    /// Reads a member as an array of strings.
    public func stringArray(_ key: String) -> [String]? {
        object[key]?.arrayValue?.compactMap { $0.stringValue }
    }
    /// Decodes a member into a typed value; nil when absent or of another shape.
    public func typed<T: Decodable>(_ key: String, as type: T.Type) -> T? {
        guard let value = object[key] else { return nil }
        return try? value.decode(T.self)
    }

    /// Sets a member; nil removes it.
    public mutating func set(_ key: String, _ value: JSONValue?) {
        object[key] = value
    }
    /// Sets a string member; nil removes it.
    public mutating func set(_ key: String, _ value: String?) {
        object[key] = value.map { .string($0) }
    }
    /// Sets an integer member; nil removes it.
    public mutating func set(_ key: String, _ value: Int?) {
        object[key] = value.map { .number(Double($0)) }
    }
    /// Sets a boolean member; nil removes it.
    public mutating func set(_ key: String, _ value: Bool?) {
        object[key] = value.map { .bool($0) }
    }
    /// Sets a string map member; nil removes it.
    public mutating func set(_ key: String, _ value: [String: String]?) {
        object[key] = value.map { .object($0.mapValues { .string($0) }) }
    }
    /// Sets a typed member by encoding it; nil removes it.
    public mutating func setEncoded<T: Encodable>(_ key: String, _ value: T?) {
        object[key] = value.flatMap { try? JSONValue(encoding: $0) }
    }
}
