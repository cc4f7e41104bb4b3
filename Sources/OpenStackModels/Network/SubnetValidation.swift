import Foundation

/// A subnet's address plan checked as Neutron checks it (CIDR and IP version, IPv6 modes, gateway, pools,
/// DNS servers, host routes). Shared by the top's Neutron and the simulated one, which only differ in
/// where subnets and their addresses are kept.
public enum SubnetValidation {
    /// Neutron's IPv6 RA and address modes.
    public static let ipv6Modes: Set<String> = ["slaac", "dhcpv6-stateful", "dhcpv6-stateless"]

    /// The CIDR and IP version of a create, with the IPv6 modes checked against them.
    public static func checkedCIDR(_ text: String?, ipVersion requested: Int?, raMode: String?, addressMode: String?) throws
        -> (cidr: IPNetwork, ipVersion: Int)
    {
        guard let text else {
            throw NeutronError.badRequest(resource: "subnets", "a subnetpool must be specified in the absence of a cidr")
        }
        let ipVersion = requested ?? 4
        guard ipVersion == 4 || ipVersion == 6 else {
            throw NeutronError.invalidAttribute("ip_version", reason: "\(ipVersion) is not in [4, 6]")
        }
        let cidr = try normalizedCIDR(text)
        guard cidr.version == ipVersion else {
            throw NeutronError.invalidInput("cidr '\(text)' does not match the ip_version '\(ipVersion)'")
        }
        if cidr.prefix == 0 { throw NeutronError.invalidInput("0 is not allowed as CIDR prefix length") }
        try checkIPv6Modes(ipVersion: ipVersion, cidr: cidr, raMode: raMode, addressMode: addressMode)
        return (cidr, ipVersion)
    }

    /// A `cidr` as Neutron's API reads it (neutron-lib's `validate_subnet`): host bits are accepted and
    /// dropped (`10.99.99.0/16` is stored as `10.99.0.0/16`); a bare address, or an IPv4 CIDR not written
    /// the canonical way (`10.0.0.0/08`), is refused with the CIDR it recommends.
    public static func normalizedCIDR(_ text: String) throws -> IPNetwork {
        if !text.contains("/"), let address = IPAddress(text) {
            throw NeutronError.invalidAttribute(
                "cidr", reason: "'\(text)' isn't a recognized IP subnet cidr, '\(address)/\(address.bitWidth)' is recommended")
        }
        guard let (cidr, _) = IPNetwork.parse(text) else {
            throw NeutronError.invalidAttribute("cidr", reason: "'\(text)' is not a valid IP subnet")
        }
        if cidr.version == 4, let prefixText = text.split(separator: "/").last, prefixText != "\(cidr.prefix)" {
            throw NeutronError.invalidAttribute("cidr", reason: "'\(text)' isn't a recognized IP subnet cidr, '\(cidr)' is recommended")
        }
        return cidr
    }

    /// Neutron's 400 for a CIDR overlapping another subnet (`other`, its CIDR text) of the same network.
    public static func refuseOverlap(_ cidr: IPNetwork, with other: String, networkID: String) throws {
        if let (otherCIDR, _) = IPNetwork.parse(other), otherCIDR.overlaps(cidr) {
            throw NeutronError.invalidInput("Requested subnet with cidr: \(cidr) for network: \(networkID) overlaps with another subnet")
        }
    }

    /// The gateway a create or update asks for: absent is the CIDR's first host (none on a /31, /32,
    /// /127 or /128), null is none.
    public static func gateway(_ requested: NullableField<String>, cidr: IPNetwork, ipVersion: Int) throws -> UInt128? {
        switch requested {
        case .absent:
            return cidr.prefix >= cidr.network.bitWidth - 1 ? nil : cidr.first + 1
        case .null:
            return nil
        case .value(let text):
            guard let address = IPAddress(text), address.version == ipVersion else {
                throw NeutronError.invalidAttribute("gateway_ip", reason: "'\(text)' is not a valid IP address")
            }
            if ipVersion == 4, cidr.prefix < 31, address.value == cidr.first || address.value == cidr.last {
                throw NeutronError.invalidInput("Gateway is not valid on subnet")
            }
            return address.value
        }
    }

    /// `ipv6_ra_mode` and `ipv6_address_mode`: known values, IPv6 only, equal when both given, and a /64
    /// for the modes whose addresses derive from the MAC (EUI-64).
    public static func checkIPv6Modes(ipVersion: Int, cidr: IPNetwork, raMode: String?, addressMode: String?) throws {
        for (name, mode) in [("ipv6_ra_mode", raMode), ("ipv6_address_mode", addressMode)] {
            guard let mode else { continue }
            guard ipv6Modes.contains(mode) else {
                throw NeutronError.invalidAttribute(name, reason: "'\(mode)' is not in ['dhcpv6-stateful', 'dhcpv6-stateless', 'slaac']")
            }
            if ipVersion == 4 { throw NeutronError.invalidInput("\(name) is not valid when ip_version is 4") }
        }
        if let raMode, let addressMode, raMode != addressMode {
            throw NeutronError.invalidInput(
                "ipv6_ra_mode set to '\(raMode)' with ipv6_address_mode set to '\(addressMode)' is not valid. If both attributes are set, they must be the same value")
        }
        let mode = addressMode ?? raMode
        if mode == "slaac" || mode == "dhcpv6-stateless", cidr.prefix != 64 {
            throw NeutronError.invalidInput(
                "Invalid CIDR \(cidr) for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64")
        }
    }

    /// Requested allocation pools as address bounds, sorted; nil means Neutron's default pools (the CIDR
    /// minus network, broadcast and gateway). `subnetID` names the subnet in the overlap error.
    public static func pools(_ requested: [AllocationPool]?, cidr: IPNetwork, gateway: UInt128?, subnetID: String) throws
        -> [(low: UInt128, high: UInt128)]
    {
        guard let requested else { return cidr.defaultPoolBounds(gateway: gateway) }
        var ranges: [(low: UInt128, high: UInt128)] = []
        for pool in requested {
            let text = "{'start': '\(pool.start)', 'end': '\(pool.end)'}"
            guard let start = IPAddress(pool.start), let end = IPAddress(pool.end),
                  start.version == cidr.version, end.version == cidr.version, start.value <= end.value
            else { throw NeutronError.invalidAllocationPool(text) }
            guard cidr.isAssignable(start.value), cidr.isAssignable(end.value) else {
                throw NeutronError.outOfBoundsAllocationPool("\(pool.start)-\(pool.end)", cidr: cidr.description)
            }
            ranges.append((start.value, end.value))
        }
        let sorted = ranges.sorted { $0.low < $1.low }
        for (a, b) in zip(sorted, sorted.dropFirst()) where b.low <= a.high {
            throw NeutronError.overlappingAllocationPools(
                "\(cidr.address(a.low))-\(cidr.address(a.high))", "\(cidr.address(b.low))-\(cidr.address(b.high))", subnet: subnetID)
        }
        if let gateway, let pool = sorted.first(where: { gateway >= $0.low && gateway <= $0.high }) {
            throw NeutronError.gatewayConflictWithAllocationPools(
                cidr.address(gateway).description, pool: "\(cidr.address(pool.low))-\(cidr.address(pool.high))")
        }
        return sorted
    }

    /// `dns_nameservers`: addresses, each once.
    public static func nameservers(_ servers: [String]) throws -> [String] {
        var seen: Set<String> = []
        for server in servers {
            guard IPAddress(server) != nil else {
                throw NeutronError.invalidAttribute("dns_nameservers", reason: "'\(server)' is not a valid nameserver")
            }
            guard seen.insert(server).inserted else {
                throw NeutronError.invalidAttribute("dns_nameservers", reason: "Duplicate nameserver '\(server)'")
            }
        }
        return servers
    }

    /// `host_routes`: a CIDR and a next hop of the subnet's IP version, each route once.
    public static func hostRoutes(_ routes: [HostRoute], version: Int) throws -> [HostRoute] {
        var seen: Set<HostRoute> = []
        for route in routes {
            guard let (destination, _) = IPNetwork.parse(route.destination), let hop = IPAddress(route.nexthop) else {
                throw NeutronError.invalidAttribute(
                    "host_routes", reason: "Invalid data format for hostroute: '\(route.destination) \(route.nexthop)'")
            }
            guard destination.version == version, hop.version == version else {
                throw NeutronError.invalidInput("host_routes '\(route.destination)' does not match the ip_version '\(version)'")
            }
            guard seen.insert(route).inserted else {
                throw NeutronError.invalidAttribute("host_routes", reason: "Duplicate hostroute '\(route.destination)'")
            }
        }
        return routes
    }
}

extension IPNetwork {
    /// Whether the address may be given to a port at all: inside the CIDR, and not the IPv4 network or
    /// broadcast address nor the IPv6 subnet-router anycast address (all host bits zero).
    public func isAssignable(_ value: UInt128) -> Bool {
        guard value >= first, value <= last else { return false }
        if version == 4, prefix < 31 { return value != first && value != last }
        if version == 6, prefix < 127 { return value != first }
        return true
    }
}
