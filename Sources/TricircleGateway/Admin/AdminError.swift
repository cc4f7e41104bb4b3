import Foundation
import Hummingbird
import NIOCore
import OpenStackModels
import TricircleStore

/// An admin API failure, answered in Tricircle's Nova-like format: `{"badRequest": {"message": "...", "code": 400}}`.
public struct AdminError: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let message: String
    /// Extra response headers (`Allow` on a 405).
    public let headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    static func badRequest(_ message: String) -> AdminError { AdminError(.badRequest, message) }
    static func notFound(_ message: String) -> AdminError { AdminError(.notFound, message) }
    static func conflict(_ message: String) -> AdminError { AdminError(.conflict, message) }
    static func unsupportedMediaType(_ type: String) -> AdminError {
        AdminError(.unsupportedMediaType, "Unsupported Content-Type \(BodySchema.shown(type)); the admin API takes application/json")
    }
    /// 405 naming the methods the path does take, in `Allow` as HTTP requires.
    static func methodNotAllowed(_ method: HTTPRequest.Method, path: String, allowed: [HTTPRequest.Method]) -> AdminError {
        let allow = allowed.map(\.rawValue).joined(separator: ", ")
        return AdminError(
            .methodNotAllowed, "Method \(method.rawValue) is not allowed on \(BodySchema.shown(path)); allowed: \(allow)",
            headers: [.allow: allow])
    }
    static func tooLarge(limit: Int) -> AdminError {
        AdminError(.contentTooLarge, "Request body is larger than the \(limit) bytes the admin API accepts")
    }

    /// The fault body, e.g. `{"itemNotFound": {"message": "...", "code": 404}}`.
    public var fault: OpenStackFault { OpenStackFault(code: Int(status.code), message: message) }

    public var description: String { "\(status.code) \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = AdminJSON.response(fault, status: status)
        response.headers.append(contentsOf: headers)
        return response
    }

    /// Converts anything a handler or the store threw into an admin error; unknown errors become a 500
    /// whose message points at the log instead of leaking internals.
    static func from(_ error: any Error) -> AdminError {
        switch error {
        case let error as AdminError:
            return error
        case let error as StoreError:
            switch error {
            case .conflict(let message): return .conflict(message)
            case .notFound(let message): return .notFound(message)
            case .badURL: return AdminError(.internalServerError, "The state database is misconfigured")
            }
        case is NIOTooManyBytesError:
            return AdminError(.contentTooLarge, "Request body is too large")
        case let error as any HTTPResponseError:
            return AdminError(error.status, error.status.reasonPhrase)
        default:
            if StateStore.isUniqueViolation(error) { return .conflict("The resource already exists") }
            if StateStore.isUnavailable(error) {
                // A failover of the state database: the client retries, as on the front-ends' 503.
                return AdminError(.serviceUnavailable, "The state database is unavailable (failing over?); retry shortly",
                                  headers: [.retryAfter: "\(ErrorBoundaryMiddleware.storeRetryAfterSeconds)"])
            }
            return AdminError(.internalServerError, "The admin API could not complete the request; see the gateway log")
        }
    }
}

/// JSON encoding shared by every admin response (sorted keys, so output is stable for people and diffs).
enum AdminJSON {
    static func encode(_ value: some Encodable) -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding our own value types cannot fail; an empty object keeps the reply well-formed if it ever did.
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return ByteBuffer(bytes: data)
    }

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: encode(value)))
    }
}
