import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import TricircleCore

/// Whose call it is: the user's own token and project (requests to pods carry the user's token).
public struct ServiceCredentials: Sendable, Hashable {
    public var token: String
    /// Filled into catalog URLs that carry a project template (Trove's `/v1.0/$(tenant_id)s`).
    public var projectID: String?
    /// Sent as `X-OpenStack-Request-ID` so the region's logs can be matched to the gateway's.
    public var requestID: String?

    public init(token: String, projectID: String?, requestID: String? = nil) {
        self.token = token
        self.projectID = projectID
        self.requestID = requestID
    }
}

/// Sends requests to (region, service type) through the endpoint catalog, with the caller's token.
///
/// A connection failure re-reads the catalog and, when the endpoint moved, retries once (nothing was
/// sent, so this is safe for any method). Timeouts and broken connections are never retried here.
public final class RegionalServiceClient: Sendable {
    let httpClient: HTTPClient
    /// The catalog this client resolves through.
    public let resolver: EndpointResolver
    /// Plain-http calls with a body in memory go here first (see `PodConnectionPool`); nil: all through `httpClient`.
    let pool: PodConnectionPool?
    let defaultTimeout: Duration
    let logger: Logger

    /// `httpClient` is the process's shared client and `pool` its lean client for plain http; this type never
    /// creates or shuts either down.
    public init(
        httpClient: HTTPClient, pool: PodConnectionPool? = nil, resolver: EndpointResolver,
        defaultTimeout: Duration = .seconds(30), logger: Logger = Logger(label: "tricircle.regions")
    ) {
        self.httpClient = httpClient
        self.pool = pool
        self.resolver = resolver
        self.defaultTimeout = defaultTimeout
        self.logger = logger
    }

    /// Sends and returns the answer whatever its status; throws `OpenStackClientError` for transport failures
    /// and `.noEndpoint` when the catalog has no such endpoint.
    public func send(
        _ request: RegionalRequest, region: String, serviceType: String, interface: String? = nil,
        as credentials: ServiceCredentials
    ) async throws -> RegionalResponse {
        let base = try await resolver.url(
            region: region, serviceType: serviceType, interface: interface, projectID: credentials.projectID)
        do {
            return try await perform(request, base: base, credentials: credentials)
        } catch let error as OpenStackClientError where error.isConnectionError && request.isReplayable {
            guard await resolver.connectionFailed(region: region, serviceType: serviceType, interface: interface) else {
                throw error
            }
            let moved = try await resolver.url(
                region: region, serviceType: serviceType, interface: interface, projectID: credentials.projectID)
            logger.info("\(serviceType) in \(region) moved from \(base) to \(moved); retrying")
            return try await perform(request, base: moved, credentials: credentials)
        }
    }

    /// Sends and decodes a 2xx JSON answer; any other status throws `.http` with the service's body.
    public func call<T: Decodable>(
        _ request: RegionalRequest, region: String, serviceType: String, interface: String? = nil,
        as credentials: ServiceCredentials, decoding type: T.Type
    ) async throws -> T {
        try await send(request, region: region, serviceType: serviceType, interface: interface, as: credentials)
            .requireSuccess().decode(T.self)
    }

    /// Sends to an explicit base URL (no catalog), e.g. a URL taken from a version document.
    public func send(_ request: RegionalRequest, baseURL: String, as credentials: ServiceCredentials) async throws -> RegionalResponse {
        try await perform(request, base: baseURL, credentials: credentials)
    }

    func perform(_ request: RegionalRequest, base: String, credentials: ServiceCredentials) async throws -> RegionalResponse {
        let url = request.url(base: base)
        if let pool, let target = PlainHTTPTarget(url) {
            var body: ByteBuffer?
            var contentType: String?
            switch request.body {
            case .none: break
            case .bytes(let bytes, let type): (body, contentType) = (bytes, type)
            case .stream: return try await performThroughHTTPClient(request, url: url, credentials: credentials)
            }
            var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: request.method), uri: target.uri)
            head.headers.reserveCapacity(8)
            head.headers.add(name: "Host", value: target.authority)
            add(credentials, contentType: contentType, of: request, to: &head.headers)
            if let body {
                head.headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
            } else if head.method == .POST || head.method == .PUT || head.method == .PATCH {
                head.headers.replaceOrAdd(name: "Content-Length", value: "0")
            }
            let answer: PodCallAnswer?
            do {
                answer = try await pool.execute(
                    head, body: body, host: target.host, port: target.port, url: url,
                    timeout: TimeAmount(request.timeout ?? defaultTimeout), maxBytes: request.maxResponseBytes)
            } catch {
                throw OpenStackClientError.transport(error, url: url)
            }
            if let answer {
                return RegionalResponse(
                    url: url, status: Int(answer.head.status.code), headers: answer.head.headers.map { ($0.name, $0.value) },
                    body: answer.body)
            }
            // Every connection to that host is busy: this call goes through the shared client's own pool.
        }
        return try await performThroughHTTPClient(request, url: url, credentials: credentials)
    }

    /// The headers every pod call carries, then the request's own (which win), then its body's content type.
    private func add(_ credentials: ServiceCredentials, contentType: String?, of request: RegionalRequest, to headers: inout HTTPHeaders) {
        headers.add(name: "X-Auth-Token", value: credentials.token)
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "User-Agent", value: "tricircle-gateway")
        // The request (or job) this call is made for: its id becomes the region's global request id.
        if let requestID = credentials.requestID ?? RequestTrace.requestID {
            headers.add(name: "X-OpenStack-Request-ID", value: requestID)
        }
        for (name, value) in request.headers { headers.replaceOrAdd(name: name, value: value) }
        if let contentType { headers.replaceOrAdd(name: "Content-Type", value: contentType) }
    }

    /// Through AsyncHTTPClient: https, streamed bodies, and calls the lean pool had no connection for.
    private func performThroughHTTPClient(
        _ request: RegionalRequest, url: String, credentials: ServiceCredentials
    ) async throws -> RegionalResponse {
        var outgoing = HTTPClientRequest(url: url)
        outgoing.method = HTTPMethod(rawValue: request.method)
        switch request.body {
        case .none:
            add(credentials, contentType: nil, of: request, to: &outgoing.headers)
        case .bytes(let bytes, let contentType):
            add(credentials, contentType: contentType, of: request, to: &outgoing.headers)
            outgoing.body = .bytes(bytes)
        case .stream(let body, let contentType):
            add(credentials, contentType: contentType, of: request, to: &outgoing.headers)
            outgoing.body = body
        }
        do {
            // AsyncHTTPClient only logs at debug and trace, but tags a logger it is given with a request id on
            // every call: below debug it gets none, so that costs nothing either.
            let response = try await httpClient.execute(
                outgoing, timeout: TimeAmount(request.timeout ?? defaultTimeout), logger: logger.logLevel <= .debug ? logger : nil)
            let body = try await response.body.collect(upTo: request.maxResponseBytes)
            return RegionalResponse(
                url: url, status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                body: body)
        } catch {
            throw OpenStackClientError.transport(error, url: url)
        }
    }
}

/// Host, port and request target of an `http://` URL (nil for https or anything else), read without Foundation.
struct PlainHTTPTarget {
    var host: String
    var port: Int
    /// "host:port" as written, for the Host header.
    var authority: String
    /// Path and query, at least "/".
    var uri: String

    init?(_ url: String) {
        let utf8 = url.utf8
        let scheme = "http://".utf8
        guard utf8.starts(with: scheme) else { return nil }
        let rest = url.utf8.dropFirst(scheme.count)
        let end = rest.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? rest.endIndex
        guard let authority = String(rest[..<end]), !authority.isEmpty, !authority.contains("@") else { return nil }
        var path = String(Substring(rest[end...]))
        if let fragment = path.firstIndex(of: "#") { path = String(path[..<fragment]) }
        if path.isEmpty || path.first == "?" { path = "/" + path }
        // "[::1]:8774", "host:8774" or "host" (port 80).
        var host = Substring(authority)
        var port = 80
        if let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") {
            guard let number = Int(authority[authority.index(after: colon)...]), (1...65535).contains(number) else { return nil }
            port = number
            host = authority[..<colon]
        }
        if host.first == "[", host.last == "]" { host = host.dropFirst().dropLast() }
        guard !host.isEmpty else { return nil }
        self.host = String(host)
        self.port = port
        self.authority = authority
        self.uri = path
    }
}
