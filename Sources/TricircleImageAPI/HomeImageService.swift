import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway

/// The Glance that holds every image (`image.home_region`): JSON calls relayed for clients, streamed data
/// transfers, and calls on the gateway's own service token for jobs. Also talks to pods' Glance for copies.
public struct HomeImageService: Sendable, UsesGatewayServices {
    public let services: GatewayServices
    /// The gateway's own identity (jobs' service credentials).
    let keystone: KeystoneClient
    /// Glance endpoints by region, for streamed transfers.
    let endpoints: EndpointResolver
    let httpClient: HTTPClient
    let metrics: GatewayMetrics
    /// The configured home region (nil: none configured, the Image API answers 503).
    public let region: String?
    /// How long one image data transfer may take end to end (AsyncHTTPClient's deadline covers the body).
    let transferTimeout: Duration

    /// Marks calls the gateway makes to a Glance, so a home endpoint that leads back to this gateway is
    /// answered 508 instead of calling itself forever.
    static let hopHeader = "X-Tricircle-Image-Hop"

    /// Calls to Glance through the regions' circuits (503 naming the region when one does not answer).
    let forwarder: PodForwarder

    init(runtime: GatewayRuntime, transferTimeout: Duration = .seconds(6 * 3600)) {
        self.services = GatewayServices(runtime: runtime)
        self.keystone = runtime.keystone
        self.endpoints = runtime.endpoints
        self.httpClient = runtime.httpClient
        self.metrics = runtime.metrics
        self.forwarder = runtime.forwarder(serviceType: "image", format: .glance)
        self.region = runtime.config.imageHomeRegion
        self.transferTimeout = transferTimeout
    }

    /// The home region, or a 503 saying it is not configured.
    func homeRegion() throws -> String {
        guard let region else {
            throw APIError(.serviceUnavailable,
                           "No home image service is configured: set [image] home_region to the region whose Glance holds the images.",
                           format: .glance)
        }
        return region
    }

    /// The gateway's own credentials (service user, admin in the pods), for jobs.
    func serviceCredentials() async throws -> ServiceCredentials {
        try await keystone.serviceCredentials()
    }

    /// Sends a JSON call to the Glance of `region` (default: home); transport failures become a 503 naming it.
    func send(_ request: RegionalRequest, credentials: ServiceCredentials, region: String? = nil) async throws -> RegionalResponse {
        let target = try region ?? homeRegion()
        var request = request
        request.headers.append((Self.hopHeader, "1"))
        return try await forwarder.send(request, to: try await pods.pod(standingFor: target), credentials: credentials)
    }

    /// Opens a streamed call to the Glance of `region` (default: home): the answer's body is read by the
    /// caller chunk by chunk, so image data never sits whole in memory.
    func stream(
        method: HTTPMethod, path: String, headers: [(String, String)] = [], body: HTTPClientRequest.Body? = nil,
        credentials: ServiceCredentials, region: String? = nil
    ) async throws -> (response: HTTPClientResponse, url: String) {
        let target = try region ?? homeRegion()
        let url: String
        do {
            url = try await endpoints.url(region: target, serviceType: "image", projectID: credentials.projectID) + path
        } catch {
            throw APIError.podUnavailable(error, region: target, format: .glance)
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "X-Auth-Token", value: credentials.token)
        request.headers.add(name: "User-Agent", value: "tricircle-gateway")
        request.headers.add(name: Self.hopHeader, value: "1")
        if let requestID = credentials.requestID { request.headers.add(name: "X-OpenStack-Request-ID", value: requestID) }
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        if let body { request.body = body }
        do {
            let response = try await httpClient.execute(request, timeout: TimeAmount.nanoseconds(transferTimeout.nanoseconds))
            return (response, url)
        } catch {
            throw APIError.podUnavailable(OpenStackClientError.transport(error, url: url), region: target, format: .glance)
        }
    }

    // MARK: Typed calls for jobs and boots

    /// An image as `credentials` see it in `region` (default: home); nil when that Glance says 404.
    func image(_ id: String, credentials: ServiceCredentials, region: String? = nil) async throws -> Image? {
        let response = try await send(.get("/v2/images/" + Self.escape(id)), credentials: credentials, region: region)
        if response.status == 404 { return nil }
        return try response.requireSuccess().decode(Image.self)
    }

    /// Deletes an image in `region`; true when it existed.
    @discardableResult
    func deleteImage(_ id: String, credentials: ServiceCredentials, region: String) async throws -> Bool {
        let response = try await send(.delete("/v2/images/" + Self.escape(id)), credentials: credentials, region: region)
        if response.status == 404 { return false }
        try response.requireSuccess()
        return true
    }

    /// One path segment, percent-encoded.
    static func escape(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? segment
    }
}

extension Duration {
    /// Whole nanoseconds (saturating), for NIO's `TimeAmount`.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? Int64.max : scaled + attoseconds / 1_000_000_000
    }
}
