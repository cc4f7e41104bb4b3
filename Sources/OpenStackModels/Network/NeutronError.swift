import Foundation

/// A Neutron API fault: HTTP status plus the `NeutronError` body (`type` is the exception class name).
///
/// The factories reproduce neutron-lib's exception messages so clients that match on `type` (and
/// people who read `message`) see what a real Neutron would say.
public struct NeutronError: Error, Sendable, Hashable {
    public var status: Int
    public var type: String
    public var message: String
    public var detail: String

    public init(status: Int, type: String, message: String, detail: String = "") {
        self.status = status
        self.type = type
        self.message = message
        self.detail = detail
    }

    /// Parses a fault from a Neutron response.
    public init?(status: Int, body: Data) {
        guard let decoded = try? JSONDecoder().decode(NeutronErrorBody.self, from: body) else { return nil }
        self.init(
            status: status, type: decoded.neutronError.type, message: decoded.neutronError.message,
            detail: decoded.neutronError.detail)
    }

    /// The wire body.
    public var body: NeutronErrorBody { NeutronErrorBody(type: type, message: message, detail: detail) }
}

extension NeutronError {
    // MARK: 404
    public static func networkNotFound(_ id: String) -> Self {
        .init(status: 404, type: "NetworkNotFound", message: "Network \(id) could not be found.")
    }
    public static func subnetNotFound(_ id: String) -> Self {
        .init(status: 404, type: "SubnetNotFound", message: "Subnet \(id) could not be found.")
    }
    public static func portNotFound(_ id: String) -> Self {
        .init(status: 404, type: "PortNotFound", message: "Port \(id) could not be found.")
    }
    public static func routerNotFound(_ id: String) -> Self {
        .init(status: 404, type: "RouterNotFound", message: "Router \(id) could not be found.")
    }
    public static func securityGroupNotFound(_ id: String) -> Self {
        .init(status: 404, type: "SecurityGroupNotFound", message: "Security group \(id) does not exist")
    }
    public static func securityGroupRuleNotFound(_ id: String) -> Self {
        .init(status: 404, type: "SecurityGroupRuleNotFound", message: "Security group rule \(id) does not exist")
    }
    public static func floatingIPNotFound(_ id: String) -> Self {
        .init(status: 404, type: "FloatingIPNotFound", message: "Floating IP \(id) could not be found")
    }
    public static func extensionNotFound(_ alias: String) -> Self {
        .init(status: 404, type: "ExtensionNotFound", message: "Extension with alias \(alias) does not exist")
    }
    public static func routerInterfaceNotFoundForSubnet(router: String, subnet: String) -> Self {
        .init(status: 404, type: "RouterInterfaceNotFoundForSubnet",
              message: "Router \(router) has no interface on subnet \(subnet)")
    }
    public static func routerInterfaceNotFound(router: String, port: String) -> Self {
        .init(status: 404, type: "RouterInterfaceNotFound",
              message: "Router \(router) does not have an interface with id \(port)")
    }
    public static func externalGatewayForFloatingIPNotFound(network: String, subnet: String, port: String) -> Self {
        .init(status: 404, type: "ExternalGatewayForFloatingIPNotFound",
              message: "External network \(network) is not reachable from subnet \(subnet).  Therefore, cannot "
                + "associate Port \(port) with a Floating IP.")
    }
    /// Unknown URL (webob's plain 404).
    public static func resourceNotFound() -> Self {
        .init(status: 404, type: "HTTPNotFound", message: "The resource could not be found.")
    }

    // MARK: 409
    public static func ipAddressAlreadyAllocated(ip: String, subnet: String) -> Self {
        .init(status: 409, type: "IpAddressAlreadyAllocated",
              message: "IP address \(ip) already allocated in subnet \(subnet)")
    }
    public static func ipAddressGenerationFailure(network: String) -> Self {
        .init(status: 409, type: "IpAddressGenerationFailure",
              message: "No more IP addresses available on network \(network).")
    }
    public static func macAddressInUse(network: String, mac: String) -> Self {
        .init(status: 409, type: "MacAddressInUse",
              message: "Unable to complete operation for network \(network). The mac address \(mac) is in use.")
    }
    public static func networkInUse(_ id: String) -> Self {
        .init(status: 409, type: "NetworkInUse",
              message: "Unable to complete operation on network \(id). There are one or more ports still in use "
                + "on the network.")
    }
    public static func subnetInUse(_ id: String, reason: String = "One or more ports have an IP allocation from this subnet") -> Self {
        .init(status: 409, type: "SubnetInUse", message: "Unable to complete operation on subnet \(id): \(reason).")
    }
    public static func servicePortInUse(port: String, reason: String) -> Self {
        .init(status: 409, type: "ServicePortInUse",
              message: "Port \(port) cannot be deleted directly via the port API: \(reason).")
    }
    public static func routerInUse(_ id: String, reason: String = "still has ports") -> Self {
        .init(status: 409, type: "RouterInUse", message: "Router \(id) \(reason)")
    }
    public static func routerInterfaceInUseByRoute(router: String, subnet: String) -> Self {
        .init(status: 409, type: "RouterInterfaceInUseByRoute",
              message: "Router interface for subnet \(subnet) on router \(router) cannot be deleted, as it is "
                + "required by one or more routes.")
    }
    public static func securityGroupInUse(_ id: String) -> Self {
        .init(status: 409, type: "SecurityGroupInUse", message: "Security Group \(id) in use.")
    }
    public static func securityGroupCannotRemoveDefault() -> Self {
        .init(status: 409, type: "SecurityGroupCannotRemoveDefault",
              message: "Insufficient rights for removing default security group.")
    }
    public static func securityGroupRuleExists(_ id: String) -> Self {
        .init(status: 409, type: "SecurityGroupRuleExists",
              message: "Security group rule already exists. Rule id is \(id).")
    }
    public static func floatingIPPortAlreadyAssociated(fip: String, fixedIP: String, port: String, floatingIP: String, net: String) -> Self {
        .init(status: 409, type: "FloatingIPPortAlreadyAssociated",
              message: "Cannot associate floating IP \(floatingIP) (\(fip)) with port \(port) using fixed IP "
                + "\(fixedIP), as that fixed IP already has a floating IP on external network \(net).")
    }
    public static func tunnelIDInUse(_ id: Int) -> Self {
        .init(status: 409, type: "TunnelIdInUse", message: "Unable to create the network. The tunnel ID \(id) is in use.")
    }
    public static func vlanIDInUse(_ id: Int, physicalNetwork: String) -> Self {
        .init(status: 409, type: "VlanIdInUse",
              message: "Unable to create the network. The VLAN \(id) on physical network \(physicalNetwork) is in use.")
    }
    public static func ipAddressInUse(network: String, ip: String) -> Self {
        .init(status: 409, type: "IpAddressInUse",
              message: "Unable to complete operation for network \(network). The IP address \(ip) is in use.")
    }

    // MARK: 400
    /// neutron-lib's `InvalidInput`.
    public static func invalidInput(_ message: String) -> Self {
        .init(status: 400, type: "InvalidInput", message: "Invalid input for operation: \(message).")
    }
    /// neutron-lib's `BadRequest` for a resource ("Bad router request: ...").
    public static func badRequest(resource: String, _ message: String) -> Self {
        .init(status: 400, type: "BadRequest", message: "Bad \(resource) request: \(message).")
    }
    /// An attribute-validation failure as the API layer reports it (`HTTPBadRequest`).
    public static func invalidAttribute(_ attribute: String, reason: String) -> Self {
        .init(status: 400, type: "HTTPBadRequest", message: "Invalid input for \(attribute). Reason: \(reason).")
    }
    /// A malformed body or unknown attribute (`HTTPBadRequest`).
    public static func httpBadRequest(_ message: String) -> Self {
        .init(status: 400, type: "HTTPBadRequest", message: message)
    }
    public static func invalidIPForSubnet(_ ip: String) -> Self {
        .init(status: 400, type: "InvalidIpForSubnet",
              message: "IP address \(ip) is not a valid IP for the specified subnet.")
    }
    public static func invalidIPForNetwork(_ ip: String) -> Self {
        .init(status: 400, type: "InvalidIpForNetwork",
              message: "IP address \(ip) is not a valid IP for any of the subnets on the specified network.")
    }
    public static func invalidRoutes(_ routes: String, reason: String) -> Self {
        .init(status: 400, type: "InvalidRoutes", message: "Invalid format for routes: \(routes), \(reason)")
    }
    public static func invalidAllocationPool(_ pool: String) -> Self {
        .init(status: 400, type: "InvalidAllocationPool", message: "The allocation pool \(pool) is not valid.")
    }
    public static func overlappingAllocationPools(_ pool1: String, _ pool2: String, subnet: String) -> Self {
        .init(status: 400, type: "OverlappingAllocationPools",
              message: "Found overlapping allocation pools: \(pool1) and \(pool2) for subnet \(subnet).")
    }
    public static func outOfBoundsAllocationPool(_ pool: String, cidr: String) -> Self {
        .init(status: 400, type: "OutOfBoundsAllocationPool",
              message: "The allocation pool \(pool) spans beyond the subnet cidr \(cidr).")
    }
    public static func gatewayConflictWithAllocationPools(_ ip: String, pool: String) -> Self {
        .init(status: 409, type: "GatewayConflictWithAllocationPools",
              message: "Gateway ip \(ip) conflicts with allocation pool \(pool).")
    }
    public static func securityGroupRuleInvalidProtocol(_ proto: String) -> Self {
        .init(status: 400, type: "SecurityGroupRuleInvalidProtocol",
              message: "Security group rule protocol \(proto) not supported. Only protocol values [None, ah, "
                + "dccp, egp, esp, gre, hopopt, icmp, igmp, ipip, ipv6-encap, ipv6-frag, ipv6-icmp, icmpv6, "
                + "ipv6-nonxt, ipv6-opts, ipv6-route, ospf, pgm, rsvp, sctp, tcp, udp, udplite, vrrp] and integer "
                + "representations [0 to 255] are supported.")
    }
    public static func securityGroupInvalidPortValue(_ port: Int) -> Self {
        .init(status: 400, type: "SecurityGroupInvalidPortValue", message: "Invalid value for port \(port)")
    }
    public static func securityGroupInvalidPortRange() -> Self {
        .init(status: 400, type: "SecurityGroupInvalidPortRange",
              message: "For TCP/UDP protocols, port_range_min must be <= port_range_max")
    }
    public static func securityGroupRemoteGroupAndRemoteIPPrefix() -> Self {
        .init(status: 400, type: "SecurityGroupRemoteGroupAndRemoteIpPrefix",
              message: "Only remote_ip_prefix or remote_group_id may be provided.")
    }
    public static func securityGroupRuleParameterConflict(ethertype: String, cidr: String) -> Self {
        .init(status: 400, type: "SecurityGroupRuleParameterConflict",
              message: "Conflicting value ethertype \(ethertype) for CIDR \(cidr)")
    }

    // MARK: 401/403
    public static func unauthorized() -> Self {
        .init(status: 401, type: "HTTPUnauthorized", message: "The request you have made requires authentication.")
    }
    /// A policy refusal, as oslo.policy words it.
    public static func policyNotAuthorized(_ rule: String) -> Self {
        .init(status: 403, type: "HTTPForbidden", message: "(\(rule)) is disallowed by policy")
    }
    public static func notAuthorized() -> Self {
        .init(status: 403, type: "NotAuthorized", message: "Not authorized.")
    }
}

extension NeutronError {
    /// Decodes a typed request body from its JSON form, turning type errors into Neutron's wording
    /// (`Invalid input for port_range_min. Reason: 'x' is not an integer.`), for the top's Networking API
    /// and the simulated Neutron alike.
    public static func decodeBody<T: Decodable>(_ type: T.Type, from member: [String: JSONValue]) throws -> T {
        do {
            return try JSONValue.object(member).decode(T.self)
        } catch let DecodingError.typeMismatch(expected, context) {
            throw invalid(member, path: context.codingPath, expected: "\(expected)")
        } catch let DecodingError.valueNotFound(expected, context) {
            throw invalid(member, path: context.codingPath, expected: "\(expected)")
        } catch let DecodingError.dataCorrupted(context) {
            throw invalid(member, path: context.codingPath, expected: "")
        } catch {
            throw NeutronError.httpBadRequest("Malformed request body")
        }
    }

    private static func invalid(_ member: [String: JSONValue], path: [any CodingKey], expected: String) -> NeutronError {
        guard let attribute = path.first?.stringValue else { return .httpBadRequest("Malformed request body") }
        let value = member[attribute].map { String(decoding: $0.encoded(), as: UTF8.self) } ?? "None"
        let reason: String
        switch expected {
        case "Bool": reason = "'\(value)' is not a valid boolean value"
        case "Int": reason = "'\(value)' is not an integer"
        case "String": reason = "'\(value)' is not a valid string"
        case let e where e.hasPrefix("Array"): reason = "'\(value)' is not a list"
        case let e where e.hasPrefix("Dictionary"): reason = "'\(value)' is not a dictionary"
        default: reason = "'\(value)' is not a valid input"
        }
        return .invalidAttribute(attribute, reason: reason)
    }
}
