import Hummingbird
import OpenStackModels
import TricircleCore
import TricircleJobs
import TricircleStore

/// The Tricircle-compatible admin API (port 19999): pods, resource routings and jobs under `/v1.0`.
///
/// It checks input and answers in Tricircle's fault format; authentication and the admin-role check are
/// the caller's middleware (mount these routes behind them). Usage:
/// ```swift
/// let admin = AdminAPI(store: store, jobs: engine, regionExists: { try await keystone.regionExists($0) })
/// admin.addVersionRoutes(to: router)               // GET /, GET /v1.0, GET /v1.0/openapi.json (no auth needed)
/// admin.addRoutes(to: router.group().add(middleware: auth).add(middleware: requireAdmin))
/// ```
public struct AdminAPI: Sendable {
    /// The port Tricircle's admin API listened on.
    public static let defaultPort = 19999
    /// Largest `limit` a list accepts.
    public static let maxPageSize = 1000

    let pods: PodStore
    let routings: RoutingStore
    let jobs: JobEngine
    let regionExists: @Sendable (String) async throws -> Bool
    let maxBodySize: Int
    let defaultPageSize: Int
    let publicURL: String?

    /// - Parameters:
    ///   - store: the state database (pods and routings are read and written through it).
    ///   - jobs: the job engine behind `/v1.0/jobs`.
    ///   - regionExists: whether a Keystone region with this id exists (a pod's name must be one).
    ///   - maxBodySize: request bodies above this many bytes get a 413.
    ///   - defaultPageSize: rows per page when a list request gives no `limit`.
    ///   - publicURL: the base URL clients use, for next links; by default the request's own host.
    public init(
        store: StateStore, jobs: JobEngine, regionExists: @escaping @Sendable (String) async throws -> Bool,
        maxBodySize: Int = 64 * 1024, defaultPageSize: Int = 200, publicURL: String? = nil
    ) {
        self.pods = PodStore(store: store)
        self.routings = RoutingStore(store: store)
        self.jobs = jobs
        self.regionExists = regionExists
        self.maxBodySize = max(1024, maxBodySize)
        self.defaultPageSize = min(max(1, defaultPageSize), Self.maxPageSize)
        self.publicURL = publicURL
    }

    /// Adds every `/v1.0` route (pods, routings, jobs). Put authentication and the admin check in front.
    public func addRoutes<Router: RouterMethods>(to router: Router) {
        let group = router.group().add(middleware: AdminResponseMiddleware<Router.Context>())
        addResourceRoutes(to: group)
        Self.addMethodNotAllowedRoutes(for: recordedRoutes(addResourceRoutes), to: group)
        // Unknown paths under /v1.0 answer in the admin format too (not the router's bare 404).
        for method in Self.answeredMethods {
            group.on("/v1.0/**", method: method) { request, _ -> Response in
                throw AdminError.notFound("No admin API resource at \(method) \(BodySchema.shown(request.uri.path))")
            }
        }
    }

    /// Adds `GET /`, `GET /v1.0` (the version documents) and `GET /v1.0/openapi.json`, which need no token
    /// (as in Tricircle; the OpenAPI document holds no data, only what the code's public routes are).
    /// Mounted on the admin router itself, it also answers methods no route knows (QUERY, FOO) in the admin format.
    public func addVersionRoutes<Router: RouterMethods>(to router: Router) {
        _ = router.add(middleware: AdminFallbackMiddleware<Router.Context>(routes: servedRoutes()))
        let group = router.group().add(middleware: AdminResponseMiddleware<Router.Context>())
        addDocumentRoutes(to: group)
        Self.addMethodNotAllowedRoutes(for: recordedRoutes(addDocumentRoutes), to: group)
        // Paths outside /v1.0 (before any token check, like the version documents) in the admin format too.
        for method in Self.answeredMethods {
            group.on("/**", method: method) { request, _ -> Response in
                throw AdminError.notFound("No admin API resource at \(method) \(BodySchema.shown(request.uri.path))")
            }
        }
    }

    /// The methods a path may be asked with that get an answer in the admin format (404, 405) when not served.
    static let answeredMethods: [HTTPRequest.Method] = [.get, .post, .put, .delete, .patch, .head, .options, .trace]

    func addResourceRoutes<Router: RouterMethods>(to router: Router) {
        addPodRoutes(to: router)
        addRoutingRoutes(to: router)
        addJobRoutes(to: router)
        addFlavorMappingRoutes(to: router)
    }

    func addDocumentRoutes<Router: RouterMethods>(to router: Router) {
        router.get("/") { request, _ in
            AdminJSON.response(APIVersionList(versions: [Self.version(request, base: publicURL)]))
        }
        router.get("/v1.0") { request, _ in
            AdminJSON.response(APIVersionDocument(version: Self.version(request, base: publicURL)))
        }
        router.get(RouterPath(AdminOpenAPI.path)) { _, _ in AdminJSON.response(AdminOpenAPI.document) }
    }

    /// Every route the admin API serves (version documents included), as registered.
    func servedRoutes() -> [AdminRoute] {
        recordedRoutes(addDocumentRoutes) + recordedRoutes(addResourceRoutes)
    }

    func recordedRoutes(_ add: (AdminRouteRecorder<BasicRequestContext>) -> Void) -> [AdminRoute] {
        let recorder = AdminRouteRecorder<BasicRequestContext>()
        add(recorder)
        return recorder.routes
    }

    /// A method a served path does not take answers 405 with `Allow` (the router alone would give a bare 404).
    static func addMethodNotAllowedRoutes<Router: RouterMethods>(for routes: [AdminRoute], to router: Router) {
        let byPath = Dictionary(grouping: routes, by: \.path)
        for path in byPath.keys.sorted() {
            let allowed = Self.answeredMethods.filter { method in byPath[path]?.contains { $0.method == method } == true }
            for method in Self.answeredMethods where !allowed.contains(method) {
                router.on(RouterPath(path), method: method) { request, _ -> Response in
                    throw AdminError.methodNotAllowed(method, path: request.uri.path, allowed: allowed)
                }
            }
        }
    }

    static func version(_ request: Request, base: String?) -> APIVersion {
        APIVersion(
            id: "v1.0", status: "CURRENT", version: "", minVersion: "", updated: "2016-01-01T00:00:00Z",
            links: [Link(rel: "self", href: AdminPaging.origin(request, base: base) + "/v1.0/")],
            mediaTypes: [MediaTypeEntry(type: "application/vnd.openstack.tricircle-v1.0+json")])
    }
}
