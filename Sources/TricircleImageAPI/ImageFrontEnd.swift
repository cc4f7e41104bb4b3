import HTTPTypes
import Hummingbird
import Logging
import TricircleGateway
import TricircleJobs

/// The Image API (Glance v2) at the top: every call goes to the home image service (`image.home_region`),
/// image data streamed through; boots in other pods get a verified copy made by an `image_copy` job, and
/// images a pod makes itself (snapshots, volume uploads) are imported into the home by `image_import`.
public struct ImageFrontEnd: GatewayFrontEnd {
    public let runtime: GatewayRuntime
    let home: HomeImageService
    let provisioner: ImageProvisioner
    let imports: ImageImports
    let versions: ImageVersions

    /// Registers this module's job handlers (image copies, removal of copies and of their members, imports) with `registry`.
    public init(runtime: GatewayRuntime, registry: JobHandlerRegistry) {
        self.runtime = runtime
        let home = HomeImageService(runtime: runtime)
        self.home = home
        self.provisioner = ImageProvisioner(home: home)
        self.imports = ImageImports(home: home)
        self.versions = ImageVersions(home: home)
        registry.register(ImageCopyJob(home: home))
        registry.register(ImageCopiesDeleteJob(home: home))
        registry.register(ImageImportJob(home: home))
        registry.register(ImageMemberRemovalJob(home: home))
    }

    /// What a boot uses to make an image present in its pod.
    public var imageProvisioner: (any ImageProvisioning)? { provisioner }
    public var component: GatewayComponents { .image }
    public var name: String { "image" }
    public var port: Int { runtime.config.imagePort }
    public var serviceType: String { "image" }
    public var catalogPath: String { "" }

    /// What Glance reads as a JSON body: JSON, and its JSON-patch types for image updates.
    static let mediaTypes: Set<String> = [
        "application/json", "application/openstack-images-v2.1-json-patch", "application/openstack-images-v2.0-json-patch",
    ]

    public func makeRouter() -> GatewayRouter {
        let router = runtime.frontEndRouter(format: .glance)
        router.add(middleware: ImageLoopGuard())
        VersionRoutes(versions: versions).addRoutes(to: router.group())
        // Glance's JSON-patch media type for PATCH; image data routes stream and are not read whole.
        let v = runtime.authenticated(router, format: .glance, mediaTypes: Self.mediaTypes).group("/v2")
        let stream = runtime.authenticated(router, format: .glance, readsBody: false).group("/v2")
        let resources: [any APIRoutes] = [
            ImageRoutes(relay: ImageRelay(home: home), jobs: runtime.jobs, imports: imports, logger: Logger(label: "tricircle.image")),
        ]
        for r in resources { r.addRoutes(to: v) }
        ImageDataRoutes(home: home).addRoutes(to: stream)
        return router
    }
}

/// Answers 508 to a call the gateway itself made to "the home Glance": the home region's image endpoint
/// leads back here (a misconfigured catalog), and relaying it would loop until every connection is used.
struct ImageLoopGuard: RouterMiddleware {
    typealias Context = GatewayRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let name = HTTPField.Name(HomeImageService.hopHeader), request.headers[name] != nil {
            throw APIError(
                HTTPResponse.Status(code: 508),
                "The home image service's endpoint leads back to this gateway: set [image] home_region to a region with its own Glance.",
                format: .glance)
        }
        return try await next(request, context)
    }
}
