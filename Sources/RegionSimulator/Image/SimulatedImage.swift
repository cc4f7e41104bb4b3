import Foundation
import HTTPTypes
import Hummingbird
import OpenStackModels

/// Glance (Image API v2) of one simulated region: images with streamed upload and download, checksums
/// and os_hash fields, JSON-patch updates, tags, deactivation, members (sharing), schemas and Glance's paging.
public struct SimulatedImage: SimulatedService {
    public let serviceType = "image"
    public let serviceName = "glance"
    public let endpointPath = ""
    /// The region state shared with this region's compute and block storage services.
    public let store: RegionStore
    /// Largest upload accepted (image data lives in memory).
    public var maxImageSize: Int

    public init(store: RegionStore, maxImageSize: Int = 256 << 20) {
        self.store = store
        self.maxImageSize = maxImageSize
    }

    public func makeRouter(context: SimulatedRegionContext) -> Router<BasicRequestContext> {
        let router = Router()
        let api = ImageAPI(region: context, store: store, maxImageSize: maxImageSize)
        router.get("/") { request, _ in api.versions(request, status: 300) }
        router.get("/versions") { request, _ in api.versions(request, status: 200) }
        router.get("/v2") { request, _ in api.versions(request, status: 300) }
        let v = router.group("/v2")
        v.get("images", use: api.handler(api.listImages))
        v.post("images", use: api.handler(api.createImage))
        v.get("images/:id", use: api.handler(api.showImage))
        v.patch("images/:id", use: api.handler(api.patchImage))
        v.delete("images/:id", use: api.handler(api.deleteImage))
        v.put("images/:id/file", use: api.handler(api.upload))
        v.get("images/:id/file", use: api.handler(api.download))
        v.put("images/:id/tags/:tag", use: api.handler(api.addTag))
        v.delete("images/:id/tags/:tag", use: api.handler(api.deleteTag))
        v.post("images/:id/actions/deactivate", use: api.handler(api.deactivate))
        v.post("images/:id/actions/reactivate", use: api.handler(api.reactivate))
        v.get("schemas/image", use: api.handler(api.imageSchema))
        v.get("schemas/images", use: api.handler(api.imagesSchema))
        v.get("schemas/member", use: api.handler(api.memberSchema))
        v.get("schemas/members", use: api.handler(api.membersSchema))
        v.get("images/:id/members", use: api.handler(api.listMembers))
        v.post("images/:id/members", use: api.handler(api.addMember))
        v.get("images/:id/members/:member", use: api.handler(api.showMember))
        v.put("images/:id/members/:member", use: api.handler(api.updateMember))
        v.delete("images/:id/members/:member", use: api.handler(api.deleteMember))
        v.get("info/import", use: api.handler(api.importInfo))
        v.get("info/stores", use: api.handler(api.storesInfo))
        v.put("images/:id/stage", use: api.handler(api.stage))
        v.post("images/:id/import", use: api.handler(api.importImage))
        v.get("images/:id/tasks", use: api.handler(api.imageTasks))
        v.get("tasks", use: api.handler(api.listTasks))
        v.get("tasks/:id", use: api.handler(api.showTask))
        return router
    }
}

/// One authenticated Image API call.
struct ImageCall: Sendable {
    let request: Request
    let context: BasicRequestContext
    let token: SimulatedToken
    let base: String
    let now: Date
    /// This call's request id, answered in `x-openstack-request-id` and recorded in what the call starts (an
    /// import's task): Glance's context middleware adopts the caller's `X-OpenStack-Request-ID` as its own.
    let requestID: String

    func param(_ name: String) throws -> String {
        guard let value = context.parameters.get(name) else { throw ImageAPI.error(404, "Not found") }
        return value.removingPercentEncoding ?? value
    }
    var isAdmin: Bool { token.isAdmin }
}

/// Glance's handlers over one region's state.
struct ImageAPI: Sendable {
    let region: SimulatedRegionContext
    let store: RegionStore
    let maxImageSize: Int

    static func error(_ status: Int, _ message: String) -> SimulatorError {
        SimulatorError(status: status, message: message, format: .glance)
    }

    typealias Handler = @Sendable (Request, BasicRequestContext) async throws -> Response

    func handler(_ body: @escaping @Sendable (ImageCall) async throws -> Response) -> Handler {
        { request, context in
            let requestID = request.headers[.xOpenStackRequestID].flatMap { $0.isEmpty || $0.count > 64 ? nil : $0 } ?? SimHTTP.requestID()
            do {
                let token = try region.authenticate(request, format: .glance)
                let call = ImageCall(request: request, context: context, token: token, base: SimHTTP.baseURL(request), now: region.now(),
                                     requestID: requestID)
                var response = try await body(call)
                response.headers[.xOpenStackRequestID] = requestID
                return response
            } catch var error as SimulatorError {
                error.headers.append(("x-openstack-request-id", requestID))
                return try error.response(from: request, context: context)
            }
        }
    }

    func versions(_ request: Request, status: Int) -> Response {
        let base = SimHTTP.baseURL(request)
        var versions: [JSONValue] = []
        for minor in stride(from: 16, through: 0, by: -1) {
            let id = "v2.\(minor)"
            let status = minor == 16 ? "CURRENT" : "SUPPORTED"
            versions.append(["id": .string(id), "status": .string(status), "links": [["rel": "self", "href": .string("\(base)/v2/")]]])
        }
        return SimHTTP.json(["versions": .array(versions)], status: status)
    }

    // MARK: Visibility

    /// Whether the caller may see the image at all (404 otherwise): a shared image's members see it
    /// whatever their answer to the share.
    func canSee(_ image: ImageRecord, _ call: ImageCall, in state: ImageState) -> Bool {
        call.isAdmin || image.visibility == "public" || image.visibility == "community" || image.owner == call.token.projectID
            || memberStatus(image, call, in: state) != nil
    }

    /// The caller's answer to the share of a shared image it does not own; nil when not a member.
    func memberStatus(_ image: ImageRecord, _ call: ImageCall, in state: ImageState) -> String? {
        guard image.visibility == "shared" else { return nil }
        return state.members[image.id]?.first { $0.memberID == call.token.projectID }?.status
    }

    /// Whether the caller may change the image (403 otherwise).
    func canModify(_ image: ImageRecord, _ call: ImageCall) -> Bool {
        call.isAdmin || image.owner == call.token.projectID
    }

    func findImage(_ id: String, _ call: ImageCall, in state: ImageState) throws -> ImageRecord {
        guard let image = state.images[id]?.settled(at: call.now), canSee(image, call, in: state) else {
            throw Self.error(404, "No image found with ID \(id)")
        }
        return image
    }
}
