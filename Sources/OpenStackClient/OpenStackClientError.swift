import AsyncHTTPClient
import Foundation
import NIOCore

/// Why a call to Keystone or a regional service failed, typed so callers can map it to an API answer.
public enum OpenStackClientError: Error, Sendable, CustomStringConvertible {
    /// Could not connect at all (refused, unreachable, connect timeout): nothing was sent, retrying is safe.
    case connectionFailed(url: String, reason: String)
    /// Connected, but the call did not finish within its timeout; the remote may have acted on it.
    case timeout(url: String)
    /// The connection broke mid-call; the remote may have acted on it.
    case connectionLost(url: String, reason: String)
    /// The remote answered with an error status.
    case http(RegionalResponse)
    /// The catalog has no endpoint for that region, service type and interface.
    case noEndpoint(region: String, serviceType: String, interface: String)
    /// The answer could not be read (bad JSON, too large).
    case invalidResponse(url: String, reason: String)
    /// Keystone refused the gateway's own service credentials.
    case serviceAuthenticationFailed(String)

    /// True for failures where the endpoint itself is unreachable, so a fresh catalog might help.
    public var isConnectionError: Bool {
        if case .connectionFailed = self { return true }
        return false
    }

    /// The HTTP status when the remote answered with an error.
    public var httpStatus: Int? {
        if case .http(let response) = self { return response.status }
        return nil
    }

    public var description: String {
        switch self {
        case .connectionFailed(let url, let reason): "cannot connect to \(url): \(reason)"
        case .timeout(let url): "\(url) did not answer in time"
        case .connectionLost(let url, let reason): "connection to \(url) lost: \(reason)"
        case .http(let response): "\(response.url) answered \(response.status): \(String(buffer: response.body).prefix(300))"
        case .noEndpoint(let region, let type, let interface):
            "the Keystone catalog has no \(interface) \(type) endpoint in region \(region)"
        case .invalidResponse(let url, let reason): "unreadable answer from \(url): \(reason)"
        case .serviceAuthenticationFailed(let reason): "the gateway could not authenticate to Keystone: \(reason)"
        }
    }

    /// Classifies an error thrown by AsyncHTTPClient for a call to `url`.
    public static func transport(_ error: any Error, url: String) -> OpenStackClientError {
        if let error = error as? OpenStackClientError { return error }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout: return .timeout(url: url)
            case .connectTimeout, .getConnectionFromPoolTimeout, .tlsHandshakeTimeout:
                return .connectionFailed(url: url, reason: "\(error)")
            case .remoteConnectionClosed: return .connectionLost(url: url, reason: "remote closed the connection")
            default: return .connectionLost(url: url, reason: "\(error)")
            }
        }
        if error is NIOTooManyBytesError { return .invalidResponse(url: url, reason: "response body too large") }
        if let error = error as? ChannelError {
            switch error {
            case .connectTimeout: return .connectionFailed(url: url, reason: "connect timeout")
            default: return .connectionLost(url: url, reason: "\(error)")
            }
        }
        if let error = error as? IOError {
            let refusals: Set<Int32> = [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EHOSTDOWN, EADDRNOTAVAIL]
            return refusals.contains(error.errnoCode)
                ? .connectionFailed(url: url, reason: "\(error)") : .connectionLost(url: url, reason: "\(error)")
        }
        // NIOPosix's NIOConnectionError (all connect attempts failed) is not visible from here; match it by name.
        let typeName = String(reflecting: type(of: error))
        if typeName.contains("NIOConnectionError") || typeName.contains("SingleConnectionFailure")
            || typeName.contains("DNS") || typeName.contains("Resolver")
        {
            return .connectionFailed(url: url, reason: "\(error)")
        }
        return .connectionLost(url: url, reason: "\(error)")
    }
}

