import Foundation

/// An optional attribute that Neutron always sends, as `null` when unset (`"gateway_ip": null`).
///
/// Synthesized `Encodable` drops nil optionals; Neutron clients expect the key to be present, so
/// response models wrap such attributes. A missing key decodes as nil, so older servers still parse.
@propertyWrapper
public struct ExplicitNull<Value: Codable & Sendable & Hashable>: Codable, Sendable, Hashable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try container.decode(Value.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value = wrappedValue { try container.encode(value) } else { try container.encodeNil() }
    }
}

/// A request attribute where "absent" and "null" mean different things (`"gateway_ip": null` means
/// no gateway, a missing `gateway_ip` means "pick the first address").
public enum NullableField<Value: Codable & Sendable & Hashable>: Codable, Sendable, Hashable {
    case absent
    case null
    case value(Value)

    /// The value, nil when absent or null.
    public var value: Value? { if case .value(let v) = self { v } else { nil } }
    /// True when the key was present in the body (null or a value).
    public var isPresent: Bool { if case .absent = self { false } else { true } }

    public init(_ value: Value?) { self = value.map { .value($0) } ?? .null }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self = container.decodeNil() ? .null : .value(try container.decode(Value.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .value(let v): try container.encode(v)
        case .null, .absent: try container.encodeNil()
        }
    }
}

extension KeyedDecodingContainer {
    /// Missing keys decode as nil instead of failing.
    public func decode<V>(_ type: ExplicitNull<V>.Type, forKey key: Key) throws -> ExplicitNull<V> {
        try decodeIfPresent(type, forKey: key) ?? ExplicitNull(wrappedValue: nil)
    }

    /// Missing keys decode as `.absent`, `null` as `.null`.
    public func decode<V>(_ type: NullableField<V>.Type, forKey key: Key) throws -> NullableField<V> {
        guard contains(key) else { return .absent }
        if try decodeNil(forKey: key) { return .null }
        return .value(try decode(V.self, forKey: key))
    }
}

extension KeyedEncodingContainer {
    /// Absent fields are left out of the body; null ones are sent as `null`.
    public mutating func encode<V>(_ value: NullableField<V>, forKey key: Key) throws {
        switch value {
        case .absent: break
        case .null: try encodeNil(forKey: key)
        case .value(let v): try encode(v, forKey: key)
        }
    }
}

/// A `fixed_ips` entry of a port, or a requested one (either key may be missing in a request).
public struct FixedIP: Codable, Sendable, Hashable {
    public var subnetID: String?
    public var ipAddress: String?
    enum CodingKeys: String, CodingKey {
        case subnetID = "subnet_id"
        case ipAddress = "ip_address"
    }
    public init(subnetID: String? = nil, ipAddress: String? = nil) {
        self.subnetID = subnetID
        self.ipAddress = ipAddress
    }
}

/// A `{destination, nexthop}` pair, used by subnet `host_routes` and router `routes`.
public struct HostRoute: Codable, Sendable, Hashable {
    public var destination: String
    public var nexthop: String
    public init(destination: String, nexthop: String) {
        self.destination = destination
        self.nexthop = nexthop
    }
}

/// Neutron's UTC timestamp format for `created_at`/`updated_at` ("2016-03-08T20:19:41Z").
public enum NeutronTimestamp {
    /// Formats a date the way Neutron does (second precision, `Z`).
    public static func string(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (y, m, d) = civil(fromDays: days)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, Int(secondOfDay / 3600),
            Int(secondOfDay % 3600 / 60), Int(secondOfDay % 60))
    }

    /// Howard Hinnant's days-to-civil conversion; avoids DateFormatter on hot paths.
    static func civil(fromDays days: Int64) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(m <= 2 ? y + 1 : y), Int(m), Int(d))
    }
}
