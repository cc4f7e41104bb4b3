import Foundation

/// One entry of `GET /os-availability-zone`.
public struct AvailabilityZoneInfo: Codable, Sendable, Hashable {
    /// `{"available": true}`.
    public struct State: Codable, Sendable, Hashable {
        public var available: Bool
        public init(available: Bool) { self.available = available }
    }
    public var zoneName: String
    public var zoneState: State
    /// Null in the non-detailed list; host -> service -> status in `/detail`.
    public var hosts: JSONValue?
    enum CodingKeys: String, CodingKey {
        case zoneName
        case zoneState
        case hosts
    }
    public init(zoneName: String, available: Bool = true, hosts: JSONValue? = .null) {
        self.zoneName = zoneName
        self.zoneState = State(available: available)
        self.hosts = hosts
    }
}
