import HTTPTypes
import Hummingbird

/// The router every listener of the gateway is built on: Hummingbird's trie router plus a record of the
/// routes registered on it, so that a path served for some methods answers the others with 405 and an
/// `Allow` header (as the OpenStack services do) instead of a bare 404.
///
/// Build one with `GatewayRuntime.frontEndRouter(format:)`; groups made from it (`router.group(...)`)
/// register through it, so every route is seen whatever middleware its group carries.
public final class GatewayRouter: RouterMethods, HTTPResponderBuilder, @unchecked Sendable {
    public typealias Context = GatewayRequestContext

    // Routes are registered while the listener is being set up, on one task, before the responder is
    // built: nothing reads or writes these concurrently (hence the unchecked Sendable).
    private let router: Router<GatewayRequestContext>
    private var methodsByPath: [String: Set<HTTPRequest.Method>] = [:]
    private var pathOrder: [RouterPath] = []
    /// How the 405 answers are worded.
    public let format: APIFaultFormat

    public init(format: APIFaultFormat) {
        self.router = Router(context: GatewayRequestContext.self)
        self.format = format
    }

    /// Middleware for every request, including unknown paths and wrong methods (outermost first).
    @discardableResult public func add(middleware: any MiddlewareProtocol<Request, Response, GatewayRequestContext>) -> Self {
        router.add(middleware: middleware)
        return self
    }

    @discardableResult public func on<Responder: HTTPResponder>(
        _ path: RouterPath, method: HTTPRequest.Method, responder: Responder
    ) -> Self where Responder.Context == GatewayRequestContext {
        let key = path.description
        if methodsByPath[key] == nil { pathOrder.append(path) }
        methodsByPath[key, default: []].insert(method)
        router.on(path, method: method, responder: responder)
        return self
    }

    /// The methods a path (as registered) is served for.
    public func methods(of path: RouterPath) -> Set<HTTPRequest.Method> { methodsByPath[path.description] ?? [] }

    /// Every registered path with its methods, in registration order (for route listings and tests).
    public var routes: [(path: String, methods: [HTTPRequest.Method])] {
        pathOrder.map { path in
            (path.description, (methodsByPath[path.description] ?? []).sorted { $0.rawValue < $1.rawValue })
        }
    }

    static let answeredMethods: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete]

    public func buildResponder() -> RouterResponder<GatewayRequestContext> {
        // Every other method of a known path is a 405 naming the allowed ones. HEAD follows GET.
        for path in pathOrder {
            let allowed = methodsByPath[path.description] ?? []
            var allow = allowed.map(\.rawValue)
            if allowed.contains(.get), !allowed.contains(.head) { allow.append("HEAD") }
            let responder = MethodNotAllowedResponder(allow: allow.sorted().joined(separator: ", "), format: format)
            for method in Self.answeredMethods where !allowed.contains(method) {
                router.on(path, method: method, responder: responder)
            }
        }
        return router.buildResponder()
    }
}

/// Answers 405 with `Allow` in the API's error format.
struct MethodNotAllowedResponder: HTTPResponder {
    typealias Context = GatewayRequestContext
    let allow: String
    let format: APIFaultFormat

    func respond(to request: Request, context: GatewayRequestContext) async throws -> Response {
        // `DELETE /volumes/` names a member with an empty id: the services route it as one and answer 404
        // (Tempest's VolumesNegativeTest expects that), where the collection itself would be a 405.
        if request.uri.path.count > 1, request.uri.path.hasSuffix("/") {
            throw APIError(.notFound, "The resource could not be found.", format: format)
        }
        throw APIError(
            .methodNotAllowed, "The method \(request.method.rawValue) is not allowed for the requested URL.", format: format,
            headers: [.allow: allow])
    }
}
