import Foundation

/// An `allowed_address_pairs` entry; `mac_address` defaults to the port's own MAC.
public struct AllowedAddressPair: Codable, Sendable, Hashable {
    public var ipAddress: String
    public var macAddress: String?
    enum CodingKeys: String, CodingKey {
        case ipAddress = "ip_address"
        case macAddress = "mac_address"
    }
    public init(ipAddress: String, macAddress: String? = nil) {
        self.ipAddress = ipAddress
        self.macAddress = macAddress
    }
}

/// A Neutron port as `GET /v2.0/ports/{id}` returns it (core, binding, allowed-address-pairs,
/// port-security, security-group, standard-attr and tag attributes).
public struct NeutronPort: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var description: String
    public var networkID: String
    public var tenantID: String
    public var projectID: String
    public var adminStateUp: Bool
    public var status: String
    public var macAddress: String
    public var fixedIPs: [FixedIP]
    public var deviceID: String
    public var deviceOwner: String
    public var securityGroups: [String]
    public var allowedAddressPairs: [AllowedAddressPair]
    public var extraDHCPOpts: [JSONValue]
    @ExplicitNull public var portSecurityEnabled: Bool?
    public var bindingHostID: String
    public var bindingProfile: [String: JSONValue]
    public var bindingVifDetails: [String: JSONValue]
    public var bindingVifType: String
    public var bindingVnicType: String
    @ExplicitNull public var qosPolicyID: String?
    public var tags: [String]
    public var createdAt: String
    public var updatedAt: String
    public var revisionNumber: Int

    enum CodingKeys: String, CodingKey {
        case id, name, description, status, tags
        case networkID = "network_id"
        case tenantID = "tenant_id"
        case projectID = "project_id"
        case adminStateUp = "admin_state_up"
        case macAddress = "mac_address"
        case fixedIPs = "fixed_ips"
        case deviceID = "device_id"
        case deviceOwner = "device_owner"
        case securityGroups = "security_groups"
        case allowedAddressPairs = "allowed_address_pairs"
        case extraDHCPOpts = "extra_dhcp_opts"
        case portSecurityEnabled = "port_security_enabled"
        case bindingHostID = "binding:host_id"
        case bindingProfile = "binding:profile"
        case bindingVifDetails = "binding:vif_details"
        case bindingVifType = "binding:vif_type"
        case bindingVnicType = "binding:vnic_type"
        case qosPolicyID = "qos_policy_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case revisionNumber = "revision_number"
    }

    public init(
        id: String, name: String = "", description: String = "", networkID: String, projectID: String,
        adminStateUp: Bool = true, status: String = "DOWN", macAddress: String, fixedIPs: [FixedIP] = [],
        deviceID: String = "", deviceOwner: String = "", securityGroups: [String] = [],
        allowedAddressPairs: [AllowedAddressPair] = [], extraDHCPOpts: [JSONValue] = [],
        portSecurityEnabled: Bool? = true, bindingHostID: String = "", bindingProfile: [String: JSONValue] = [:],
        bindingVifDetails: [String: JSONValue] = [:], bindingVifType: String = "unbound",
        bindingVnicType: String = "normal", qosPolicyID: String? = nil, tags: [String] = [], createdAt: String,
        updatedAt: String, revisionNumber: Int = 1
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.networkID = networkID
        self.tenantID = projectID
        self.projectID = projectID
        self.adminStateUp = adminStateUp
        self.status = status
        self.macAddress = macAddress
        self.fixedIPs = fixedIPs
        self.deviceID = deviceID
        self.deviceOwner = deviceOwner
        self.securityGroups = securityGroups
        self.allowedAddressPairs = allowedAddressPairs
        self.extraDHCPOpts = extraDHCPOpts
        self.portSecurityEnabled = portSecurityEnabled
        self.bindingHostID = bindingHostID
        self.bindingProfile = bindingProfile
        self.bindingVifDetails = bindingVifDetails
        self.bindingVifType = bindingVifType
        self.bindingVnicType = bindingVnicType
        self.qosPolicyID = qosPolicyID
        self.tags = tags
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.revisionNumber = revisionNumber
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
        networkID = try c.decode(String.self, forKey: .networkID)
        let tenant = try c.decodeIfPresent(String.self, forKey: .tenantID)
        let project = try c.decodeIfPresent(String.self, forKey: .projectID)
        tenantID = tenant ?? project ?? ""
        projectID = project ?? tenant ?? ""
        adminStateUp = try c.decodeIfPresent(Bool.self, forKey: .adminStateUp) ?? true
        status = try c.decodeIfPresent(String.self, forKey: .status) ?? "DOWN"
        macAddress = try c.decodeIfPresent(String.self, forKey: .macAddress) ?? ""
        fixedIPs = try c.decodeIfPresent([FixedIP].self, forKey: .fixedIPs) ?? []
        deviceID = try c.decodeIfPresent(String.self, forKey: .deviceID) ?? ""
        deviceOwner = try c.decodeIfPresent(String.self, forKey: .deviceOwner) ?? ""
        securityGroups = try c.decodeIfPresent([String].self, forKey: .securityGroups) ?? []
        allowedAddressPairs = try c.decodeIfPresent([AllowedAddressPair].self, forKey: .allowedAddressPairs) ?? []
        extraDHCPOpts = try c.decodeIfPresent([JSONValue].self, forKey: .extraDHCPOpts) ?? []
        _portSecurityEnabled = try c.decode(ExplicitNull<Bool>.self, forKey: .portSecurityEnabled)
        bindingHostID = try c.decodeIfPresent(String.self, forKey: .bindingHostID) ?? ""
        bindingProfile = try c.decodeIfPresent([String: JSONValue].self, forKey: .bindingProfile) ?? [:]
        bindingVifDetails = try c.decodeIfPresent([String: JSONValue].self, forKey: .bindingVifDetails) ?? [:]
        bindingVifType = try c.decodeIfPresent(String.self, forKey: .bindingVifType) ?? "unbound"
        bindingVnicType = try c.decodeIfPresent(String.self, forKey: .bindingVnicType) ?? "normal"
        _qosPolicyID = try c.decode(ExplicitNull<String>.self, forKey: .qosPolicyID)
        tags = try c.decodeIfPresent([String].self, forKey: .tags) ?? []
        createdAt = try c.decodeIfPresent(String.self, forKey: .createdAt) ?? ""
        updatedAt = try c.decodeIfPresent(String.self, forKey: .updatedAt) ?? ""
        revisionNumber = try c.decodeIfPresent(Int.self, forKey: .revisionNumber) ?? 0
    }
}

/// The body of `POST /v2.0/ports`; nil fields are left out.
public struct PortCreate: Codable, Sendable, Hashable {
    public var networkID: String?
    public var name: String?
    public var description: String?
    public var projectID: String?
    public var tenantID: String?
    public var adminStateUp: Bool?
    public var macAddress: String?
    public var fixedIPs: [FixedIP]?
    public var deviceID: String?
    public var deviceOwner: String?
    public var securityGroups: [String]?
    public var allowedAddressPairs: [AllowedAddressPair]?
    public var extraDHCPOpts: [JSONValue]?
    public var portSecurityEnabled: Bool?
    public var bindingHostID: String?
    public var bindingProfile: [String: JSONValue]?
    public var bindingVnicType: String?
    public var qosPolicyID: String?
    public var tags: [String]?

    enum CodingKeys: String, CodingKey {
        case name, description, tags
        case networkID = "network_id"
        case projectID = "project_id"
        case tenantID = "tenant_id"
        case adminStateUp = "admin_state_up"
        case macAddress = "mac_address"
        case fixedIPs = "fixed_ips"
        case deviceID = "device_id"
        case deviceOwner = "device_owner"
        case securityGroups = "security_groups"
        case allowedAddressPairs = "allowed_address_pairs"
        case extraDHCPOpts = "extra_dhcp_opts"
        case portSecurityEnabled = "port_security_enabled"
        case bindingHostID = "binding:host_id"
        case bindingProfile = "binding:profile"
        case bindingVnicType = "binding:vnic_type"
        case qosPolicyID = "qos_policy_id"
    }

    /// Attribute names this body may carry.
    public static let attributeNames: Set<String> = Set(
        [CodingKeys.name, .description, .tags, .networkID, .projectID, .tenantID, .adminStateUp, .macAddress,
         .fixedIPs, .deviceID, .deviceOwner, .securityGroups, .allowedAddressPairs, .extraDHCPOpts,
         .portSecurityEnabled, .bindingHostID, .bindingProfile, .bindingVnicType, .qosPolicyID].map(\.rawValue))

    public init(
        networkID: String, name: String? = nil, description: String? = nil, projectID: String? = nil,
        adminStateUp: Bool? = nil, macAddress: String? = nil, fixedIPs: [FixedIP]? = nil, deviceID: String? = nil,
        deviceOwner: String? = nil, securityGroups: [String]? = nil,
        allowedAddressPairs: [AllowedAddressPair]? = nil, portSecurityEnabled: Bool? = nil,
        bindingHostID: String? = nil, bindingProfile: [String: JSONValue]? = nil, bindingVnicType: String? = nil,
        tags: [String]? = nil
    ) {
        self.networkID = networkID
        self.name = name
        self.description = description
        self.projectID = projectID
        self.adminStateUp = adminStateUp
        self.macAddress = macAddress
        self.fixedIPs = fixedIPs
        self.deviceID = deviceID
        self.deviceOwner = deviceOwner
        self.securityGroups = securityGroups
        self.allowedAddressPairs = allowedAddressPairs
        self.portSecurityEnabled = portSecurityEnabled
        self.bindingHostID = bindingHostID
        self.bindingProfile = bindingProfile
        self.bindingVnicType = bindingVnicType
        self.tags = tags
    }
}

/// The body of `PUT /v2.0/ports/{id}`; nil fields are left unchanged.
public struct PortUpdate: Codable, Sendable, Hashable {
    public var name: String?
    public var description: String?
    public var adminStateUp: Bool?
    public var macAddress: String?
    public var fixedIPs: [FixedIP]?
    public var deviceID: String?
    public var deviceOwner: String?
    public var securityGroups: [String]?
    public var allowedAddressPairs: [AllowedAddressPair]?
    public var extraDHCPOpts: [JSONValue]?
    public var portSecurityEnabled: Bool?
    public var bindingHostID: String?
    public var bindingProfile: [String: JSONValue]?
    public var bindingVnicType: String?
    public var qosPolicyID: NullableField<String>

    enum CodingKeys: String, CodingKey {
        case name, description
        case adminStateUp = "admin_state_up"
        case macAddress = "mac_address"
        case fixedIPs = "fixed_ips"
        case deviceID = "device_id"
        case deviceOwner = "device_owner"
        case securityGroups = "security_groups"
        case allowedAddressPairs = "allowed_address_pairs"
        case extraDHCPOpts = "extra_dhcp_opts"
        case portSecurityEnabled = "port_security_enabled"
        case bindingHostID = "binding:host_id"
        case bindingProfile = "binding:profile"
        case bindingVnicType = "binding:vnic_type"
        case qosPolicyID = "qos_policy_id"
    }

    /// Attribute names an update may carry.
    public static let attributeNames: Set<String> = Set(
        [CodingKeys.name, .description, .adminStateUp, .macAddress, .fixedIPs, .deviceID, .deviceOwner,
         .securityGroups, .allowedAddressPairs, .extraDHCPOpts, .portSecurityEnabled, .bindingHostID,
         .bindingProfile, .bindingVnicType, .qosPolicyID].map(\.rawValue))

    public init(
        name: String? = nil, description: String? = nil, adminStateUp: Bool? = nil, fixedIPs: [FixedIP]? = nil,
        deviceID: String? = nil, deviceOwner: String? = nil, securityGroups: [String]? = nil,
        allowedAddressPairs: [AllowedAddressPair]? = nil, portSecurityEnabled: Bool? = nil,
        bindingHostID: String? = nil, bindingProfile: [String: JSONValue]? = nil
    ) {
        self.name = name
        self.description = description
        self.adminStateUp = adminStateUp
        self.fixedIPs = fixedIPs
        self.deviceID = deviceID
        self.deviceOwner = deviceOwner
        self.securityGroups = securityGroups
        self.allowedAddressPairs = allowedAddressPairs
        self.portSecurityEnabled = portSecurityEnabled
        self.bindingHostID = bindingHostID
        self.bindingProfile = bindingProfile
        self.qosPolicyID = .absent
    }
}

extension PortUpdate {
    /// Neutron reads `binding:profile: null` as `{}` (convert_none_to_empty_dict): the profile is cleared.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            name: try c.decodeIfPresent(String.self, forKey: .name),
            description: try c.decodeIfPresent(String.self, forKey: .description),
            adminStateUp: try c.decodeIfPresent(Bool.self, forKey: .adminStateUp),
            fixedIPs: try c.decodeIfPresent([FixedIP].self, forKey: .fixedIPs),
            deviceID: try c.decodeIfPresent(String.self, forKey: .deviceID),
            deviceOwner: try c.decodeIfPresent(String.self, forKey: .deviceOwner),
            securityGroups: try c.decodeIfPresent([String].self, forKey: .securityGroups),
            allowedAddressPairs: try c.decodeIfPresent([AllowedAddressPair].self, forKey: .allowedAddressPairs),
            portSecurityEnabled: try c.decodeIfPresent(Bool.self, forKey: .portSecurityEnabled),
            bindingHostID: try c.decodeIfPresent(String.self, forKey: .bindingHostID))
        macAddress = try c.decodeIfPresent(String.self, forKey: .macAddress)
        extraDHCPOpts = try c.decodeIfPresent([JSONValue].self, forKey: .extraDHCPOpts)
        if c.contains(.bindingProfile) {
            bindingProfile = try c.decodeNil(forKey: .bindingProfile) ? [:] : try c.decode([String: JSONValue].self, forKey: .bindingProfile)
        }
        bindingVnicType = try c.decodeIfPresent(String.self, forKey: .bindingVnicType)
        qosPolicyID = try c.decode(NullableField<String>.self, forKey: .qosPolicyID)
    }
}

/// `{"port": {...}}`, the envelope of single-port requests and responses.
public struct PortEnvelope<Body: Codable & Sendable & Hashable>: Codable, Sendable, Hashable {
    public var port: Body
    public init(port: Body) { self.port = port }
}

/// `{"ports": [...], "ports_links": [...]}`, a page of ports.
public struct PortList: Codable, Sendable, Hashable {
    public var ports: [NeutronPort]
    public var portsLinks: [Link]?
    enum CodingKeys: String, CodingKey {
        case ports
        case portsLinks = "ports_links"
    }
    public init(ports: [NeutronPort], portsLinks: [Link]? = nil) {
        self.ports = ports
        self.portsLinks = portsLinks
    }
}
