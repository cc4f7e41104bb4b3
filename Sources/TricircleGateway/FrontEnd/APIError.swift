import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels

/// The error-body dialect of one OpenStack API.
public enum APIFaultFormat: Sendable, Hashable {
    /// Nova, Cinder, Trove: `{"itemNotFound": {"message": ..., "code": 404}}`.
    case fault
    /// Neutron: `{"NeutronError": {"type": ..., "message": ..., "detail": ""}}`.
    case neutron
    /// Glance: `{"code": "404 Not Found", "title": "Not Found", "message": ...}`.
    case glance
    /// Trove: Nova's shape with Trove's names (422 `unprocessableEntity`, 409 `conflict`, 500 `instanceFault`).
    case trove

    /// The body for a status and message; `type` is Neutron's exception name (ignored by the others).
    public func body(status: Int, message: String, type: String? = nil) -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data: Data?
        switch self {
        case .fault:
            data = try? encoder.encode(OpenStackFault(code: status, message: message))
        case .neutron:
            let name = type ?? ("HTTP" + HTTPReason.phrase(status).replacingOccurrences(of: " ", with: ""))
            data = try? encoder.encode(NeutronErrorBody(type: name, message: message))
        case .glance:
            data = try? encoder.encode(GlanceErrorBody(status: status, message: message))
        case .trove:
            data = try? encoder.encode(OpenStackFault(name: Self.troveFaultName(status), message: message, code: status))
        }
        return ByteBuffer(bytes: data ?? Data("{}".utf8))
    }

    /// The auth middleware's wording for this dialect.
    public var authErrorBody: AuthErrorBody {
        switch self {
        case .fault: .fault
        case .neutron: .neutron
        case .glance: .glance
        case .trove: .trove
        }
    }

    /// trove.common.wsgi.Fault's names: webob's class name without "HTTP", first letter lowered, except
    /// for the ones Trove renames.
    public static func troveFaultName(_ status: Int) -> String {
        switch status {
        case 400: "badRequest"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "itemNotFound"
        case 405: "badMethod"
        case 406: "notAcceptable"
        case 408: "requestTimeout"
        case 409: "conflict"
        case 413: "overLimit"
        case 415: "badMediaType"
        case 422: "unprocessableEntity"
        case 500: "instanceFault"
        case 501: "notImplemented"
        case 502: "badGateway"
        case 503: "serviceUnavailable"
        case 504: "gatewayTimeout"
        default: status >= 500 ? "instanceFault" : "badRequest"
        }
    }
}

/// An error answered in the API's own format: thrown by front-end routes, rendered by Hummingbird.
public struct APIError: Error, HTTPResponseError, CustomStringConvertible, Sendable {
    public var status: HTTPResponse.Status
    public var message: String
    public var format: APIFaultFormat
    /// Neutron's exception name (`NetworkNotFound`); nil: derived from the status.
    public var type: String?
    /// Extra response headers (e.g. `Retry-After`).
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ message: String, format: APIFaultFormat, type: String? = nil, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.format = format
        self.type = type
        self.headers = headers
    }

    public var description: String { "\(status.code) \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response { render() }

    /// How a failed call to a pod is told to the client: unreachable or slow pods become 503 naming the
    /// region (the resource exists, its region does not answer); a pod's own error answer is relayed as is
    /// by the forwarder, so this only sees transport failures.
    public static func podUnavailable(_ error: any Error, region: String, format: APIFaultFormat) -> APIError {
        let reason: String
        switch error {
        case let client as OpenStackClientError:
            switch client {
            case .noEndpoint: reason = "it has no such endpoint in the Keystone catalog"
            case .timeout: reason = "it did not answer in time"
            default: reason = "\(client)"
            }
        default:
            reason = "\(error)"
        }
        return APIError(.serviceUnavailable, "Region \(region) is unavailable: \(reason).", format: format,
                        headers: [.retryAfter: "30"])
    }
}
