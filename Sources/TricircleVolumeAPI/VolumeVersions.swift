import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OpenStackClient
import OpenStackModels
import Synchronization
import TricircleCore
import TricircleGateway

/// The microversions the top can promise (see `PodMicroversions`: the intersection of every pod's range,
/// capped at what this gateway was built against, kept for a while), read from the pods' unversioned
/// roots, and Cinder's way of negotiating it.
final class VolumeVersionRange: Sendable {
    /// The highest microversion this gateway was written and tested against (Cinder 2024.1).
    static let ceiling = Microversion(3, 71)
    static let floor = Microversion(3, 0)

    private let shared: PodMicroversions

    init(runtime: GatewayRuntime) {
        let logger = Logger(label: "tricircle.volume.versions")
        let forwarder = runtime.forwarder(serviceType: VolumeAPI.podServiceType, format: .fault)
        shared = PodMicroversions(runtime: runtime, service: "volume", supported: Self.floor...Self.ceiling) { pod, timeout, _ in
            do {
                var request = RegionalRequest.get("/")
                request.timeout = timeout
                let response = try await forwarder.sendToRoot(
                    request, of: pod, versionPrefix: "/v3", credentials: ServiceCredentials(token: "", projectID: nil))
                let list = try response.decode(APIVersionList.self)
                guard let v3 = list.versions.first(where: { $0.id.hasPrefix("v3") }),
                      let low = Microversion(v3.minVersion), let high = Microversion(v3.version), low <= high else { return nil }
                return low...high
            } catch {
                logger.info("no Block Storage version document from pod", metadata: ["pod": "\(pod.regionName)", "error": "\(error)"])
                return nil
            }
        }
    }

    /// The current (min, max).
    func current() async -> (min: Microversion, max: Microversion) {
        let range = await shared.range()
        return (range.lowerBound, range.upperBound)
    }

    /// The version a request asks for (`OpenStack-API-Version: volume 3.x`; the minimum when absent):
    /// 400 when malformed, 406 outside the range, as Cinder answers.
    func negotiate(_ request: Request) async throws -> Microversion {
        switch await shared.choose(request) {
        case .version(let version):
            return version
        case .malformed(let text):
            throw APIError(.badRequest, "API Version String \(text) is of invalid format. Must be of format MajorNum.MinorNum.",
                           format: .fault)
        case .outside(let text, let range):
            throw VersionNotAcceptable(requested: text, minimum: range.lowerBound, maximum: range.upperBound)
        }
    }

    static let headerName = HTTPField.Name.openStackAPIVersionHeader
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
