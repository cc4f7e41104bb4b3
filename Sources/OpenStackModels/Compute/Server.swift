import Foundation

/// A Nova server as shown by `GET /servers/{id}` and `/servers/detail`, kept whole (every microversion's fields).
public struct Server: JSONObjectBacked {
    public var object: [String: JSONValue]
    public init(object: [String: JSONValue]) { self.object = object }

    public var id: String { string("id") ?? "" }
    public var name: String? { string("name") }
    /// ACTIVE, BUILD, SHUTOFF, PAUSED, SUSPENDED, VERIFY_RESIZE, SHELVED_OFFLOADED, ERROR, DELETED...
    public var status: String? { string("status") }
    public var tenantID: String? { string("tenant_id") }
    public var userID: String? { string("user_id") }
    public var availabilityZone: String? { string("OS-EXT-AZ:availability_zone") }
    public var vmState: String? { string("OS-EXT-STS:vm_state") }
    public var taskState: String? { string("OS-EXT-STS:task_state") }
    public var powerState: Int? { int("OS-EXT-STS:power_state") }
    public var created: String? { string("created") }
    public var updated: String? { string("updated") }
    public var keyName: String? { string("key_name") }
    public var metadata: [String: String]? { stringMap("metadata") }
    public var tags: [String]? { stringArray("tags") }
    public var locked: Bool? { bool("locked") }
    /// Image id; Nova sends "" for volume-backed servers.
    public var imageID: String? { object["image"]?["id"]?.stringValue }
    /// Flavor id (before 2.47) or original name (2.47+, inside the embedded flavor).
    public var flavorID: String? { object["flavor"]?["id"]?.stringValue }
    /// Network name -> addresses.
    public var addresses: [String: [ServerAddress]]? { typed("addresses", as: [String: [ServerAddress]].self) }
    public var links: [Link]? { typed("links", as: [Link].self) }
}

/// One address of a server (`addresses.<network>[]`).
public struct ServerAddress: Codable, Sendable, Hashable {
    public var addr: String
    public var version: Int
    public var type: String?
    public var macAddr: String?
    enum CodingKeys: String, CodingKey {
        case addr, version
        case type = "OS-EXT-IPS:type"
        case macAddr = "OS-EXT-IPS-MAC:mac_addr"
    }
    public init(addr: String, version: Int, type: String? = nil, macAddr: String? = nil) {
        self.addr = addr
        self.version = version
        self.type = type
        self.macAddr = macAddr
    }
}

/// `POST /servers` body's `server` object, kept whole so the gateway forwards every field
/// (key_name, user_data, metadata, block_device_mapping_v2, networks, scheduler hints...).
public struct ServerCreate: JSONObjectBacked {
    public var object: [String: JSONValue]
    public init(object: [String: JSONValue]) { self.object = object }

    public init(name: String, imageRef: String?, flavorRef: String) {
        object = ["name": .string(name), "flavorRef": .string(flavorRef)]
        if let imageRef { object["imageRef"] = .string(imageRef) }
    }

    public var name: String? {
        get { string("name") }
        set { set("name", newValue) }
    }
    public var imageRef: String? {
        get { string("imageRef") }
        set { set("imageRef", newValue) }
    }
    public var flavorRef: String? {
        get { string("flavorRef") }
        set { set("flavorRef", newValue) }
    }
    public var availabilityZone: String? {
        get { string("availability_zone") }
        set { set("availability_zone", newValue) }
    }
    public var keyName: String? {
        get { string("key_name") }
        set { set("key_name", newValue) }
    }
    public var userData: String? {
        get { string("user_data") }
        set { set("user_data", newValue) }
    }
    public var metadata: [String: String]? {
        get { stringMap("metadata") }
        set { set("metadata", newValue) }
    }
    public var tags: [String]? {
        get { stringArray("tags") }
        set { set("tags", newValue.map { .array($0.map { .string($0) }) }) }
    }
    /// `networks`: "auto", "none" or a list of `{uuid|port|fixed_ip|tag}`; kept as JSON.
    public var networks: JSONValue? {
        get { object["networks"] }
        set { set("networks", newValue) }
    }
    /// `security_groups`: `[{"name": ...}]`.
    public var securityGroupNames: [String]? {
        get { object["security_groups"]?.arrayValue?.compactMap { $0["name"]?.stringValue } }
        set { set("security_groups", newValue.map { .array($0.map { ["name": .string($0)] }) }) }
    }
    public var blockDeviceMappingV2: [JSONValue]? {
        get { object["block_device_mapping_v2"]?.arrayValue }
        set { set("block_device_mapping_v2", newValue.map(JSONValue.array)) }
    }
    public var minCount: Int? { int("min_count") }
    public var maxCount: Int? { int("max_count") }
    /// `imageRef` as Nova takes it (an id, a URL or a number), as text.
    public var imageReference: String? { Self.reference(object["imageRef"]) }
    /// `flavorRef` as Nova takes it (an id, a URL or a number), as text.
    public var flavorReference: String? { Self.reference(object["flavorRef"]) }
    /// `return_reservation_id`, given as a boolean or as the string "true".
    public var returnReservationID: Bool {
        get { bool("return_reservation_id") == true || string("return_reservation_id")?.lowercased() == "true" }
        set { set("return_reservation_id", newValue) }
    }
    public var adminPass: String? {
        get { string("adminPass") }
        set { set("adminPass", newValue) }
    }

    /// A reference member (`imageRef`, `flavorRef`) as text: Nova accepts strings and numbers.
    public static func reference(_ value: JSONValue?) -> String? {
        value?.stringValue ?? value?.intValue.map(String.init)
    }
}

/// `GET /servers` and `/servers/detail` answers: `servers` plus an optional `servers_links` next link.
public struct ServerList: Codable, Sendable, Hashable {
    public var servers: [Server]
    public var serversLinks: [Link]?
    enum CodingKeys: String, CodingKey {
        case servers
        case serversLinks = "servers_links"
    }
    public init(servers: [Server], serversLinks: [Link]? = nil) {
        self.servers = servers
        self.serversLinks = serversLinks
    }
    /// Marker for the next page, if there is one.
    public var nextMarker: String? { Link.next(in: serversLinks).flatMap { paginationMarker(fromNextHref: $0.href) } }
}
