import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Decides the origin (`scheme://host:port`) that links in answers carry, once per request, and writes it
/// into the request's `:scheme` and `:authority` so every link writer (`PodForwarder.publicOrigin(of:)`)
/// reads the same thing. A client's `Host` header is never trusted: it comes from `[DEFAULT] public_host`
/// (with the listener's port unless the setting names one), or from `X-Forwarded-Host`/`X-Forwarded-Proto`
/// when the connection's peer is listed in `[gateway] trusted_proxies` (a load balancer in front).
public struct PublicOriginMiddleware: RouterMiddleware {
    public typealias Context = GatewayRequestContext
    let origin: PublicOrigin

    public init(origin: PublicOrigin) { self.origin = origin }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let (scheme, authority) = origin.resolve(
            forwardedHost: request.headers[.forwardedHost], forwardedProto: request.headers[.forwardedProto],
            peer: context.channel.remoteAddress, localPort: context.channel.localAddress?.port)
        guard request.head.scheme != scheme || request.head.authority != authority else { return try await next(request, context) }
        var head = request.head
        head.scheme = scheme
        head.authority = authority
        return try await next(Request(head: head, body: request.body), context)
    }
}

/// How the gateway is reached from outside: the configured public host and the proxies allowed to say otherwise.
public struct PublicOrigin: Sendable {
    let scheme: String
    let host: String
    let port: Int?
    let trusted: [AddressRange]

    /// http://127.0.0.1 with the listener's port, no proxies.
    static let loopback = PublicOrigin(scheme: "http", host: "127.0.0.1", port: nil, trusted: [])

    init(scheme: String, host: String, port: Int?, trusted: [AddressRange]) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.trusted = trusted
    }

    /// - Parameters:
    ///   - publicHost: `host`, `host:port`, `[v6]:port` or `https://host[:port]`.
    ///   - trustedProxies: addresses or CIDR ranges (`10.0.0.0/8`, `::1`) whose `X-Forwarded-*` is believed.
    public init(publicHost: String, trustedProxies: [String]) throws(PublicOriginError) {
        var rest = Substring(publicHost.trimmingCharacters(in: .whitespaces))
        var scheme = "http"
        if let range = rest.range(of: "://") {
            scheme = rest[..<range.lowerBound].lowercased()
            rest = rest[range.upperBound...]
        }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty, !rest.contains("/"), scheme == "http" || scheme == "https" else {
            throw PublicOriginError(message: "[DEFAULT] public_host '\(publicHost)' is not a host name, host:port or http(s)://host[:port]")
        }
        var host = String(rest)
        var portText: Substring?
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            host = String(rest[...close])
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { portText = after }
        } else if rest.filter({ $0 == ":" }).count == 1, let colon = rest.firstIndex(of: ":") {
            host = String(rest[..<colon])
            portText = rest[rest.index(after: colon)...]
        } else if rest.contains(":") {
            host = "[\(rest)]"  // a bare IPv6 address
        }
        var port: Int?
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw PublicOriginError(message: "[DEFAULT] public_host '\(publicHost)' has an invalid port")
            }
            port = value
        }
        self.scheme = scheme
        self.host = host
        self.port = port
        self.trusted = try trustedProxies.map { entry throws(PublicOriginError) in
            guard let range = AddressRange(entry) else {
                throw PublicOriginError(message: "[gateway] trusted_proxies: '\(entry)' is not an IP address or CIDR range")
            }
            return range
        }
    }

    /// (scheme, authority) for one request.
    func resolve(forwardedHost: String?, forwardedProto: String?, peer: SocketAddress?, localPort: Int?) -> (String, String) {
        if !trusted.isEmpty, let peer = peer?.ipAddress, trusted.contains(where: { $0.contains(peer) }) {
            let forwarded = forwardedHost.flatMap { Self.first($0) }
            let proto = forwardedProto.flatMap { Self.first($0) }?.lowercased()
            if forwarded != nil || proto != nil {
                let scheme = proto == "https" || proto == "http" ? proto ?? scheme : scheme
                return (scheme, forwarded ?? defaultAuthority(localPort: localPort))
            }
        }
        return (scheme, defaultAuthority(localPort: localPort))
    }

    func defaultAuthority(localPort: Int?) -> String {
        guard let port = port ?? localPort else { return host }
        return "\(host):\(port)"
    }

    /// The first entry of a comma-separated forwarded header, when it looks like a host (no spaces, no slashes).
    static func first(_ value: String) -> String? {
        let item = value.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard !item.isEmpty, item.count <= 255, !item.contains(where: { $0 == "/" || $0 == " " || $0 == "@" }) else { return nil }
        return item
    }
}

/// A `public_host` or `trusted_proxies` value the gateway cannot use.
public struct PublicOriginError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// An IPv4 or IPv6 address or CIDR range.
struct AddressRange: Sendable {
    let bytes: [UInt8]
    let prefix: Int

    init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", maxSplits: 1)
        guard let first = parts.first, let bytes = Self.parse(String(first)) else { return nil }
        let bits = bytes.count * 8
        if parts.count == 2 {
            guard let prefix = Int(parts[1]), (0...bits).contains(prefix) else { return nil }
            self.prefix = prefix
        } else {
            self.prefix = bits
        }
        self.bytes = bytes
    }

    func contains(_ address: String) -> Bool {
        guard let other = Self.parse(address), other.count == bytes.count else { return false }
        var left = prefix
        for index in bytes.indices where left > 0 {
            let take = min(8, left)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - take))
            if bytes[index] & mask != other[index] & mask { return false }
            left -= take
        }
        return true
    }

    static func parse(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}

extension HTTPField.Name {
    static let forwardedHost = HTTPField.Name("X-Forwarded-Host") ?? .via
    static let forwardedProto = HTTPField.Name("X-Forwarded-Proto") ?? .via
}
