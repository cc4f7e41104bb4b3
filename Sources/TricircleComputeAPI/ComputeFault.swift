import Foundation
import HTTPTypes
import Hummingbird
import OpenStackModels
import TricircleGateway

/// A Nova fault whose body name is not the one `APIError` derives from the status (406 is
/// `computeFault` in Nova, not `badRequest`), with extra headers.
struct NovaFault: Error, HTTPResponseError, Sendable {
    var status: HTTPResponse.Status
    var name: String
    var message: String
    var headers: HTTPFields

    init(_ status: HTTPResponse.Status, name: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.name = name
        self.message = message
        self.headers = headers
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = (try? encoder.encode(OpenStackFault(name: name, message: message, code: Int(status.code)))) ?? Data("{}".utf8)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(data: data)))
    }
}

/// Nova's wording for the faults the gateway itself answers.
enum Nova {
    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message, format: .fault) }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, message, format: .fault) }
    static func conflict(_ message: String) -> APIError { APIError(.conflict, message, format: .fault) }
    static func serverNotFound(_ id: String) -> APIError { notFound("Instance \(id) could not be found.") }
    static func internalError(_ message: String) -> APIError { APIError(.internalServerError, message, format: .fault) }
    static let malformedBody = badRequest("Malformed request body")
}
