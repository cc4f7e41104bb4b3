import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import OpenStackModels

/// One call to a regional service, relative to its catalog endpoint.
public struct RegionalRequest: Sendable {
    /// The body to send.
    public enum Body: Sendable {
        case none
        /// Raw bytes with their content type.
        case bytes(ByteBuffer, contentType: String)
        /// A streamed body (image uploads); such a request is never retried.
        case stream(HTTPClientRequest.Body, contentType: String)
    }

    /// "GET", "POST", ... (as in `HTTPMethod.rawValue`).
    public var method: String
    /// Path after the endpoint URL, starting with "/" (`/servers/detail`); may carry a query string.
    public var path: String
    /// Query items appended to the path (already-encoded query in `path` is kept).
    public var query: [URLQueryItem]
    /// Extra headers, e.g. `("OpenStack-API-Version", "compute 2.79")` or `("X-OpenStack-Nova-API-Version", "2.79")`.
    public var headers: [(String, String)]
    public var body: Body
    /// Overrides the client's default timeout for this call.
    public var timeout: Duration?
    /// Largest response body read into memory.
    public var maxResponseBytes: Int

    public init(
        method: String, path: String, query: [URLQueryItem] = [], headers: [(String, String)] = [], body: Body = .none,
        timeout: Duration? = nil, maxResponseBytes: Int = 64 << 20
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
    }

    /// A GET.
    public static func get(_ path: String, query: [URLQueryItem] = [], headers: [(String, String)] = []) -> RegionalRequest {
        RegionalRequest(method: "GET", path: path, query: query, headers: headers)
    }

    /// A DELETE.
    public static func delete(_ path: String, headers: [(String, String)] = []) -> RegionalRequest {
        RegionalRequest(method: "DELETE", path: path, headers: headers)
    }

    /// A request with a JSON body encoded from one of the shared models.
    public static func json(
        _ method: String, _ path: String, body: some Encodable, headers: [(String, String)] = []
    ) throws -> RegionalRequest {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = try encoder.encode(body)
        return RegionalRequest(
            method: method, path: path, headers: headers, body: .bytes(ByteBuffer(data: data), contentType: "application/json"))
    }

    /// A request with a JSON body given as bytes (passed through unchanged).
    public static func rawJSON(_ method: String, _ path: String, body: ByteBuffer, headers: [(String, String)] = []) -> RegionalRequest {
        RegionalRequest(method: method, path: path, headers: headers, body: .bytes(body, contentType: "application/json"))
    }

    /// Whether the request can be sent again unchanged (streamed bodies cannot).
    var isReplayable: Bool {
        if case .stream = body { return false }
        return true
    }

    /// The full URL for an endpoint base URL.
    func url(base: String) -> String {
        var url = base + path
        if !query.isEmpty {
            var components = URLComponents()
            components.queryItems = query
            let encoded = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B") ?? ""
            url += (path.contains("?") ? "&" : "?") + encoded
        }
        return url
    }
}

/// A regional service's answer, whatever its status.
public struct RegionalResponse: Sendable {
    public var url: String
    public var status: Int
    public var headers: [(String, String)]
    public var body: ByteBuffer

    public init(url: String, status: Int, headers: [(String, String)], body: ByteBuffer) {
        self.url = url
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// 2xx.
    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The first value of a header, case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { Self.sameName($0.0, name) }?.1
    }

    /// ASCII case-insensitive equality of header names (Foundation's `caseInsensitiveCompare` bridges each
    /// pair to NSString; relaying an answer asks for several headers).
    public static func sameName(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && zip(a.utf8, b.utf8).allSatisfy { x, y in
            x == y || (x | 0x20 == y | 0x20 && (x | 0x20) >= UInt8(ascii: "a") && (x | 0x20) <= UInt8(ascii: "z"))
        }
    }

    /// The service's request id (`x-openstack-request-id` or `x-compute-request-id`).
    public var requestID: String? { header("x-openstack-request-id") ?? header("x-compute-request-id") }

    /// The body as bytes.
    public var data: Data { Data(buffer: body) }

    /// Decodes the JSON body; `.invalidResponse` when it does not match.
    public func decode<T: Decodable>(_ type: T.Type, decoder: JSONDecoder = JSONDecoder()) throws -> T {
        do {
            // Untyped answers (most of what the gateway relays with a change) skip Codable's containers.
            if type == JSONValue.self, let value = try body.withUnsafeReadableBytes({ try JSONValue(bytes: $0) }) as? T {
                return value
            }
            return try decoder.decode(T.self, from: body)
        } catch {
            throw OpenStackClientError.invalidResponse(url: url, reason: "\(T.self): \(error)")
        }
    }

    /// Throws `.http` unless the status is 2xx; returns self for chaining.
    @discardableResult
    public func requireSuccess() throws -> RegionalResponse {
        guard isSuccess else {
            throw OpenStackClientError.http(self)
        }
        return self
    }
}
