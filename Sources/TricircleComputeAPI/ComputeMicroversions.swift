import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OpenStackClient
import OpenStackModels
import Synchronization
import TricircleCore
import TricircleGateway

/// The Compute microversion range the top can honour (see `PodMicroversions`: the intersection of the
/// pods' ranges, cached), read from each pod's version document, and Nova's way of negotiating it.
final class ComputeMicroversions: Sendable {
    /// What the gateway itself understands (its own logic reads 2.1 ... 2.100 bodies: 2.98's image
    /// `properties` and 2.100's `scheduler_hints` in server views). Not 2.101+: 2.102 changes the flavor
    /// views and query checks the top serves itself, which it does not do yet.
    static let gatewayRange = Microversion(2, 1)...Microversion(2, 100)

    private let shared: PodMicroversions

    init(runtime: GatewayRuntime, health: PodHealth, refreshInterval: Duration = .seconds(300)) {
        let forwarder = runtime.forwarder(serviceType: "compute", format: .fault)
        shared = PodMicroversions(
            runtime: runtime, service: "compute", supported: Self.gatewayRange, keep: refreshInterval,
            // A pod known not to answer keeps its last known range without being waited for.
            skip: { health.isOpen(podID: $0.podID) },
            fetch: { pod, timeout, credentials in
                // The version document needs no token; the caller's is sent when there is one.
                let request = RegionalRequest(method: "GET", path: "", timeout: timeout)
                guard let response = try? await forwarder.send(
                    request, to: pod, credentials: credentials ?? ServiceCredentials(token: "", projectID: nil)),
                    response.isSuccess, let json = try? JSONValue(data: response.data)
                else { return nil }
                return Self.advertised(in: json)
            })
    }

    /// The advertised range.
    func range(credentials: ServiceCredentials? = nil) async -> ClosedRange<Microversion> {
        await shared.range(credentials: credentials)
    }

    /// `{"version": {...}}` or `{"versions": [...]}` -> the v2.1 range.
    static func advertised(in json: JSONValue) -> ClosedRange<Microversion>? {
        let entry: JSONValue?
        if let version = json["version"] {
            entry = version
        } else {
            entry = json["versions"]?.arrayValue?.first { $0["id"]?.stringValue == "v2.1" }
        }
        guard let entry else { return nil }
        let high = entry["version"]?.stringValue.flatMap(Microversion.init) ?? Microversion(2, 1)
        let low = entry["min_version"]?.stringValue.flatMap(Microversion.init) ?? Microversion(2, 1)
        return low <= high ? low...high : nil
    }

    /// The version this request is served at: the minimum when none is asked, the maximum for "latest";
    /// 400 when malformed and 406 (Nova's `computeFault`) when outside the range.
    func negotiate(_ request: Request, credentials: ServiceCredentials? = nil) async throws -> Microversion {
        switch await shared.choose(request, legacy: .novaAPIVersion, credentials: credentials) {
        case .version(let version):
            return version
        case .malformed(let text):
            throw Nova.badRequest("API Version String \(text) is of invalid format. Must be of format MajorNum.MinorNum.")
        case .outside(let text, let range):
            var headers = HTTPFields()
            if let version = Microversion(text) { Self.addHeaders(version, to: &headers) }
            throw NovaFault(
                .notAcceptable, name: "computeFault",
                "Version \(text) is not supported by the API. Minimum is \(range.lowerBound) and maximum is \(range.upperBound).",
                headers: headers)
        }
    }

    /// The headers that pin a pod call to `version`.
    static func podHeaders(_ version: Microversion) -> [(String, String)] {
        [("OpenStack-API-Version", "compute \(version)"), ("X-OpenStack-Nova-API-Version", version.description)]
    }

    /// Nova's response headers for a version.
    static func addHeaders(_ version: Microversion, to headers: inout HTTPFields) {
        headers[.openStackAPIVersion] = "compute \(version)"
        headers[.novaAPIVersion] = version.description
        headers[.vary] = "OpenStack-API-Version, X-OpenStack-Nova-API-Version"
    }
}

/// Negotiates the microversion of every authenticated Compute call before its route runs (so an
/// unsupported one is refused with 406 without touching a pod) and echoes it on the answer.
struct ComputeVersionMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let microversions: ComputeMicroversions

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let version = try await microversions.negotiate(request, credentials: try? context.podCredentials())
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            // Answers the gateway worded carry the version too; anything else (the state store, a bug) is
            // the error boundary's to log and answer as a computeFault without internals.
            response = try error.response(from: request, context: context)
        }
        if response.headers[.openStackAPIVersion] == nil {
            ComputeMicroversions.addHeaders(version, to: &response.headers)
        }
        return response
    }
}

extension HTTPField.Name {
    static let openStackAPIVersion = HTTPField.Name.openStackAPIVersionHeader
    static let novaAPIVersion = HTTPField.Name("X-OpenStack-Nova-API-Version") ?? .via
}
