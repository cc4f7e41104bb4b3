import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenStackModels

/// How a front-end words the auth middleware's 401, 403 and 503 answers.
///
/// Real OpenStack services answer unauthenticated requests from keystonemiddleware, in Keystone's
/// format whatever the service; a front-end may choose its own format instead.
public struct AuthErrorBody: Sendable {
    /// Builds the body and its content type for a status and message.
    public let render: @Sendable (_ status: HTTPResponse.Status, _ message: String) -> (contentType: String, body: ByteBuffer)

    public init(render: @escaping @Sendable (_ status: HTTPResponse.Status, _ message: String) -> (contentType: String, body: ByteBuffer)) {
        self.render = render
    }

    /// A JSON body from an encodable value.
    public static func json(_ make: @escaping @Sendable (_ status: Int, _ message: String) -> any Encodable & Sendable) -> AuthErrorBody {
        AuthErrorBody { status, message in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            let data = (try? encoder.encode(make(Int(status.code), message))) ?? Data("{}".utf8)
            return ("application/json", ByteBuffer(bytes: data))
        }
    }

    /// keystonemiddleware's `{"error": {"code": 401, "title": "Unauthorized", "message": "..."}}`.
    public static let keystone = json { KeystoneErrorBody(code: $0, title: HTTPReason.phrase($0), message: $1) }

    /// Nova, Cinder, Trove and the admin API: `{"unauthorized": {"code": 401, "message": "..."}}`.
    public static let fault = json { OpenStackFault(code: $0, message: $1) }

    /// Neutron: `{"NeutronError": {"type": "HTTPUnauthorized", "message": "...", "detail": ""}}`.
    public static let neutron = json { code, message in
        NeutronErrorBody(type: "HTTP" + HTTPReason.phrase(code).replacingOccurrences(of: " ", with: ""), message: message)
    }

    /// Nova's format by its service's name.
    public static var nova: AuthErrorBody { fault }

    /// The admin API (Tricircle's Nova-like fault format).
    public static var admin: AuthErrorBody { fault }

    /// Trove: `{"unauthorized": {"code": 401, "message": "..."}}` with Trove's fault names.
    public static let trove = json { OpenStackFault(name: APIFaultFormat.troveFaultName($0), message: $1, code: $0) }

    /// Glance: `{"code": "401 Unauthorized", "title": "Unauthorized", "message": "..."}`.
    public static let glance = json { GlanceErrorBody(status: $0, message: $1) }

    /// The response for a status and message, with extra headers.
    func response(_ status: HTTPResponse.Status, _ message: String, headers extra: HTTPFields = [:]) -> Response {
        let (contentType, body) = render(status, message)
        var headers = extra
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }
}
