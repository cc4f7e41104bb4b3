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

/// Flavors, key pairs, availability zones, limits and quota sets: what Compute serves from the top's
/// own catalog rather than from one server's pod. The stores and helpers those resources' routes share
/// (`FlavorRoutes`, `KeypairRoutes`, ... each hold it as `catalog`); `GatewayAssembly` builds it once.
public struct ComputeCatalogRoutes: Sendable, UsesGatewayServices {
    public let services: GatewayServices
    /// The gateway's own identity, for admin-only calls to pods.
    let keystone: KeystoneClient
    let metrics: GatewayMetrics
    let logger: Logger
    let flavors: FlavorStore
    let mappings: FlavorMappingStore
    let keypairs: KeypairStore
    let quotas: QuotaStore
    let seeder: FlavorSeeder
    let podHealth: AvailabilityZoneHealth
    let mapper: FlavorMapper
    let keypairProvisioner: KeypairProvisioner
    /// Calls to the pods' Compute APIs (AZ probes, usage), built once.
    let podForwarder: PodForwarder

    /// Registers this part's job handlers (flavor creation in pods) with `registry`.
    public init(runtime: GatewayRuntime, registry: JobHandlerRegistry) {
        self.services = GatewayServices(runtime: runtime)
        self.keystone = runtime.keystone
        self.metrics = runtime.metrics
        self.logger = runtime.logger
        let flavors = FlavorStore(store: runtime.store)
        let mappings = FlavorMappingStore(store: runtime.store)
        self.flavors = flavors
        self.mappings = mappings
        self.keypairs = KeypairStore(store: runtime.store)
        self.quotas = QuotaStore(store: runtime.store)
        let seeder = FlavorSeeder(runtime: runtime, flavors: flavors)
        self.seeder = seeder
        self.podHealth = AvailabilityZoneHealth()
        self.mapper = FlavorMapper(runtime: runtime, flavors: flavors, mappings: mappings, seeder: seeder)
        self.keypairProvisioner = KeypairProvisioner(runtime: runtime, keypairs: keypairs)
        self.podForwarder = runtime.forwarder(serviceType: "compute", format: .fault)
        registry.register(FlavorCreateInPodJob(runtime: runtime, flavors: flavors, mappings: mappings))
    }

    /// Maps top flavors to pod flavors for boots.
    public var flavorMapping: (any FlavorMapping)? { mapper }

    /// Makes key pairs present in pods for boots.
    public var keypairProvisioning: (any KeypairProvisioning)? { keypairProvisioner }
}

// MARK: Shared request handling

/// The newest Compute microversion the catalog routes understand: the gateway's (flavors and key pairs
/// do not change between 2.96 and 2.100), so a call at the version servers are served at is not refused here.
let catalogMaxMicroversion = ComputeMicroversions.gatewayRange.upperBound
let catalogMinMicroversion = Microversion(2, 1)

/// One catalog request: the caller, the negotiated microversion and how to answer.
struct CatalogCall: Sendable {
    let request: Request
    let caller: AuthenticatedCaller
    let version: Microversion
    let requestID: String

    init(_ request: Request, _ context: GatewayRequestContext) throws {
        self.request = request
        self.caller = try context.requireCaller()
        self.version = try Self.microversion(of: request)
        self.requestID = context.requestID
    }

    /// Nova's negotiation: `OpenStack-API-Version: compute X.Y` wins over `X-OpenStack-Nova-API-Version`;
    /// none means 2.1; "latest" means the newest; out of range is 406, malformed 400.
    static func microversion(of request: Request) throws -> Microversion {
        var text: String?
        if let name = HTTPField.Name("OpenStack-API-Version"), let header = request.headers[name] {
            for item in header.split(separator: ",") {
                let parts = item.split(separator: " ", omittingEmptySubsequences: true)
                if parts.count == 2, parts[0].lowercased() == "compute" { text = String(parts[1]) }
            }
        }
        if text == nil, let name = HTTPField.Name("X-OpenStack-Nova-API-Version"), let header = request.headers[name] {
            text = header.trimmingCharacters(in: .whitespaces)
        }
        guard let text else { return catalogMinMicroversion }
        if text.lowercased() == "latest" { return catalogMaxMicroversion }
        guard let version = Microversion(text) else {
            throw APIError(.badRequest, "API Version String \(text) is of invalid format. Must be of format MajorNum.MinorNum.", format: .fault)
        }
        guard version >= catalogMinMicroversion, version <= catalogMaxMicroversion else {
            throw APIError(.notAcceptable, "Version \(version) is not supported by the API. Minimum is \(catalogMinMicroversion) and maximum is \(catalogMaxMicroversion).", format: .fault)
        }
        return version
    }

    func atLeast(_ major: Int, _ minor: Int) -> Bool { version >= Microversion(major, minor) }

    /// A query parameter's value (the last one when repeated).
    func query(_ name: String) -> String? {
        request.uri.queryParameters.getAll(name).last.map { String($0) }
    }

    /// How the client reached us, for links.
    var origin: String { PodForwarder.publicOrigin(of: request) ?? "" }

    /// Answers 403 unless the caller is an admin.
    func requireAdmin(_ rule: String) throws {
        guard caller.isAdmin else {
            throw APIError(.forbidden, "Policy doesn't allow \(rule) to be performed.", format: .fault)
        }
    }

    /// A JSON answer with Nova's version headers.
    func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        var response = Response(status: status, headers: versionHeaders, body: .init(byteBuffer: ByteBuffer(data: data)))
        response.headers[.contentType] = "application/json"
        return response
    }

    /// An empty answer (202/204) with Nova's version headers.
    func empty(_ status: HTTPResponse.Status) -> Response {
        var response = Response(status: status, headers: versionHeaders)
        if status != .noContent { response.headers[.contentLength] = "0" }
        return response
    }

    var versionHeaders: HTTPFields {
        var fields = HTTPFields()
        if let name = HTTPField.Name("OpenStack-API-Version") { fields[name] = "compute \(version)" }
        if let name = HTTPField.Name("X-OpenStack-Nova-API-Version") { fields[name] = "\(version)" }
        fields[.vary] = "OpenStack-API-Version, X-OpenStack-Nova-API-Version"
        return fields
    }

    /// The JSON body (400 in Nova's words when it is missing or not JSON).
    func body() async throws -> JSONValue {
        let buffer = try await request.bufferedBody(format: .fault)
        guard buffer.readableBytes > 0,
              let value = try? buffer.withUnsafeReadableBytes({ try JSONValue(bytes: $0) }),
              value.objectValue != nil else {
            throw APIError(.badRequest, "Malformed request body", format: .fault)
        }
        return value
    }
}

extension ComputeCatalogRoutes {
    /// Runs one catalog handler: the call is built (auth, microversion), and anything that is not already
    /// an API error becomes one in Nova's format, so the client never sees a bare 500 page.
    func run(
        _ request: Request, _ context: GatewayRequestContext, _ body: (CatalogCall) async throws -> Response
    ) async throws -> Response {
        do {
            let call = try CatalogCall(request, context)
            return try await body(call)
        } catch let error as APIError {
            throw error
        } catch let error as StoreError {
            switch error {
            case .conflict(let message): throw APIError(.conflict, message, format: .fault)
            case .notFound(let message): throw APIError(.notFound, message, format: .fault)
            case .badURL: throw APIError(.internalServerError, "The state database is misconfigured.", format: .fault)
            }
        } catch let error as any HTTPResponseError {
            throw APIError(error.status, error.status.reasonPhrase, format: .fault)
        } catch where StateStore.isUnavailable(error) {
            // A state database failing over: the error boundary answers 503 with Retry-After, as for every API.
            throw error
        } catch {
            logger.error("compute catalog request failed", metadata: [
                "request_id": "\(context.requestID)", "path": "\(request.uri.path)", "error": "\(error)",
            ])
            throw APIError(.internalServerError, "Unexpected API Error. Please report this at the gateway's operators and attach the request id \(context.requestID).", format: .fault)
        }
    }

    /// A path parameter, percent-decoded (the router hands them over as sent: "my%20key").
    func pathParameter(_ context: GatewayRequestContext, _ name: String) throws -> String {
        let raw = try context.parameters.require(name)
        return raw.removingPercentEncoding ?? raw
    }

    /// Credentials of the gateway's own service user, for admin-only calls to pods.
    func serviceCredentials(requestID: String?) async throws -> ServiceCredentials {
        try await keystone.serviceCredentials(requestID: requestID)
    }
}

/// Reads Nova's integer-ish JSON values: numbers, or strings of digits (Nova's schemas accept both).
func catalogInteger(_ value: JSONValue?) -> Int? {
    guard let value else { return nil }
    if let int = value.intValue { return int }
    if let text = value.stringValue?.trimmingCharacters(in: .whitespaces), !text.isEmpty, text.allSatisfy(\.isNumber) {
        return Int(text)
    }
    return nil
}

/// Nova's boolean parameter spellings.
func catalogBoolean(_ value: JSONValue?) -> Bool? {
    guard let value else { return nil }
    if let bool = value.boolValue { return bool }
    switch value.stringValue?.lowercased() {
    case "true", "1", "yes", "y", "on", "t": return true
    case "false", "0", "no", "n", "off", "f": return false
    default: return nil
    }
}

/// Nova's wording for a body that does not match its schema.
func invalidInput(_ field: String, _ value: JSONValue?, _ why: String) -> APIError {
    let shown: String
    if let value, let data = try? JSONEncoder().encode(value), let text = String(data: data, encoding: .utf8) {
        shown = text.count > 64 ? String(text.prefix(64)) + "..." : text
    } else {
        shown = "None"
    }
    return APIError(.badRequest, "Invalid input for field/attribute \(field). Value: \(shown). \(why)", format: .fault)
}
