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

/// What every server route shares: finding a server's pod, calling a pod at the negotiated microversion
/// through its circuit, and relaying the pod's answer with links pointing at the gateway. Made from the
/// runtime once (`init(runtime:...)`): routes reach the gateway through these, not the whole runtime.
struct ComputePodCalls: Sendable, UsesGatewayServices {
    /// The whole runtime, for what is still built from it (the job submission of a boot's adoption).
    let runtime: GatewayRuntime
    let forwarder: PodForwarder
    /// Neutron and Glance in the pods, for what a boot or a proxy asks of them.
    let neutron: PodForwarder, glance: PodForwarder
    let microversions: ComputeMicroversions
    let health: PodHealth
    let provisioners: BootProvisioners
    /// How a server its pod no longer has is forgotten (with its boot's ports), as the audit forgets one too.
    let goneServers: GoneServers
    let views: ServerViews
    let logger: Logger
    let services: GatewayServices
    /// The store's tables the routes read.
    let keypairs: KeypairStore, serverGroups: ServerGroupStore, flavors: FlavorStore, networks: NetworkDocumentStore
    /// The top region's name (its Glance is the home image service).
    let topRegionName: String

    init(runtime: GatewayRuntime, microversions: ComputeMicroversions, health: PodHealth, provisioners: BootProvisioners) {
        self.runtime = runtime
        forwarder = runtime.forwarder(serviceType: "compute", format: .fault)
        neutron = runtime.forwarder(serviceType: "network", format: .fault)
        glance = runtime.forwarder(serviceType: "image", format: .fault)
        self.microversions = microversions
        self.health = health
        self.provisioners = provisioners
        goneServers = GoneServers(runtime: runtime, network: provisioners.network)
        networks = NetworkDocumentStore(store: runtime.store)
        views = ServerViews(routings: runtime.routing.routings, networks: networks)
        logger = Logger(label: "tricircle.compute")
        services = GatewayServices(runtime: runtime)
        keypairs = KeypairStore(store: runtime.store)
        serverGroups = ServerGroupStore(store: runtime.store)
        flavors = FlavorStore(store: runtime.store)
        topRegionName = runtime.config.topRegionName
    }

    /// The project whose resources the caller may reach through the routing table (nil: any, for admins).
    static func scope(_ caller: AuthenticatedCaller) -> String? { caller.isAdmin ? nil : caller.projectID }

    /// The pod a server lives in; 404 `itemNotFound` when the caller cannot see such a server.
    func owningPod(serverID: String, caller: AuthenticatedCaller) async throws -> Pod {
        guard let row = try await routing.resolveOne(topID: serverID, type: .server, projectID: Self.scope(caller)),
              let pod = try await pods.pod(id: row.podID)
        else { throw Nova.serverNotFound(serverID) }
        return pod
    }

    /// Starts a call on a routed server (`:id` in the path unless named): the caller, the server's pod
    /// (404 when the caller cannot see the server), the caller's credentials and the negotiated microversion.
    func server(_ request: Request, _ context: GatewayRequestContext, id: String? = nil) async throws -> ServerCall {
        let id = try id ?? context.parameters.require("id")
        let caller = try context.requireCaller()
        let pod = try await owningPod(serverID: id, caller: caller)
        let credentials = caller.credentials(requestID: context.requestID)
        let version = try await microversions.negotiate(request, credentials: credentials)
        return ServerCall(id: id, caller: caller, pod: pod, credentials: credentials, version: version)
    }

    /// Sends `method path` to the server's pod at the call's microversion.
    func call(_ method: String, _ path: String, on server: ServerCall, body: ByteBuffer? = nil) async throws -> RegionalResponse {
        try await call(method, path, pod: server.pod, version: server.version, credentials: server.credentials, body: body)
    }

    /// Sends to a pod through its circuit (the forwarder's): an open circuit fails at once with 503.
    func send(_ request: RegionalRequest, to pod: Pod, credentials: ServiceCredentials) async throws -> RegionalResponse {
        try await forwarder.send(request, to: pod, credentials: credentials)
    }

    /// Sends `method path` to a pod at `version` with an optional JSON body.
    func call(
        _ method: String, _ path: String, pod: Pod, version: Microversion, credentials: ServiceCredentials,
        body: ByteBuffer? = nil, timeout: Duration? = nil
    ) async throws -> RegionalResponse {
        var request = RegionalRequest(method: method, path: path, headers: ComputeMicroversions.podHeaders(version))
        if let body { request.body = .bytes(body, contentType: "application/json") }
        request.timeout = timeout
        return try await send(request, to: pod, credentials: credentials)
    }

    /// The request's path below `/v2.1` (and below a project id in the path) with its query, as the
    /// pod's endpoint takes it.
    static func podPath(_ request: Request) -> String {
        var path = Substring(request.uri.path)
        if path.hasPrefix("/v2.1") { path = path.dropFirst("/v2.1".count) }
        if !path.hasPrefix("/servers"), let slash = path.dropFirst().firstIndex(of: "/") { path = path[slash...] }
        return String(path) + PodForwarder.query(of: request)
    }

    /// The client's body (read and bounded by the kit's body middleware).
    static func body(_ request: Request) async throws -> ByteBuffer {
        try await request.bufferedBody(format: .fault)
    }

    /// Parses a JSON object body; Nova's 400 when it is not one.
    static func jsonObject(_ buffer: ByteBuffer) throws -> [String: JSONValue] {
        guard let value = try? JSONValue(data: Data(buffer: buffer)), let object = value.objectValue else {
            throw Nova.malformedBody
        }
        return object
    }

    /// A route under `/servers/{id}/...` the top does not interpret: sent to the server's pod unchanged.
    func forwardToServer(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await passThrough(request, context: context, serverID: try context.parameters.require("id"))
    }

    /// Forwards the client's request as is (method, path, query, body) to the server's pod and relays.
    func passThrough(_ request: Request, context: GatewayRequestContext, serverID: String) async throws -> Response {
        let server = try await server(request, context, id: serverID)
        let body: ByteBuffer? = request.method == .get || request.method == .delete || request.method == .head
            ? nil : try await Self.body(request)
        let response = try await call(
            request.method.rawValue, Self.podPath(request), on: server, body: body.flatMap { $0.readableBytes > 0 ? $0 : nil })
        return Self.relay(response, request: request)
    }

    // MARK: Relaying

    /// "http://host:port[/prefix]" the pod's links start with: its endpoint without the trailing `/v2.1`.
    static func podRoot(of response: RegionalResponse, sentPath: String) -> String? {
        var base = response.url
        if let q = base.firstIndex(of: "?") { base = String(base[..<q]) }
        var path = sentPath
        if let q = path.firstIndex(of: "?") { path = String(path[..<q]) }
        if !path.isEmpty, base.hasSuffix(path) { base.removeLast(path.count) }
        if base.hasSuffix("/") { base.removeLast() }
        if base.hasSuffix("/v2.1") { base.removeLast("/v2.1".count) }
        return base.isEmpty ? nil : base
    }

    /// The gateway's root as this client reached it.
    static func gatewayRoot(_ request: Request) -> String { PodForwarder.publicOrigin(of: request) ?? "" }

    /// The pod's answer for the client (the kit's relay), with Nova's root: the pod's endpoint without its
    /// `/v2.1` is replaced by the gateway's, so links under a path-prefixed endpoint lead back here too.
    static func relay(_ response: RegionalResponse, request: Request) -> Response {
        let sent = URLComponents(string: response.url)?.percentEncodedPath ?? ""
        var relayed = PodForwarder.relay(
            response, publicOrigin: gatewayRoot(request), podRoot: podRoot(of: response, sentPath: Self.pathAfterVersion(sent)),
            format: .fault)
        // The pod's own request id: what its action log (`os-instance-actions/{request_id}`) and logs know
        // the call by (the top's is in x-openstack-request-id).
        if let podRequestID = response.header("x-compute-request-id"), let name = HTTPField.Name("x-compute-request-id") {
            relayed.headers[name] = podRequestID
        }
        return relayed
    }

    /// "/servers/x" out of "/prefix/v2.1/servers/x" (what was appended to the endpoint).
    static func pathAfterVersion(_ path: String) -> String {
        guard let range = path.range(of: "/v2.1") else { return path }
        return String(path[range.upperBound...])
    }
}

/// One call on a routed server, gathered once for every `/servers/{id}/...` route.
struct ServerCall: Sendable {
    let id: String
    let caller: AuthenticatedCaller
    /// The pod the server lives in.
    let pod: Pod
    /// The caller's token, for the pod.
    let credentials: ServiceCredentials
    /// The negotiated microversion, sent on to the pod.
    let version: Microversion
}
