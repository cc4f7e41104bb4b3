import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway

/// What every Block Storage route shares, built once per process from the runtime: the forwarder, where
/// volumes live, the pods, merged lists, quotas, the negotiated microversion range and the per-pod
/// volume type names. Routes reach the gateway through these, not the whole runtime.
struct VolumeAPI: Sendable, UsesGatewayServices {
    let services: GatewayServices
    let forwarder: PodForwarder
    let versions: VolumeVersionRange
    let types: VolumeTypeCatalog
    /// Copies a top image into a pod before a volume is made from it there (nil: ids pass unchanged).
    var images: (any ImageProvisioning)?
    let logger = Logger(label: "tricircle.volume")

    /// The catalog service type of Cinder in the pods.
    static let podServiceType = "volumev3"

    init(runtime: GatewayRuntime) {
        let forwarder = runtime.forwarder(serviceType: Self.podServiceType, format: .fault)
        self.forwarder = forwarder
        self.services = GatewayServices(runtime: runtime)
        self.versions = VolumeVersionRange(runtime: runtime)
        self.types = VolumeTypeCatalog(pods: runtime.podDirectory, forwarder: forwarder)
    }

    /// Starts an authenticated call: checks the URL's project, negotiates the microversion.
    func begin(_ request: Request, _ context: GatewayRequestContext) async throws -> VolumeCall {
        let caller = try context.requireCaller()
        let urlProject = context.parameters.get("project_id")
        if let urlProject, urlProject != caller.projectID, !caller.isAdmin {
            // Cinder's answer when the URL names another project than the token's.
            throw APIError(.badRequest, "Malformed request url", format: .fault)
        }
        let version = try await versions.negotiate(request)
        return VolumeCall(
            request: request, context: context, caller: caller, credentials: try context.podCredentials(),
            version: version, urlProject: urlProject, origin: PodForwarder.publicOrigin(of: request) ?? "")
    }

    /// The pod of a routed resource, or 404 in Cinder's words when unknown or another project's.
    func locate(_ id: String, type: ResourceType, call: VolumeCall) async throws -> (pod: Pod, bottomID: String) {
        let row = try await routing.resolveOne(
            topID: id, type: type, projectID: call.caller.isAdmin ? nil : call.caller.projectID)
        guard let row, let bottomID = row.bottomID, let pod = try await pods.pod(id: row.podID) else {
            throw APIError(.notFound, "\(Self.noun(type)) \(id) could not be found.", format: .fault)
        }
        return (pod, bottomID)
    }

    static func noun(_ type: ResourceType) -> String {
        switch type {
        case .volume: "Volume"
        case .snapshot: "Snapshot"
        case .volumeBackup: "Backup"
        case .volumeType: "Volume type"
        default: type.rawValue
        }
    }

    /// Sends the client's request to `path` in `pod` at the negotiated microversion (through the pod's
    /// circuit, which the forwarder applies).
    func forward(_ call: VolumeCall, to pod: Pod, path: String, body: ByteBuffer? = nil) async throws -> RegionalResponse {
        try await forwarder.forward(call.request, context: call.context, to: pod, path: path, body: body,
                                    extraHeaders: call.versionHeaders)
    }

    /// Sends a request the gateway composed (not the client's) to `pod`.
    func send(_ call: VolumeCall, _ request: RegionalRequest, to pod: Pod) async throws -> RegionalResponse {
        var request = request
        request.headers += call.versionHeaders
        return try await forwarder.send(request, to: pod, credentials: call.credentials)
    }

    /// The pod's answer to the client, links pointing back at the gateway.
    func relay(_ response: RegionalResponse, _ call: VolumeCall) -> Response {
        PodForwarder.relay(response, publicOrigin: call.origin.isEmpty ? nil : call.origin, format: .fault)
    }

    /// The request body (read and bounded by the kit's body middleware).
    func body(_ call: VolumeCall) async throws -> ByteBuffer {
        try await call.request.bufferedBody(format: .fault)
    }

    /// The body parsed as a JSON object holding `member` (`{"volume": {...}}`); 400 in Cinder's words otherwise.
    func member(_ buffer: ByteBuffer, _ member: String) throws -> [String: JSONValue] {
        guard let value = try? JSONValue(data: Data(buffer: buffer)) else {
            throw APIError(.badRequest, "Malformed request body", format: .fault)
        }
        guard let object = value[member]?.objectValue else {
            throw APIError(.badRequest, "Missing required element '\(member)' in request body.", format: .fault)
        }
        try VolumeValidation.check(object)
        return object
    }

    /// A JSON answer with the negotiated microversion announced, as Cinder does.
    func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, call: VolumeCall?) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let call {
            if let name = HTTPField.Name("OpenStack-API-Version") { headers[name] = "volume \(call.version)" }
            headers[.vary] = "OpenStack-API-Version"
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: Self.encode(value)))
    }

    static func encode(_ value: JSONValue) -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return ByteBuffer(data: (try? encoder.encode(value)) ?? Data("{}".utf8))
    }

    /// Deletes what a pod made when the top could not record it (retried while the pod still builds it).
    func removeOrphan(_ call: VolumeCall, path: String, in pod: Pod) async {
        var request = RegionalRequest.delete(path)
        request.headers += call.versionHeaders
        await forwarder.removeOrphan(
            request, in: pod, credentials: call.credentials, patience: podTimeout, logger: logger)
    }

    /// The Cinder 400 for a bad field.
    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message, format: .fault) }
}

/// One authenticated Block Storage call: who, which microversion, and how the client reached us.
struct VolumeCall: Sendable {
    let request: Request
    let context: GatewayRequestContext
    let caller: AuthenticatedCaller
    let credentials: ServiceCredentials
    let version: Microversion
    /// The project in the URL (nil on project-less URLs).
    let urlProject: String?
    /// "http://host:port" as the client addressed the gateway.
    let origin: String

    /// Headers that carry the negotiated microversion to the pods ("latest" resolved to a number, so
    /// every pod answers at the same version).
    var versionHeaders: [(String, String)] { [("OpenStack-API-Version", "volume \(version)")] }

    /// "http://gateway/v3/{project}" as the client addressed it, for links the gateway writes.
    var base: String {
        if let urlProject { return "\(origin)/v3/\(urlProject)" }
        return "\(origin)/v3"
    }

    /// A path parameter, or 404 when absent.
    func param(_ name: String) throws -> String {
        guard let value = context.parameters.get(name) else {
            throw APIError(.notFound, "The resource could not be found.", format: .fault)
        }
        return value
    }
}
