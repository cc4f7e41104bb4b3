import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OpenStackClient
import OpenStackModels
import Synchronization
import TricircleCore
import TricircleGateway

/// The Compute microversion range the top can honour: the intersection of what every pod advertises in
/// its version document (asked in parallel, cached, refreshed after `refreshInterval`). A pod that does not
/// answer keeps its last known range; one never heard from is left out of the intersection.
final class ComputeMicroversions: Sendable {
    /// What the gateway itself understands (its own logic reads 2.1 ... 2.96 bodies).
    static let gatewayRange = Microversion(2, 1)...Microversion(2, 96)

    private struct Cache {
        var range: ClosedRange<Microversion>
        var at: ContinuousClock.Instant
    }

    private let runtime: GatewayRuntime
    private let health: PodHealth
    private let refreshInterval: Duration
    private let cache = Mutex<Cache?>(nil)
    private let known = Mutex<[String: ClosedRange<Microversion>]>([:])
    private let logger = Logger(label: "tricircle.compute.versions")

    init(runtime: GatewayRuntime, health: PodHealth, refreshInterval: Duration = .seconds(300)) {
        self.runtime = runtime
        self.health = health
        self.refreshInterval = refreshInterval
    }

    /// The advertised range, refreshed when older than `refreshInterval`.
    func range(credentials: ServiceCredentials? = nil) async -> ClosedRange<Microversion> {
        let now = ContinuousClock.now
        if let hit = cache.withLock({ $0 }), now - hit.at < refreshInterval { return hit.range }
        let range = await refresh(credentials: credentials)
        cache.withLock { $0 = Cache(range: range, at: now) }
        return range
    }

    /// Asks every bottom pod's version document at once (short time box) and intersects.
    private func refresh(credentials: ServiceCredentials?) async -> ClosedRange<Microversion> {
        let registered = (try? await runtime.podDirectory.bottomPods()) ?? []
        // A pod known not to answer keeps its last known range without being waited for.
        let pods = registered.filter { !health.isOpen(podID: $0.podID) }
        let timeout = Duration.milliseconds(Int64(min(runtime.config.podTimeout, 3) * 1000))
        // The version document needs no token; the caller's is sent when there is one.
        let credentials = credentials ?? ServiceCredentials(token: "", projectID: nil)
        let answers = await withTaskGroup(of: (String, ClosedRange<Microversion>?).self) { group in
            for pod in pods {
                group.addTask { [runtime] in
                    let request = RegionalRequest(method: "GET", path: "", timeout: timeout)
                    guard let response = try? await runtime.regions.send(
                        request, region: pod.regionName, serviceType: "compute", as: credentials),
                        response.isSuccess, let json = try? JSONValue(data: response.data)
                    else { return (pod.podID, nil) }
                    return (pod.podID, Self.advertised(in: json))
                }
            }
            var out: [(String, ClosedRange<Microversion>?)] = []
            for await answer in group { out.append(answer) }
            return out
        }
        let current = known.withLock { known -> [String: ClosedRange<Microversion>] in
            for (podID, range) in answers {
                if let range { known[podID] = range }
            }
            // Pods no longer registered drop out.
            let live = Set(registered.map(\.podID))
            known = known.filter { live.contains($0.key) }
            return known
        }
        for (podID, range) in answers where range == nil {
            logger.warning("pod did not answer its compute version document; using its last known range",
                           metadata: ["pod_id": "\(podID)", "known": "\(current[podID].map { "\($0)" } ?? "none")"])
        }
        var low = Self.gatewayRange.lowerBound, high = Self.gatewayRange.upperBound
        for range in current.values {
            low = max(low, range.lowerBound)
            high = min(high, range.upperBound)
        }
        // Disjoint pods cannot happen with Nova >= 2.1 everywhere; fall back to the base version then.
        guard low <= high else { return Self.gatewayRange.lowerBound...Self.gatewayRange.lowerBound }
        return low...high
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

    /// The requested version text (`OpenStack-API-Version: compute X.Y` first, then the Nova header).
    static func requested(_ request: Request) -> String? {
        for field in request.headers[values: .openStackAPIVersion] {
            for part in field.split(separator: ",") {
                let words = part.split(separator: " ", omittingEmptySubsequences: true)
                if words.count == 2, words[0].lowercased() == "compute" { return String(words[1]) }
            }
        }
        return request.headers[.novaAPIVersion]
    }

    /// The version this request is served at: the minimum when none is asked, the maximum for "latest";
    /// 400 when malformed and 406 (Nova's `computeFault`) when outside the range.
    func negotiate(_ request: Request, credentials: ServiceCredentials? = nil) async throws -> Microversion {
        let range = await range(credentials: credentials)
        guard let text = Self.requested(request)?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
            return range.lowerBound
        }
        if text.lowercased() == "latest" { return range.upperBound }
        guard let version = Microversion(text) else {
            throw Nova.badRequest("API Version String \(text) is of invalid format. Must be of format MajorNum.MinorNum.")
        }
        guard range.contains(version) else {
            var headers = HTTPFields()
            Self.addHeaders(version, to: &headers)
            throw NovaFault(
                .notAcceptable, name: "computeFault",
                "Version \(text) is not supported by the API. Minimum is \(range.lowerBound) and maximum is \(range.upperBound).",
                headers: headers)
        }
        return version
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
            response = try error.response(from: request, context: context)
        } catch {
            // Anything else (the state store, a provisioner's own failure) is Nova's computeFault, logged.
            context.logger.error("compute request failed", metadata: ["error": "\(error)"])
            response = try NovaFault(
                .internalServerError, name: "computeFault",
                "Unexpected API Error. The gateway could not complete the request: \(error)"
            ).response(from: request, context: context)
        }
        if response.headers[.openStackAPIVersion] == nil {
            ComputeMicroversions.addHeaders(version, to: &response.headers)
        }
        return response
    }
}

extension HTTPField.Name {
    static let openStackAPIVersion = HTTPField.Name("OpenStack-API-Version") ?? .via
    static let novaAPIVersion = HTTPField.Name("X-OpenStack-Nova-API-Version") ?? .via
}
