import HTTPTypes
import Hummingbird
import Logging
import OpenStackModels
import TricircleStore

/// The outermost middleware of every front-end: every answer, success or failure, carries
/// `x-openstack-request-id`, and every failure is answered in the API's own error format. Errors the
/// routes did not word themselves (the state store, a bug) are logged with their cause and answered as a
/// 500 that names the request id only: internals are never sent to the client.
public struct ErrorBoundaryMiddleware: RouterMiddleware {
    public typealias Context = GatewayRequestContext
    let format: APIFaultFormat
    /// What the 500 says before the request id (Nova: "Unexpected API Error.").
    let internalErrorMessage: String

    public init(format: APIFaultFormat) {
        self.format = format
        switch format {
        case .fault: internalErrorMessage = "Unexpected API Error. Please report this to the operator with the request id"
        case .neutron: internalErrorMessage = "Request Failed: internal server error while processing your request. Request id"
        case .glance: internalErrorMessage = "The server has either erred or is incapable of performing the requested operation. Request id"
        case .trove: internalErrorMessage = "Internal Server Error. Please keep this ID to help us figure out what went wrong:"
        }
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = render(error, request: request, context: context)
        }
        if response.headers[.openStackRequestID] == nil {
            response.headers[.openStackRequestID] = context.requestID
        }
        return response
    }

    /// The client's answer for an error thrown anywhere below.
    func render(_ error: any Error, request: Request, context: Context) -> Response {
        switch error {
        case let error as APIError where error.format == format:
            return (try? error.response(from: request, context: context)) ?? internalError(error, context: context)
        case let error as APIError:
            // Worded for another API (a shared helper's default): same status and message, our format.
            return APIError(error.status, error.message, format: format, type: error.type, headers: error.headers).render()
        case let error as NeutronError:
            return APIError(HTTPResponse.Status(code: error.status), error.message, format: format, type: error.type).render()
        case let error as HTTPError:
            // Hummingbird's own (unknown path, body too large, ...): its status, the API's format.
            let message = error.body ?? Self.defaultMessage(error.status)
            var headers = error.headers
            headers[.contentType] = nil
            headers[.contentLength] = nil
            return APIError(error.status, message, format: format, headers: headers).render()
        case let error as any HTTPResponseError:
            if let response = try? error.response(from: request, context: context) { return response }
            return internalError(error, context: context)
        case let error where StateStore.isUnavailable(error):
            // The state database is failing over (or out of reach): the request decided nothing the client
            // can rely on, and the store reconnects on the next one. A 503 the client retries, not a 500.
            context.logger.warning("state database unavailable", metadata: ["error": "\(String(reflecting: error))"])
            return APIError(.serviceUnavailable, "The service is temporarily unavailable (its state database is "
                            + "failing over); retry the request. Request id \(context.requestID).", format: format,
                            headers: [.retryAfter: "\(Self.storeRetryAfterSeconds)"]).render()
        default:
            return internalError(error, context: context)
        }
    }

    func internalError(_ error: any Error, context: Context) -> Response {
        context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
        return APIError(.internalServerError, "\(internalErrorMessage) \(context.requestID).", format: format,
                        type: "HTTPInternalServerError").render()
    }

    /// Retry-After on a 503 for an unavailable state database: about one Patroni failover (a few seconds).
    static let storeRetryAfterSeconds = 2

    static func defaultMessage(_ status: HTTPResponse.Status) -> String {
        switch status.code {
        case 404: "The resource could not be found."
        case 405: "The method is not allowed for the requested URL."
        case 413: "The request body is too large."
        default: status.reasonPhrase
        }
    }
}

extension APIError {
    /// The response for this error (rendering an `APIError` cannot fail).
    public func render() -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields,
                        body: .init(byteBuffer: format.body(status: Int(status.code), message: message, type: type)))
    }
}
