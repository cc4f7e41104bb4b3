import Foundation

/// An IPv4 or IPv6 address as a 128-bit integer (IPv4 in the low 32 bits).
public struct IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var version: Int
    public var value: UInt128

    public var bitWidth: Int { version == 4 ? 32 : 128 }

    public init(version: Int, value: UInt128) {
        self.version = version
        self.value = value
    }

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text (with `::` and an embedded IPv4 tail).
    public init?(_ text: String) {
        if text.contains(":") {
            guard let v = Self.parseV6(text) else { return nil }
            self.init(version: 6, value: v)
        } else {
            guard let v = Self.parseV4(text) else { return nil }
            self.init(version: 4, value: UInt128(v))
        }
    }

    public static func < (a: Self, b: Self) -> Bool { (a.version, a.value) < (b.version, b.value) }

    public static func parseV4(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), let n = UInt32(part), n <= 255
            else { return nil }
            // Leading zeros are ambiguous (octal in some parsers); netaddr refuses them too.
            if part.count > 1, part.first == "0" { return nil }
            out = out << 8 | n
        }
        return out
    }

    public static func parseV6(_ text: String) -> UInt128? {
        guard !text.isEmpty, text.allSatisfy(\.isASCII) else { return nil }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ s: String, allowV4Tail: Bool) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out: [UInt16] = []
            let parts = s.split(separator: ":", omittingEmptySubsequences: false)
            for (i, part) in parts.enumerated() {
                if allowV4Tail, i == parts.count - 1, part.contains(".") {
                    guard let v4 = parseV4(String(part)) else { return nil }
                    out.append(UInt16(v4 >> 16))
                    out.append(UInt16(v4 & 0xffff))
                } else {
                    guard !part.isEmpty, part.count <= 4, let g = UInt16(part, radix: 16) else { return nil }
                    out.append(g)
                }
            }
            return out
        }
        var all: [UInt16]
        if halves.count == 2 {
            guard let head = groups(halves[0], allowV4Tail: false), let tail = groups(halves[1], allowV4Tail: true),
                head.count + tail.count <= 7
            else { return nil }
            all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard let g = groups(halves[0], allowV4Tail: true), g.count == 8 else { return nil }
            all = g
        }
        return all.reduce(UInt128(0)) { $0 << 16 | UInt128($1) }
    }

    /// Canonical text: dotted quad, or RFC 5952 IPv6 (lowercase, longest zero run as `::`).
    public var description: String {
        if version == 4 {
            let v = UInt32(truncatingIfNeeded: value)
            return "\(v >> 24).\(v >> 16 & 0xff).\(v >> 8 & 0xff).\(v & 0xff)"
        }
        let groups = (0..<8).map { UInt16(truncatingIfNeeded: value >> (UInt128(7 - $0) * 16)) }
        var bestStart = -1, bestLength = 0, i = 0
        while i < 8 {
            if groups[i] == 0 {
                var j = i
                while j < 8, groups[j] == 0 { j += 1 }
                if j - i > bestLength, j - i >= 2 { bestStart = i; bestLength = j - i }
                i = j
            } else {
                i += 1
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        if bestStart < 0 { return hex.joined(separator: ":") }
        let head = hex[0..<bestStart].joined(separator: ":")
        let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }
}

/// A CIDR block: network address and prefix length.
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    public init(network: IPAddress, prefix: Int) {
        self.network = network
        self.prefix = prefix
    }

    public var network: IPAddress
    public var prefix: Int

    public var version: Int { network.version }
    public var hostBits: Int { network.bitWidth - prefix }
    /// Mask of the host part.
    public var hostMask: UInt128 { hostBits >= 128 ? UInt128.max : (UInt128(1) << UInt128(hostBits)) - 1 }
    public var first: UInt128 { network.value }
    public var last: UInt128 { network.value | hostMask }
    public var description: String { "\(network)/\(prefix)" }

    /// Parses "10.0.0.0/24"; `strict` refuses host bits (returns nil), otherwise they are masked off.
    /// `hadHostBits` tells the caller whether masking changed the address.
    public static func parse(_ text: String) -> (network: IPNetwork, hadHostBits: Bool)? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPAddress(String(parts[0])), let prefix = Int(parts[1]),
            prefix >= 0, prefix <= address.bitWidth, parts[1].allSatisfy(\.isNumber)
        else { return nil }
        var net = IPNetwork(network: address, prefix: prefix)
        let masked = address.value & ~net.hostMask
        let had = masked != address.value
        net.network = IPAddress(version: address.version, value: masked)
        return (net, had)
    }

    public func contains(_ address: IPAddress) -> Bool {
        address.version == version && address.value >= first && address.value <= last
    }

    public func overlaps(_ other: IPNetwork) -> Bool {
        version == other.version && first <= other.last && other.first <= last
    }

    public func address(_ value: UInt128) -> IPAddress { IPAddress(version: version, value: value) }
}

/// MAC addresses as Neutron generates them (`fa:16:3e` base).
public enum MACAddress {
    public static func random() -> String {
        let tail = (0..<3).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }
        return "fa:16:3e:" + tail.joined(separator: ":")
    }

    /// Lowercased canonical form, nil when not six hex octets.
    public static func normalize(_ text: String) -> String? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var out: [String] = []
        for part in parts {
            guard part.count == 2, let octet = UInt8(part, radix: 16) else { return nil }
            out.append(String(format: "%02x", octet))
        }
        let mac = out.joined(separator: ":")
        // Neutron refuses the all-zero and broadcast MACs and multicast addresses.
        guard mac != "00:00:00:00:00:00", mac != "ff:ff:ff:ff:ff:ff",
              let firstOctet = UInt8(out[0], radix: 16), firstOctet & 1 == 0 else { return nil }
        return mac
    }

    /// The modified EUI-64 interface id of a MAC, for SLAAC addresses.
    public static func eui64(_ mac: String) -> UInt128? {
        let octets = mac.split(separator: ":").compactMap { UInt8($0, radix: 16) }
        guard octets.count == 6 else { return nil }
        let bytes = [octets[0] ^ 0x02, octets[1], octets[2], 0xff, 0xfe, octets[3], octets[4], octets[5]]
        return bytes.reduce(UInt128(0)) { $0 << 8 | UInt128($1) }
    }
}

extension IPNetwork {
    /// Neutron's default allocation pools as address bounds: the whole CIDR minus the network address,
    /// the IPv4 broadcast address and the gateway (one shared rule for the top's IPAM and the simulator's).
    public func defaultPoolBounds(gateway: UInt128?) -> [(low: UInt128, high: UInt128)] {
        var low = first
        var high = last
        if version == 4, prefix < 31 {
            low += 1
            high -= 1
        } else if version == 6, prefix < 127 {
            low += 1
        }
        guard low <= high else { return [] }
        guard let gateway, gateway >= low, gateway <= high else { return [(low, high)] }
        var out: [(low: UInt128, high: UInt128)] = []
        if gateway > low { out.append((low, gateway - 1)) }
        if gateway < high { out.append((gateway + 1, high)) }
        return out
    }
}
