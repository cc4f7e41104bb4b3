import Foundation
import HTTPTypes
import Hummingbird
import OpenStackModels
import TricircleGateway

/// Nova's version documents at `/` and `/v2.1`, advertising the range every pod supports, with links to
/// the gateway. They need no token, as in Nova.
struct VersionRoutes: APIRoutes {
    let microversions: ComputeMicroversions

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("/", use: versions)
        group.get("/v2.1", use: version)
        group.get("/v2", use: legacyVersion)
    }

    private func base(_ request: Request) -> String { PodForwarder.publicOrigin(of: request) ?? "" }

    private func versionObject(_ base: String, range: ClosedRange<Microversion>, current: Bool) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": "v2.1", "status": "CURRENT", "version": .string(range.upperBound.description),
            "min_version": .string(range.lowerBound.description), "updated": "2013-07-23T11:33:21Z",
            "links": [["rel": "self", "href": .string("\(base)/v2.1/")]],
        ]
        if current {
            object["links"] = [
                ["rel": "self", "href": .string("\(base)/v2.1/")],
                ["rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"],
            ]
            object["media-types"] = [
                ["base": "application/json", "type": "application/vnd.openstack.compute+json;version=2.1"]
            ]
        }
        return .object(object)
    }

    /// `GET /`.
    func versions(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let base = base(request)
        let range = await microversions.range()
        let body: JSONValue = [
            "versions": [
                [
                    "id": "v2.0", "status": "SUPPORTED", "version": "", "min_version": "",
                    "updated": "2011-01-21T11:33:21Z", "links": [["rel": "self", "href": .string("\(base)/v2/")]],
                ],
                versionObject(base, range: range, current: false),
            ]
        ]
        return ComputeJSON.response(body)
    }

    /// `GET /v2` (the legacy v2 document, whose self link `GET /` lists and Tempest follows).
    func legacyVersion(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let base = base(request)
        return ComputeJSON.response([
            "version": [
                "id": "v2.0", "status": "SUPPORTED", "version": "", "min_version": "", "updated": "2011-01-21T11:33:21Z",
                "links": [
                    ["rel": "self", "href": .string("\(base)/v2/")],
                    ["rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"],
                ],
                "media-types": [["base": "application/json", "type": "application/vnd.openstack.compute+json;version=2"]],
            ]
        ])
    }

    /// `GET /v2.1`.
    func version(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let range = await microversions.range()
        return ComputeJSON.response(["version": versionObject(base(request), range: range, current: true)])
    }
}

/// JSON answers built by the gateway itself.
enum ComputeJSON {
    static func response(_ body: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(data: body.encoded())))
    }
}
