import Foundation
import HTTPTypes
import Hummingbird
import OpenStackModels

/// One authenticated call to a microversioned simulated API (Compute, Block Storage).
struct MicroversionedCall: Sendable {
    let request: Request
    let context: BasicRequestContext
    let token: SimulatedToken
    let version: Microversion
    /// `http://host:port`.
    let base: String
    let now: Date

    /// A path parameter; 404 when absent (cannot happen with the registered routes).
    func param(_ name: String) throws -> String {
        guard let value = context.parameters.get(name) else { throw SimulatorError.notFound("Not found") }
        return value.removingPercentEncoding ?? value
    }

    func atLeast(_ major: Int, _ minor: Int) -> Bool { version >= Microversion(major, minor) }
    var isAdmin: Bool { token.isAdmin }
    func query(_ key: String) -> String? { SimHTTP.query(request, key) }
}

extension MicroversionedCall {
    typealias Handler = @Sendable (Request, BasicRequestContext) async throws -> Response

    /// Wraps a handler with authentication, microversion negotiation and the service's response headers.
    /// - `requestIDHeaders`: header names that carry the request id (Nova sends two).
    /// - `check`: a service's own request check after authentication (Cinder's project in the URL).
    static func handler(
        region: SimulatedRegionContext, policy: MicroversionPolicy, requestIDHeaders: [String],
        check: @escaping @Sendable (Request, BasicRequestContext, SimulatedToken) throws -> Void = { _, _, _ in },
        _ body: @escaping @Sendable (MicroversionedCall) async throws -> Response
    ) -> Handler {
        { request, context in
            let requestID = SimHTTP.requestID()
            var headers = requestIDHeaders.map { ($0, requestID) }
            do {
                // keystonemiddleware rejects bad tokens before the service looks at the version.
                let token = try region.authenticate(request, format: .fault)
                let version = try policy.negotiate(request)
                headers += policy.headers(for: version)
                try check(request, context, token)
                let call = MicroversionedCall(
                    request: request, context: context, token: token, version: version,
                    base: SimHTTP.baseURL(request), now: region.now())
                var response = try await body(call)
                for (name, value) in headers {
                    if let field = HTTPField.Name(name) { response.headers[field] = value }
                }
                return response
            } catch var error as SimulatorError {
                error.headers += headers
                return try error.response(from: request, context: context)
            }
        }
    }
}
