import Foundation
import HTTPTypes
import Hummingbird
import OpenStackModels

/// One OpenStack API service of one simulated region.
public protocol SimulatedService: Sendable {
    /// Keystone catalog type: "compute", "volumev3", "image", "network", "database".
    var serviceType: String { get }
    /// Catalog service name: "nova", "cinderv3", "glance", "neutron", "trove".
    var serviceName: String { get }
    /// Path prefix of the catalog URL after host:port, e.g. "" or "/v2.1" (the service decides).
    var endpointPath: String { get }
    /// Routes answering this service's API; the assembly mounts them on the service's own listener.
    func makeRouter(context: SimulatedRegionContext) -> Router<BasicRequestContext>
}

/// What a simulated service knows about the region it runs in.
public struct SimulatedRegionContext: Sendable {
    /// Keystone region name, e.g. "RegionOne".
    public var regionName: String
    /// The availability zone this region's compute, volume and network services report, e.g. "az1".
    public var availabilityZone: String
    /// Shared Keystone, for token checks.
    public var identity: SimulatedIdentity
    /// This region's fault settings (per service).
    public var faults: FaultInjector
    /// Clock; tests may substitute a fixed one.
    public var now: @Sendable () -> Date
    /// Base status-transition delay (BUILD -> ACTIVE, creating -> available ...) before fault scaling.
    public var transitionDelay: Duration
    /// Base duration of a reboot or rebuild before fault scaling (a real one takes seconds).
    public var restartDelay: Duration = .seconds(3)
    /// Keystone's public URL (".../v3"), announced in `WWW-Authenticate` on 401s; empty when unknown.
    public var identityURL: String { identityURLProvider() }
    /// Resolves `identityURL` late (ephemeral ports are known only once Keystone listens).
    public var identityURLProvider: @Sendable () -> String

    public init(
        regionName: String, availabilityZone: String, identity: SimulatedIdentity,
        faults: FaultInjector = FaultInjector(), now: @escaping @Sendable () -> Date = { Date() },
        transitionDelay: Duration = .milliseconds(200), identityURL: @escaping @Sendable () -> String = { "" }
    ) {
        self.identityURLProvider = identityURL
        self.regionName = regionName
        self.availabilityZone = availabilityZone
        self.identity = identity
        self.faults = faults
        self.now = now
        self.transitionDelay = transitionDelay
    }

    /// The transition delay for `serviceType`, including any "slow transitions" fault, in seconds.
    public func transitionSeconds(for serviceType: String) -> TimeInterval {
        let base = Double(transitionDelay.components.seconds) + Double(transitionDelay.components.attoseconds) / 1e18
        return faults.settings(for: serviceType).scaledTransition(base)
    }

    /// The reboot/rebuild duration for `serviceType`, scaled like every transition, in seconds.
    public func restartSeconds(for serviceType: String) -> TimeInterval {
        let base = Double(restartDelay.components.seconds) + Double(restartDelay.components.attoseconds) / 1e18
        return faults.settings(for: serviceType).scaledTransition(base)
    }

    /// Authenticates a request: reads `X-Auth-Token` and validates it with Keystone.
    ///
    /// Throws a `SimulatorError` answering 401 when the token is missing, unknown or expired. Real services
    /// reject tokens in keystonemiddleware, before their own code runs, so every service answers a 401 in
    /// Keystone's body format with `WWW-Authenticate: Keystone uri="..."`; `format` is kept for
    /// services that want to reject in their own format for other reasons.
    public func authenticate(_ request: Request, format: SimulatorErrorFormat) throws -> SimulatedToken {
        guard let tokenID = request.headers[.xAuthToken], !tokenID.isEmpty,
            let token = identity.validate(token: tokenID), token.expiresAt > now()
        else {
            throw SimulatorError(
                status: 401, message: "The request you have made requires authentication.", format: .keystone,
                headers: [("WWW-Authenticate", "Keystone uri=\"\(identityURL)\"")])
        }
        return token
    }
}

extension HTTPField.Name {
    /// `X-Auth-Token`.
    public static var xAuthToken: Self { Self("X-Auth-Token")! }
    /// `X-Subject-Token`.
    public static var xSubjectToken: Self { Self("X-Subject-Token")! }
    /// `OpenStack-API-Version`.
    public static var openStackAPIVersion: Self { Self("OpenStack-API-Version")! }
    /// `x-openstack-request-id`.
    public static var xOpenStackRequestID: Self { Self("x-openstack-request-id")! }
}

/// Which service's error body shape an error is rendered in.
public enum SimulatorErrorFormat: Sendable, Hashable {
    /// Nova, Cinder, Trove: `{"itemNotFound": {"message": ..., "code": 404}}`.
    case fault
    /// Keystone: `{"error": {"code", "title", "message"}}`.
    case keystone
    /// Neutron: `{"NeutronError": {"type", "message", "detail"}}`.
    case neutron
    /// Glance: webob's `{"code": "404 Not Found", "title", "message"}`.
    case glance
}

/// An API error answered in the owning service's own format.
public struct SimulatorError: Error, HTTPResponseError, Sendable {
    /// HTTP status code.
    public var code: Int
    public var message: String
    public var format: SimulatorErrorFormat
    /// Fault name (Nova/Cinder, e.g. "itemNotFound") or Neutron error type (e.g. "NetworkNotFound"); derived from the code when nil.
    public var name: String?
    /// Extra response headers (e.g. `OpenStack-API-Version` on a 406).
    public var headers: [(String, String)]

    public init(
        status: Int, message: String, format: SimulatorErrorFormat = .fault, name: String? = nil,
        headers: [(String, String)] = []
    ) {
        self.code = status
        self.message = message
        self.format = format
        self.name = name
        self.headers = headers
    }

    public var status: HTTPResponse.Status { HTTPResponse.Status(code: code) }

    /// The JSON body for this error.
    public var body: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data: Data?
        switch format {
        case .fault:
            data = try? encoder.encode(OpenStackFault(name: name ?? OpenStackFault.name(forStatus: code), message: message, code: code))
        case .keystone:
            data = try? encoder.encode(KeystoneErrorBody(code: code, title: HTTPReason.phrase(code), message: message))
        case .neutron:
            data = try? encoder.encode(NeutronErrorBody(type: name ?? HTTPReason.phrase(code).replacingOccurrences(of: " ", with: ""), message: message))
        case .glance:
            data = try? encoder.encode(GlanceErrorBody(status: code, message: message))
        }
        return data ?? Data("{}".utf8)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = HTTPFields()
        for (name, value) in headers {
            if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
        }
        // Glance (webob) answers HTML unless the client asked for JSON.
        if format == .glance, !(request.headers[.accept] ?? "").contains("json") {
            fields[.contentType] = "text/html; charset=UTF-8"
            let line = "\(code) \(HTTPReason.phrase(code))"
            let html = "<html>\n <head>\n  <title>\(line)</title>\n </head>\n <body>\n  <h1>\(line)</h1>\n  \(message)<br /><br />\n\n\n\n </body>\n</html>"
            return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: html)))
        }
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    // Common shorthands.
    public static func notFound(_ message: String, format: SimulatorErrorFormat = .fault) -> Self {
        Self(status: 404, message: message, format: format)
    }
    public static func badRequest(_ message: String, format: SimulatorErrorFormat = .fault) -> Self {
        Self(status: 400, message: message, format: format)
    }
    public static func conflict(_ message: String, format: SimulatorErrorFormat = .fault) -> Self {
        Self(status: 409, message: message, format: format)
    }
    public static func forbidden(_ message: String, format: SimulatorErrorFormat = .fault) -> Self {
        Self(status: 403, message: message, format: format)
    }
}
