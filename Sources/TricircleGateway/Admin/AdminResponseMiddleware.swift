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

/// What no admin route takes reaches the router's not-found answer, a bare 404; this answers it in the admin
/// format instead: 405 with `Allow` when the path is served with other methods (a method the routes cannot list,
/// like QUERY or FOO), else 404. Paths are matched against the served route table, `{id}` as any one segment.
struct AdminFallbackMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: [AdminRoute]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = Self.allowed(path: request.uri.path, routes: routes)
            let adminError = allowed.isEmpty
                ? AdminError.notFound("No admin API resource at \(request.method) \(BodySchema.shown(request.uri.path))")
                : AdminError.methodNotAllowed(request.method, path: request.uri.path, allowed: allowed)
            var response = AdminJSON.response(adminError.fault, status: adminError.status)
            response.headers.append(contentsOf: adminError.headers)
            response.headers[.adminRequestID] = AdminResponseMiddleware<Context>.requestID(request, context: context)
            return response
        }
    }

    /// The methods served on `path`, in `AdminAPI.answeredMethods` order.
    static func allowed(path: String, routes: [AdminRoute]) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/")
        let methods = Set(routes.filter { route in
            let pattern = route.path.split(separator: "/")
            return pattern.count == segments.count
                && zip(pattern, segments).allSatisfy { $0.hasPrefix("{") || $0.hasPrefix(":") || $0 == $1 }
        }.map(\.method))
        return AdminAPI.answeredMethods.filter(methods.contains)
    }
}

extension HTTPField.Name {
    /// `x-openstack-request-id`, on every OpenStack API response. (The literal is valid, so the fallback
    /// only exists to avoid a force unwrap.)
    static let adminRequestID: HTTPField.Name = HTTPField.Name("x-openstack-request-id") ?? .via
}
