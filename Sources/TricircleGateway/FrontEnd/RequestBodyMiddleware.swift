import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Reads a JSON request body once, bounded in size and time, before any route or middleware sees it:
/// afterwards `request.body` is an in-memory buffer every reader may read again. A client's body stream can
/// be iterated only once (Hummingbird traps on a second iteration), so without this a reader that failed
/// half way (too large, cut off) left the next reader to crash the process.
///
/// - More than `limit` bytes (declared or sent): 413.
/// - A body cut off or aborted by the client: 400 (the connection is gone or closed after the answer).
/// - A body that does not arrive within `timeout` (a slow client holding a request open): 408, closed.
/// - A non-empty body whose `Content-Type` is not one the API reads: 415 (no `Content-Type` is JSON,
///   as the services take it).
///
/// Routes that stream their body (image data) live in a group without this middleware.
public struct RequestBodyMiddleware: RouterMiddleware {
    public typealias Context = GatewayRequestContext
    let limit: Int
    let timeout: Duration
    let format: APIFaultFormat
    /// Media types accepted for a body (compared without parameters, case-insensitively).
    let mediaTypes: Set<String>

    /// Media types the JSON APIs accept.
    public static let jsonMediaTypes: Set<String> = ["application/json"]

    public init(limit: Int, timeout: Duration, format: APIFaultFormat, mediaTypes: Set<String> = Self.jsonMediaTypes) {
        self.limit = limit
        self.timeout = timeout
        self.format = format
        self.mediaTypes = Set(mediaTypes.map { $0.lowercased() })
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Self.mayCarryBody(request) else { return try await next(request, context) }
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
            throw tooLarge()
        }
        var request = request
        let buffer = try await read(request)
        request.body = .init(buffer: buffer)
        if buffer.readableBytes > 0, let type = request.headers[.contentType], !accepts(type) {
            throw APIError(.unsupportedMediaType, "The media type \(Self.bare(type)) is not supported; send application/json.",
                           format: format)
        }
        return try await next(request, context)
    }

    /// POST, PUT and PATCH carry bodies; a GET or DELETE with one has it read (and bounded) too.
    static func mayCarryBody(_ request: Request) -> Bool {
        switch request.method {
        case .post, .put, .patch: return true
        default: return request.headers[.contentLength].flatMap(Int.init).map { $0 > 0 } ?? (request.headers[.transferEncoding] != nil)
        }
    }

    func accepts(_ contentType: String) -> Bool { mediaTypes.contains(Self.bare(contentType)) }

    /// "application/json" out of "Application/JSON; charset=UTF-8".
    static func bare(_ contentType: String) -> String {
        contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    }

    /// The whole body, or the error to answer.
    func read(_ request: Request) async throws -> ByteBuffer {
        let limit = limit
        let timeout = timeout
        let outcome: BodyOutcome = await withTaskGroup(of: BodyOutcome.self) { group in
            group.addTask {
                do {
                    return .body(try await request.body.collect(upTo: limit))
                } catch is NIOTooManyBytesError {
                    return .tooLarge
                } catch {
                    return .broken
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return .timedOut
            }
            let first = await group.next() ?? .broken
            group.cancelAll()
            return first
        }
        switch outcome {
        case .body(let buffer): return buffer
        case .tooLarge: throw tooLarge()
        case .broken: throw APIError(.badRequest, "The request body was incomplete or could not be read.", format: format)
        case .timedOut:
            throw APIError(.requestTimeout, "The request body did not arrive in time.", format: format,
                           headers: [.connection: "close"])
        }
    }

    func tooLarge() -> APIError {
        APIError(.contentTooLarge, "Request is too large: the body may not exceed \(limit) bytes.", format: format,
                 headers: [.connection: "close"])
    }

    enum BodyOutcome: Sendable {
        case body(ByteBuffer)
        case tooLarge
        case broken
        case timedOut
    }
}

extension Request {
    /// The JSON body. On every authenticated route `RequestBodyMiddleware` has already read it into memory,
    /// bounded, so this never touches the client's stream; a route outside that group (a wiring mistake)
    /// is still bounded by the largest body any configuration allows.
    public func bufferedBody(format: APIFaultFormat) async throws -> ByteBuffer {
        do {
            return try await body.collect(upTo: RequestBodyMiddleware.absoluteLimit)
        } catch {
            throw APIError(.contentTooLarge, "Request is too large.", format: format)
        }
    }
}

extension RequestBodyMiddleware {
    /// The largest `[gateway] max_body_bytes` accepts.
    public static let absoluteLimit = 1 << 30
}
