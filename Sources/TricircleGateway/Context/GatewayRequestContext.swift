import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OpenStackClient

/// A request context that carries a request id and, once the auth middleware ran, the caller.
public protocol AuthenticatedRequestContext: RequestContext {
    /// `req-<uuid>`, echoed as `x-openstack-request-id`.
    var requestID: String { get }
    /// Set by `KeystoneAuthMiddleware`; nil on routes that need no token.
    var caller: AuthenticatedCaller? { get set }
}

extension AuthenticatedRequestContext {
    /// The caller, or a 401 in the generic format when a route behind no auth middleware asks for one.
    public func requireCaller() throws -> AuthenticatedCaller {
        guard let caller else { throw HTTPError(.unauthorized, message: "The request you have made requires authentication.") }
        return caller
    }

    /// The credentials to forward to pods: the caller's token and project plus this request's id.
    public func podCredentials() throws -> ServiceCredentials {
        try requireCaller().credentials(requestID: requestID)
    }
}

/// The gateway's request context: request id and authenticated caller for every front-end.
public struct GatewayRequestContext: AuthenticatedRequestContext {
    public var coreContext: CoreRequestContextStorage
    public private(set) var requestID: String
    /// The connection the request came on (its peer decides whether forwarded headers are trusted).
    public let channel: any Channel
    public var caller: AuthenticatedCaller? {
        didSet {
            if let caller {
                logger[metadataKey: "project_id"] = .string(caller.projectID)
                logger[metadataKey: "user_id"] = .string(caller.userID)
            }
        }
    }

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.requestID = Self.newRequestID()
        self.channel = source.channel
        self.caller = nil
        self.logger[metadataKey: "request_id"] = .string(requestID)
    }

    /// Takes the caller's own request id (already checked to be a `req-<uuid>`) instead of the fresh one, as
    /// oslo's global request id: the caller, the gateway and the regions then log the same id.
    mutating func adoptRequestID(_ id: String) {
        requestID = id.lowercased()
        logger[metadataKey: "request_id"] = .string(requestID)
    }

    /// A fresh `req-<uuid>` (lowercase, as OpenStack services print them).
    public static func newRequestID() -> String {
        "req-" + UUID().uuidString.lowercased()
    }
}

/// Puts `x-openstack-request-id` on every response, including errors thrown by later middleware and routes.
/// Mount it first (outermost).
public struct RequestIDMiddleware<Context: AuthenticatedRequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        if response.headers[.openStackRequestID] == nil {
            response.headers[.openStackRequestID] = context.requestID
        }
        return response
    }
}

extension HTTPField.Name {
    /// `x-openstack-request-id`.
    static let openStackRequestID: HTTPField.Name = HTTPField.Name("x-openstack-request-id") ?? .via
    /// `X-Auth-Token`.
    static let authToken: HTTPField.Name = HTTPField.Name("X-Auth-Token") ?? .via
}
