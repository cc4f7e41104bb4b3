import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OpenStackClient
import OpenStackModels
import Synchronization
import TricircleCore
import TricircleGateway

/// The microversions the top can promise: the intersection of every pod's range (a request must be
/// answerable by whichever pod holds the resource), capped at what this gateway was built against.
/// Read from the pods' version documents and kept for a while, not asked per request.
final class VolumeVersionRange: Sendable {
    /// The highest microversion this gateway was written and tested against (Cinder 2024.1).
    static let ceiling = Microversion(3, 71)
    static let floor = Microversion(3, 0)
    /// How long an answered range is kept; a range nobody answered is retried sooner.
    static let keep: Duration = .seconds(300)
    static let keepFallback: Duration = .seconds(5)

    private let runtime: GatewayRuntime
    private let cached = Mutex<(min: Microversion, max: Microversion, until: ContinuousClock.Instant)?>(nil)
    /// Set while one caller re-reads an expired range; the others keep using the old one meanwhile.
    private let refreshing = Mutex(false)
    private let logger = Logger(label: "tricircle.volume.versions")

    init(runtime: GatewayRuntime) { self.runtime = runtime }

    /// The current (min, max).
    func current() async -> (min: Microversion, max: Microversion) {
        let now = ContinuousClock.now
        let hit = cached.withLock { $0 }
        if let hit, now < hit.until { return (hit.min, hit.max) }
        if let hit {
            // Expired: one caller refreshes, so a slow pod delays one request, not every request.
            let mine = refreshing.withLock { busy in
                if busy { return false }
                busy = true
                return true
            }
            guard mine else { return (hit.min, hit.max) }
        }
        defer { refreshing.withLock { $0 = false } }
        let pods = (try? await runtime.podDirectory.bottomPods()) ?? []
        let timeout = min(runtime.listTimeout, .milliseconds(Int64(runtime.config.podTimeout * 1000)))
        let ranges = await withTaskGroup(of: (Microversion, Microversion)?.self) { group in
            for pod in pods {
                group.addTask { await self.podRange(pod, timeout: timeout) }
            }
            var out: [(Microversion, Microversion)] = []
            for await range in group { if let range { out.append(range) } }
            return out
        }
        var low = Self.floor, high = Self.ceiling
        for (podMin, podMax) in ranges {
            low = max(low, podMin)
            high = min(high, podMax)
        }
        if low > high {
            // Pods with disjoint ranges: nothing is safe beyond the base version.
            logger.warning("pods' Block Storage microversion ranges do not overlap", metadata: ["pods": "\(pods.count)"])
            low = Self.floor
            high = Self.floor
        }
        let keep = ranges.isEmpty ? Self.keepFallback : Self.keep
        cached.withLock { $0 = (low, high, ContinuousClock.now.advanced(by: keep)) }
        return (low, high)
    }

    /// One pod's v3 range from its unversioned root (no token needed).
    private func podRange(_ pod: Pod, timeout: Duration) async -> (Microversion, Microversion)? {
        do {
            let endpoint = try await runtime.regions.resolver.url(region: pod.regionName, serviceType: VolumeAPI.podServiceType)
            // The root is what precedes "/v3" in the endpoint (which may sit under a path prefix).
            let root = endpoint.range(of: "/v3").map { String(endpoint[..<$0.lowerBound]) } ?? (PodForwarder.origin(of: endpoint) ?? endpoint)
            var request = RegionalRequest.get("/")
            request.timeout = timeout
            let response = try await runtime.regions.send(
                request, baseURL: root, as: ServiceCredentials(token: "", projectID: nil))
            let list = try response.decode(APIVersionList.self)
            guard let v3 = list.versions.first(where: { $0.id.hasPrefix("v3") }),
                  let low = Microversion(v3.minVersion), let high = Microversion(v3.version) else { return nil }
            return (low, high)
        } catch {
            logger.info("no Block Storage version document from pod", metadata: ["pod": "\(pod.regionName)", "error": "\(error)"])
            return nil
        }
    }

    /// The version a request asks for (`OpenStack-API-Version: volume 3.x`; the minimum when absent):
    /// 400 when malformed, 406 outside the range, as Cinder answers.
    func negotiate(_ request: Request) async throws -> Microversion {
        var requested: String?
        for field in request.headers[values: Self.headerName] {
            for part in field.split(separator: ",") {
                let words = part.split(separator: " ", omittingEmptySubsequences: true)
                if words.count == 2, words[0].lowercased() == "volume" { requested = String(words[1]) }
            }
        }
        let (low, high) = await current()
        guard let text = requested?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return low }
        if text.lowercased() == "latest" { return high }
        guard let version = Microversion(text) else {
            throw APIError(.badRequest, "API Version String \(text) is of invalid format. Must be of format MajorNum.MinorNum.",
                           format: .fault)
        }
        guard version >= low, version <= high else {
            throw VersionNotAcceptable(requested: text, minimum: low, maximum: high)
        }
        return version
    }

    static let headerName: HTTPField.Name = HTTPField.Name("OpenStack-API-Version") ?? .accept
}

/// Cinder's 406 for a microversion outside the range: a `computeFault` body (Cinder's name for codes it
/// has no special name for), with the range in the headers.
struct VersionNotAcceptable: Error, HTTPResponseError {
    let requested: String
    let minimum: Microversion
    let maximum: Microversion

    var status: HTTPResponse.Status { .notAcceptable }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let message = "Version \(requested) is not supported by the API. Minimum is \(minimum) and maximum is \(maximum)."
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[VolumeVersionRange.headerName] = "volume \(requested)"
        headers[.vary] = "OpenStack-API-Version"
        let body: JSONValue = ["computeFault": ["code": 406, "message": .string(message)]]
        return Response(status: .notAcceptable, headers: headers, body: .init(byteBuffer: VolumeAPI.encode(body)))
    }
}

extension VolumeAPI {
    /// `GET /` (300) and `GET /v3` (200): the v3 version with the range the top can promise.
    func versionList(_ request: Request, status: HTTPResponse.Status) async throws -> Response {
        let (low, high) = await versions.current()
        let origin = PodForwarder.publicOrigin(of: request) ?? ""
        let version: JSONValue = [
            "id": "v3.0", "status": "CURRENT", "version": .string(high.description), "min_version": .string(low.description),
            "updated": "2023-08-31T00:00:00Z",
            "links": [
                ["rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"],
                ["rel": "self", "href": .string("\(origin)/v3/")],
            ],
            "media-types": [["base": "application/json", "type": "application/vnd.openstack.volume+json;version=3"]],
        ]
        return json(["versions": [version]], status: status, call: nil)
    }
}
