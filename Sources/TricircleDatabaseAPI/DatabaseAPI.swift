import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleJobs
import TricircleStore

/// What every Database route shares, built once per process from the runtime: the pods' Trove and Glance
/// forwarders, where instances live, the pods, merged lists, jobs, the timeouts, and the provisioners the
/// pre-create checks use (nil: that check is skipped and ids pass unchanged). Routes reach the gateway
/// through these, not the whole runtime.
struct DatabaseAPI: Sendable, UsesGatewayServices {
    /// The whole runtime, for what is still built from it (service credentials).
    let runtime: GatewayRuntime
    let services: GatewayServices
    let forwarder: PodForwarder
    /// The top's flavors (a `flavorRef` is checked against them).
    let flavorStore: FlavorStore
    /// The region whose Glance holds the top's images (`[image] home_region`).
    let imageHomeRegion: String?
    /// The pods' Glance, for the datastore image comparison.
    let glance: PodForwarder
    /// The top's flavor mapping (Compute's), so a `flavorRef` means the same flavor in every region.
    var flavors: (any FlavorMapping)?
    /// The top's Networking, so `nics` name top networks and ports (materialized in the instance's region).
    var network: (any NetworkProvisioning)?
    let logger = Logger(label: "tricircle.database")

    /// The catalog service type of Trove in the pods.
    static let podServiceType = "database"
    /// Trove's `instances_page_size`: the default and largest page of a list.
    static let pageSize = 20

    init(runtime: GatewayRuntime) {
        self.runtime = runtime
        self.forwarder = runtime.forwarder(serviceType: Self.podServiceType, format: .trove)
        self.services = GatewayServices(runtime: runtime)
        self.flavorStore = FlavorStore(store: runtime.store)
        self.imageHomeRegion = runtime.config.imageHomeRegion
        self.glance = runtime.forwarder(serviceType: "image", format: .trove)
    }

    /// Starts an authenticated call: the URL's project must be the token's, as Trove's tenant check says.
    func begin(_ request: Request, _ context: GatewayRequestContext) throws -> DatabaseCall {
        let caller = try context.requireCaller()
        let urlProject = context.parameters.get("project_id") ?? caller.projectID
        if urlProject != caller.projectID {
            throw APIError(.forbidden, "User with tenant id \(caller.projectID) cannot access this resource.", format: .trove)
        }
        return DatabaseCall(
            request: request, context: context, caller: caller, credentials: try context.podCredentials(),
            urlProject: urlProject, origin: PodForwarder.publicOrigin(of: request) ?? "")
    }

    /// The pod holding a routed instance (or cluster), or Trove's 404 when unknown or another project's.
    func locate(_ id: String, type: ResourceType = .databaseInstance, call: DatabaseCall) async throws -> (pod: Pod, bottomID: String) {
        let row = try await routing.resolveOne(
            topID: id, type: type, projectID: call.caller.isAdmin ? nil : call.caller.projectID)
        guard let row, let bottomID = row.bottomID, let pod = try await pods.pod(id: row.podID) else {
            throw type == .databaseCluster ? Self.fault(TroveError.clusterNotFound(id)) : Self.fault(TroveError.notFound(id))
        }
        return (pod, bottomID)
    }

    /// The client's request to `path` in `pod` (method, query, body when given).
    func forward(_ call: DatabaseCall, to pod: Pod, path: String, body: ByteBuffer? = nil) async throws -> RegionalResponse {
        try await forwarder.forward(call.request, context: call.context, to: pod, path: path, body: body)
    }

    /// A request the gateway composed, with the caller's token.
    func send(_ call: DatabaseCall, _ request: RegionalRequest, to pod: Pod) async throws -> RegionalResponse {
        try await forwarder.send(request, to: pod, credentials: call.credentials)
    }

    /// The pod's answer to the client, links pointing back at the gateway.
    func relay(_ response: RegionalResponse, _ call: DatabaseCall) -> Response {
        PodForwarder.relay(response, publicOrigin: call.origin.isEmpty ? nil : call.origin, format: .trove)
    }

    /// The request body (read and bounded by the kit's body middleware).
    func body(_ call: DatabaseCall) async throws -> ByteBuffer {
        try await call.request.bufferedBody(format: .trove)
    }

    /// The body as a JSON object holding `member`; Trove's 400 otherwise.
    func member(_ buffer: ByteBuffer, _ member: String) throws -> (whole: [String: JSONValue], member: [String: JSONValue]) {
        guard let whole = (try? JSONValue(data: Data(buffer: buffer)))?.objectValue else {
            throw Self.badRequest("The server could not comply with the request since it is either malformed or otherwise incorrect.")
        }
        guard let object = whole[member]?.objectValue else {
            throw Self.badRequest("Validation error: '\(member)' is a required property")
        }
        return (whole, object)
    }

    func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: Self.encode(value)))
    }

    static func encode(_ value: JSONValue) -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return ByteBuffer(data: (try? encoder.encode(value)) ?? Data("{}".utf8))
    }

    static func fault(_ fault: TroveFault) -> APIError {
        APIError(HTTPResponse.Status(code: fault.code), fault.message, format: .trove)
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message, format: .trove) }

    /// The top forgets an instance its pod no longer has as it forgets a gone server (`GoneServers`): the top
    /// ports its `nics` made released first, the routing row last, so a top that answers 404 for it has
    /// released them already.
    func forget(_ id: String, in pod: Pod, context: PodCallContext) async {
        await GoneServers(runtime: runtime, network: network).forget(id, type: .databaseInstance, in: pod, context: context)
    }

    /// Deletes what a pod made when the top could not record it (retried while the pod still builds it).
    func removeOrphan(_ call: DatabaseCall, path: String, in pod: Pod) async {
        await forwarder.removeOrphan(
            .delete(path), in: pod, credentials: call.credentials, patience: podTimeout, logger: logger)
    }
}

/// One authenticated Database call: who, and how the client reached us.
struct DatabaseCall: Sendable {
    let request: Request
    let context: GatewayRequestContext
    let caller: AuthenticatedCaller
    let credentials: ServiceCredentials
    let urlProject: String
    /// "http://host:port" as the client addressed the gateway.
    let origin: String

    /// "http://gateway/v1.0/{project}", for links the gateway writes.
    var base: String { "\(origin)/v1.0/\(urlProject)" }

    var podContext: PodCallContext { PodCallContext(caller: caller, requestID: context.requestID) }

    /// A path parameter, or 404 when absent.
    func param(_ name: String) throws -> String {
        guard let value = context.parameters.get(name) else {
            throw APIError(.notFound, "The resource could not be found.", format: .trove)
        }
        return value
    }
}
