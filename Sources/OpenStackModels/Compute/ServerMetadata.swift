import Foundation

/// `{"metadata": {...}}` of `/servers/{id}/metadata` (also the body of PUT/POST there).
public struct ServerMetadata: Codable, Sendable, Hashable {
    public var metadata: [String: String]
    public init(metadata: [String: String]) { self.metadata = metadata }
}

/// `{"tags": [...]}` of `/servers/{id}/tags` (2.26+).
public struct ServerTags: Codable, Sendable, Hashable {
    public var tags: [String]
    public init(tags: [String]) { self.tags = tags }
}

/// A port interface of a server (`/servers/{id}/os-interface`).
public struct InterfaceAttachment: Codable, Sendable, Hashable {
    /// One fixed IP of the port.
    public struct FixedIP: Codable, Sendable, Hashable {
        public var subnetID: String
        public var ipAddress: String
        enum CodingKeys: String, CodingKey {
            case subnetID = "subnet_id"
            case ipAddress = "ip_address"
        }
        public init(subnetID: String, ipAddress: String) {
            self.subnetID = subnetID
            self.ipAddress = ipAddress
        }
    }
    public var portID: String
    public var netID: String
    public var macAddr: String
    public var portState: String
    public var fixedIPs: [FixedIP]
    public var tag: String?
    enum CodingKeys: String, CodingKey {
        case tag
        case portID = "port_id"
        case netID = "net_id"
        case macAddr = "mac_addr"
        case portState = "port_state"
        case fixedIPs = "fixed_ips"
    }
    public init(portID: String, netID: String, macAddr: String, portState: String = "ACTIVE", fixedIPs: [FixedIP]) {
        self.portID = portID
        self.netID = netID
        self.macAddr = macAddr
        self.portState = portState
        self.fixedIPs = fixedIPs
    }
}
