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
    let defaultTimeout: Duration
    let logger: Logger

    /// `httpClient` is the process's shared client; this type never creates or shuts one down.
    public init(
        httpClient: HTTPClient, resolver: EndpointResolver, defaultTimeout: Duration = .seconds(30),
        logger: Logger = Logger(label: "tricircle.regions")
    ) {
        self.httpClient = httpClient
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
        var outgoing = HTTPClientRequest(url: url)
        outgoing.method = HTTPMethod(rawValue: request.method)
        outgoing.headers.add(name: "X-Auth-Token", value: credentials.token)
        outgoing.headers.add(name: "Accept", value: "application/json")
        outgoing.headers.add(name: "User-Agent", value: "tricircle-gateway")
        // The request (or job) this call is made for: its id becomes the region's global request id.
        if let requestID = credentials.requestID ?? RequestTrace.requestID {
            outgoing.headers.add(name: "X-OpenStack-Request-ID", value: requestID)
        }
        for (name, value) in request.headers { outgoing.headers.replaceOrAdd(name: name, value: value) }
        switch request.body {
        case .none:
            break
        case .bytes(let bytes, let contentType):
            outgoing.headers.replaceOrAdd(name: "Content-Type", value: contentType)
            outgoing.body = .bytes(bytes)
        case .stream(let body, let contentType):
            outgoing.headers.replaceOrAdd(name: "Content-Type", value: contentType)
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
