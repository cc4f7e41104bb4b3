import Foundation

/// A `PUT /v2.0/quotas/{project}` body read as Neutron 2026.1 reads it, shared by the top and the simulated
/// regions: the new limits (integers >= -1), and `check_limit` (the quota-check-limit extension, on by default
/// with quota-check-limit-default): a limit below what the project already uses is refused with OverQuota.
/// `openstack quota set` sends `check_limit`, so a server that does not know it refuses every quota change.
public struct NeutronQuotaUpdate: Sendable, Equatable {
    public var limits: [String: Int]
    public var checkLimit: Bool

    /// Reads the `quota` member (unknown keys already refused by the caller; `check_limit` is not a limit).
    public init(_ member: [String: JSONValue]) throws {
        var limits: [String: Int] = [:]
        var checkLimit = true
        for (key, value) in member {
            if key == "check_limit" {
                switch value {
                case .bool(let flag): checkLimit = flag
                case .string(let text) where ["true", "false"].contains(text.lowercased()): checkLimit = text.lowercased() == "true"
                default: throw NeutronError.invalidAttribute(key, reason: "'\(Self.text(value))' is not a valid boolean value")
                }
                continue
            }
            guard let limit = value.intValue ?? value.stringValue.flatMap({ Int($0) }) else {
                throw NeutronError.invalidAttribute(key, reason: "'\(Self.text(value))' is not an integer")
            }
            guard limit >= -1 else {
                throw NeutronError.invalidAttribute(key, reason: "'\(limit)' is too small - must be at least '-1'")
            }
            limits[key] = limit
        }
        self.limits = limits
        self.checkLimit = checkLimit
    }

    /// With `check_limit`, the resources whose new limit is below their usage, as Neutron's 409.
    public func refusal(usage: (String) -> Int) -> NeutronError? {
        guard checkLimit else { return nil }
        let overs = limits.filter { $0.value >= 0 && usage($0.key) > $0.value }.keys.sorted()
        guard !overs.isEmpty else { return nil }
        return NeutronError(
            status: 409, type: "OverQuota",
            message: "Quota exceeded for resources: [\(overs.map { "'\($0)'" }.joined(separator: ", "))].")
    }

    static func text(_ value: JSONValue) -> String {
        value.stringValue ?? String(decoding: value.encoded(), as: UTF8.self)
    }
}
