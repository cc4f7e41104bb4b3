import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TricircleCore

/// Wraps every admin route: turns any thrown error into the admin fault format (so a 400 from validation,
/// a 409 from the store and an unexpected 500 all look alike) and makes sure the response carries
/// `x-openstack-request-id`.
struct AdminResponseMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            let adminError = AdminError.from(error)
            if adminError.status.code >= 500 {
                // Unexpected failures in full; expected ones (bad input, conflicts) are the client's business.
                let level: Logger.Level = error is AdminError ? .warning : .error
                context.logger.log(level: level, "admin API \(request.method) \(request.uri.path): \(String(reflecting: error))")
            }
            response = AdminJSON.response(adminError.fault, status: adminError.status)
            response.headers.append(contentsOf: adminError.headers)
        }
        if response.headers[.adminRequestID] == nil {
            response.headers[.adminRequestID] = AdminResponseMiddleware.requestID(request, context: context)
        }
        return response
    }

    /// The gateway context's request id (the one in its logs) when there is one, else a fresh `req-<uuid>`.
    static func requestID(_ request: Request, context: Context) -> String {
        if let gateway = context as? any AuthenticatedRequestContext { return gateway.requestID }
        return "req-" + Identifier.make()
    }
}

extension HTTPField.Name {
    /// `x-openstack-request-id`, on every OpenStack API response. (The literal is valid, so the fallback
    /// only exists to avoid a force unwrap.)
    static let adminRequestID: HTTPField.Name = HTTPField.Name("x-openstack-request-id") ?? .via
}
