import Foundation
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway

/// What Nova's networking proxies (`os-security-groups`, `os-floating-ips`, `os-networks`,
/// `os-tenant-networks`) share: they exist below microversion 2.36 only (from 2.36 Nova's own 404), and
/// answer from Neutron, which for the top is its own Networking API (the top region's endpoint), called
/// with the caller's token as Nova calls Neutron.
struct NeutronProxy: Sendable {
    let calls: ComputePodCalls

    /// Nova's proxies end at 2.35.
    static let lastVersion = Microversion(2, 35)

    /// The call, or Nova's 404 from 2.36 on.
    static func call(_ request: Request, _ context: GatewayRequestContext) throws -> CatalogCall {
        let call = try CatalogCall(request, context)
        guard call.version <= lastVersion else { throw Nova.notFound("The resource could not be found.") }
        return call
    }

    /// A Neutron answer: status and JSON body.
    struct Answer: Sendable {
        var status: Int
        var json: JSONValue
        var isSuccess: Bool { (200..<300).contains(status) }
        /// Neutron's own error message.
        var message: String { json["NeutronError"]?["message"]?.stringValue ?? "" }
    }

    /// `method /v2.0<path>` on the top's Networking API as the caller.
    func neutron(_ method: String, _ path: String, body: JSONValue? = nil, call: CatalogCall) async throws -> Answer {
        guard let top = try await calls.pods.top() else {
            throw APIError(.serviceUnavailable, "The top region is not registered; its networking cannot be reached.", format: .fault)
        }
        var request = RegionalRequest(method: method, path: "/v2.0" + path)
        if let body { request.body = .bytes(ByteBuffer(data: body.encoded()), contentType: "application/json") }
        let forwarder = calls.neutron
        let response = try await forwarder.send(request, to: top, credentials: call.caller.credentials(requestID: call.requestID))
        return Answer(status: response.status, json: (try? JSONValue(data: response.data)) ?? .null)
    }

    /// `?a=x&a=y` for an id filter.
    static func query(_ name: String, _ values: [String]) -> String {
        var components = URLComponents()
        components.queryItems = values.map { URLQueryItem(name: name, value: $0) }
        return components.percentEncodedQuery ?? ""
    }

    /// Nova's `common.limited`: `offset`, then at most `limit` (0 or none: 1000).
    static func limited<T>(_ items: [T], call: CatalogCall) throws -> [T] {
        var limit = 1000
        var offset = 0
        for name in ["limit", "offset"] {
            guard let text = call.query(name) else { continue }
            guard let n = Int(text), n >= 0 else {
                throw APIError(.badRequest, "Invalid input for query parameters \(name). Value: \(text). '\(text)' does not match '^[0-9]*$'", format: .fault)
            }
            if name == "limit" { limit = n == 0 ? 1000 : min(n, 1000) } else { offset = n }
        }
        return Array(items.dropFirst(offset).prefix(limit))
    }
}
