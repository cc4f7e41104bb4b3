import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OpenStackClient
import TricircleCore

/// Sends calls for one service type to pods with the caller's token, and relays a pod's answer to the
/// client: the building block of every routed request (show, update, delete, actions).
///
/// Transport failures (refused, timed out, no endpoint) become a 503 in the API's own format naming the
/// region; whatever the pod answered, errors included, is relayed with its status and body, links
/// rewritten from the pod's address to the gateway's.
public struct PodForwarder: Sendable {
    public let client: RegionalServiceClient
    /// The catalog service type in the pods ("compute", "volumev3", "image", "network", "database").
    public let serviceType: String
    public let format: APIFaultFormat
    /// How long a routed call waits for its pod.
    public let timeout: Duration
    /// The pods' circuits for this service (nil: every call goes out).
    public let health: PodHealth?
    /// Where each call is counted and timed (nil: not measured).
    let metrics: GatewayMetrics?

    /// Request headers passed through to the pod as the client sent them.
    public static let forwardedRequestHeaders: [HTTPField.Name] = [
        "OpenStack-API-Version", "X-OpenStack-Nova-API-Version", "If-Match", "If-None-Match", "Content-Type",
    ].compactMap { HTTPField.Name($0) }

    /// Pod response headers relayed to the client (hop-by-hop and length headers are the server's business).
    public static let relayedResponseHeaders: Set<String> = [
        "content-type", "openstack-api-version", "x-openstack-nova-api-version", "vary", "location", "etag",
        "content-md5", "retry-after", "openstack-image-import-methods", "openstack-image-store-ids",
    ]

    public init(
        client: RegionalServiceClient, serviceType: String, format: APIFaultFormat, timeout: Duration,
        health: PodHealth? = nil, metrics: GatewayMetrics? = nil
    ) {
        self.client = client
        self.serviceType = serviceType
        self.format = format
        self.timeout = timeout
        self.health = health
        self.metrics = metrics
    }

    /// Sends a prepared request to a pod; transport failures throw a 503 `APIError`. While the pod's
    /// circuit is open the call is refused at once (503 with `Retry-After`); a transport failure opens
    /// it, any answer closes it. A call cancelled by its caller (a list's time box, a client that went
    /// away) says nothing about the pod and leaves the circuit alone.
    ///
    /// A 401 to the caller's own token (not the gateway's service user) throws `PodRejectedToken` once
    /// the token was dropped from the validation cache and checked with Keystone again: the caller gets a
    /// 401, never a 503, and the pod, which answered, keeps its circuit closed.
    public func send(_ request: RegionalRequest, to pod: Pod, credentials: ServiceCredentials) async throws -> RegionalResponse {
        try await throughCircuit(request, of: pod, credentials: credentials) { request in
            try await client.send(request, region: pod.regionName, serviceType: serviceType, as: credentials)
        }
    }

    /// Sends to the unversioned root of the pod's service (what precedes `versionPrefix`, e.g. "/v3", in its
    /// catalog endpoint, which may sit under a path): version documents, through the same circuit.
    public func sendToRoot(
        _ request: RegionalRequest, of pod: Pod, versionPrefix: String, credentials: ServiceCredentials
    ) async throws -> RegionalResponse {
        try await throughCircuit(request, of: pod, credentials: credentials) { request in
            let endpoint = try await client.resolver.url(region: pod.regionName, serviceType: serviceType)
            let root = endpoint.range(of: versionPrefix).map { String(endpoint[..<$0.lowerBound]) } ?? (Self.origin(of: endpoint) ?? endpoint)
            return try await client.send(request, baseURL: root, as: credentials)
        }
    }

    static func isMissingFromCatalog(_ error: any Error) -> Bool {
        if case OpenStackClientError.noEndpoint = error { return true }
        return false
    }

    /// One call under the pod's circuit: refused at once while open, a transport failure opens it (a 503
    /// naming the region), any answer closes it; a 401 to the caller's own token is `PodRejectedToken`.
    private func throughCircuit(
        _ request: RegionalRequest, of pod: Pod, credentials: ServiceCredentials,
        _ call: (RegionalRequest) async throws -> RegionalResponse
    ) async throws -> RegionalResponse {
        if let health, let reason = health.refusal(podID: pod.podID) {
            metrics?.recordPodCall(region: pod.regionName, service: serviceType, outcome: "circuit_open", nanoseconds: nil)
            throw APIError(
                .serviceUnavailable, "Region \(pod.regionName) is unavailable: \(reason) (not retried for a while).",
                format: format, headers: [.retryAfter: "\(max(1, Int(health.coolDown.components.seconds)))"])
        }
        var request = request
        if request.timeout == nil { request.timeout = timeout }
        let response: RegionalResponse
        let start = DispatchTime.now().uptimeNanoseconds
        do {
            response = try await call(request)
        } catch {
            // A region without this service in the catalog (no Trove, say) says nothing about its health.
            if !Task.isCancelled, !Self.isMissingFromCatalog(error) {
                health?.failed(podID: pod.podID, reason: "it did not answer")
                metrics?.recordPodCall(
                    region: pod.regionName, service: serviceType, outcome: "error",
                    nanoseconds: DispatchTime.now().uptimeNanoseconds &- start)
            }
            throw APIError.podUnavailable(error, region: pod.regionName, format: format)
        }
        metrics?.recordPodCall(
            region: pod.regionName, service: serviceType, outcome: GatewayMetrics.outcome(status: response.status),
            nanoseconds: DispatchTime.now().uptimeNanoseconds &- start)
        health?.succeeded(podID: pod.podID)
        if response.status == 401, let check = CallerTokenCheck.current, check.concerns(credentials) {
            throw await check.podRefused(response, region: pod.regionName)
        }
        return response
    }

    /// Sends the client's request to `path` in `pod`, keeping its method, query, version headers and
    /// (when given) body.
    public func forward(
        _ request: Request, context: some AuthenticatedRequestContext, to pod: Pod, path: String,
        body: ByteBuffer? = nil, extraHeaders: [(String, String)] = []
    ) async throws -> RegionalResponse {
        var headers: [(String, String)] = []
        for name in Self.forwardedRequestHeaders {
            if let value = request.headers[name] { headers.append((name.rawName, value)) }
        }
        headers += extraHeaders
        var outgoing = RegionalRequest(method: request.method.rawValue, path: path + Self.query(of: request), headers: headers)
        if let body {
            let contentType = request.headers[.contentType] ?? "application/json"
            outgoing.body = .bytes(body, contentType: contentType)
        }
        return try await send(outgoing, to: pod, credentials: try context.podCredentials())
    }

    /// The client's query string with its leading "?" (empty when there is none).
    public static func query(of request: Request) -> String {
        guard let query = request.uri.query, !query.isEmpty else { return "" }
        return "?" + query
    }

    /// The pod's answer as the client's response: status, relayed headers, and the body with the pod's
    /// root (`podRoot`, by default the origin of the URL it answered on) replaced by the gateway's public
    /// origin, so links lead back here. A pod's error with an empty body (some services answer a bare 404)
    /// gets one in the API's `format`, as every answer of the gateway has.
    public static func relay(
        _ response: RegionalResponse, publicOrigin: String?, podRoot: String? = nil, format: APIFaultFormat? = nil
    ) -> Response {
        let from = podRoot ?? origin(of: response.url)
        var fields = HTTPFields()
        for (name, value) in response.headers where relayedResponseHeaders.contains(name.lowercased()) {
            guard let field = HTTPField.Name(name) else { continue }
            // Only a value naming the pod (a Location) is rewritten; the others are kept without a Foundation call.
            var rewritten = value
            if let from, let publicOrigin, value.utf8Range(of: from) != nil {
                rewritten = value.replacingOccurrences(of: from, with: publicOrigin)
            }
            fields.append(HTTPField(name: field, value: rewritten))
        }
        var body = response.body
        if let publicOrigin, let from, from != publicOrigin {
            body = body.replacingAll(from, with: publicOrigin)
        }
        if response.status >= 400, body.readableBytes == 0, let format {
            body = format.body(status: response.status, message: ErrorBoundaryMiddleware.defaultMessage(HTTPResponse.Status(code: response.status)))
            fields[.contentType] = "application/json"
        }
        return Response(status: HTTPResponse.Status(code: response.status), headers: fields, body: .init(byteBuffer: body))
    }

    /// The pod's answer for this client (see the static `relay`), errors in this forwarder's format.
    public func relay(_ response: RegionalResponse, to request: Request, podRoot: String? = nil) -> Response {
        Self.relay(response, publicOrigin: Self.publicOrigin(of: request), podRoot: podRoot, format: format)
    }

    /// "http://host:port" of a URL.
    public static func origin(of url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else { return nil }
        return components.port.map { "\(scheme)://\(host):\($0)" } ?? "\(scheme)://\(host)"
    }

    /// The gateway's public origin for links in answers ("http://host:port"), as `PublicOriginMiddleware`
    /// decided it from `[DEFAULT] public_host` (never from the client's own `Host` header).
    public static func publicOrigin(of request: Request) -> String? {
        guard let host = request.head.authority else { return nil }
        return (request.head.scheme ?? "http") + "://" + host
    }
}

extension ByteBuffer {
    /// The bytes with every occurrence of `target` replaced by `replacement`, without decoding them as text
    /// (relayed bodies are rewritten on every request; going through String/NSString cost more than the call).
    /// Returns the buffer itself, uncopied, when `target` does not occur.
    public func replacingAll(_ target: String, with replacement: String) -> ByteBuffer {
        let needle = Array(target.utf8)
        guard let first = needle.first, readableBytes >= needle.count else { return self }
        return withUnsafeReadableBytes { bytes -> ByteBuffer in
            var output: ByteBuffer?
            var copied = 0
            var index = 0
            let last = bytes.count - needle.count
            while index <= last {
                if bytes[index] == first, needle.indices.allSatisfy({ bytes[index + $0] == needle[$0] }) {
                    if output == nil { output = ByteBuffer(); output?.reserveCapacity(bytes.count + 256) }
                    output?.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[copied..<index]))
                    output?.writeString(replacement)
                    index += needle.count
                    copied = index
                } else {
                    index += 1
                }
            }
            guard var result = output else { return self }
            result.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[copied..<bytes.count]))
            return result
        }
    }
}
