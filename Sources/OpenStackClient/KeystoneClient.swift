import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import OpenStackModels

/// Anything that can check a user token; the gateway's auth middleware depends on this, tests may stub it.
public protocol KeystoneTokenValidating: Sendable {
    /// The token's identity when Keystone accepts it; nil when it is unknown, expired or revoked.
    /// Throws when Keystone cannot be asked (down, or it refuses the gateway's own credentials).
    func validate(userToken: String) async throws -> ValidatedToken?
}

/// Keystone v3 client for the gateway: the service user's token (re-authenticated before expiry),
/// user-token validation as keystonemiddleware does it, and the catalog and region calls.
public final class KeystoneClient: KeystoneTokenValidating, Sendable {
    /// A token Keystone just issued: the `X-Subject-Token` id and the body.
    public struct IssuedToken: Sendable {
        public var id: String
        public var token: Token
        public var expiresAt: Date
    }

    public let configuration: KeystoneClientConfiguration
    let httpClient: HTTPClient
    let logger: Logger
    let serviceTokens = ServiceTokenCache()

    /// `httpClient` is the process's shared client; this type never creates or shuts one down.
    public init(configuration: KeystoneClientConfiguration, httpClient: HTTPClient, logger: Logger = Logger(label: "tricircle.keystone")) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.logger = logger
    }

    // MARK: Tokens

    /// `POST /v3/auth/tokens`. A wrong password is `.http` with status 401.
    public func authenticate(_ request: AuthTokenRequest, includeCatalog: Bool = true) async throws -> IssuedToken {
        let body = try JSONEncoder().encode(request)
        let response = try await send(
            .POST, "/auth/tokens" + (includeCatalog ? "" : "?nocatalog"), token: nil, body: ByteBuffer(data: body))
        guard response.status == 201 || response.status == 200 else { throw OpenStackClientError.http(response) }
        guard let id = response.header("X-Subject-Token") else {
            throw OpenStackClientError.invalidResponse(url: response.url, reason: "no X-Subject-Token header")
        }
        let decoded = try response.decode(TokenResponse.self)
        guard let expiresAt = KeystoneTime.parse(decoded.token.expiresAt) else {
            throw OpenStackClientError.invalidResponse(url: response.url, reason: "unreadable expires_at \(decoded.token.expiresAt)")
        }
        return IssuedToken(id: id, token: decoded.token, expiresAt: expiresAt)
    }

    /// The gateway's own token (service user, service project), cached and renewed before it expires.
    /// Concurrent callers share one authentication.
    public func serviceToken() async throws -> IssuedToken {
        let margin = configuration.reauthenticateBefore.timeInterval
        return try await serviceTokens.current(renewingWithin: margin) { [self] in
            do {
                return try await authenticate(
                    .password(
                        userName: configuration.username, password: configuration.password,
                        userDomainName: configuration.userDomainName, projectName: configuration.projectName,
                        projectDomainName: configuration.projectDomainName))
            } catch OpenStackClientError.http(let response) where response.status == 401 || response.status == 400 {
                throw OpenStackClientError.serviceAuthenticationFailed(
                    "Keystone at \(configuration.v3URL) refused user \(configuration.username) on project \(configuration.projectName) (\(response.status))")
            }
        }
    }

    /// Drops the cached service token if it is `id` (a service refused it), so the next call fetches a new one.
    public func invalidateServiceToken(_ id: String) async {
        await serviceTokens.invalidate(id)
    }

    /// Validates a user token with `GET /v3/auth/tokens`, authenticated by the service token.
    public func validate(userToken: String) async throws -> ValidatedToken? {
        try await validate(userToken: userToken, includeCatalog: false)
    }

    /// Validates a user token; `includeCatalog` asks Keystone for the catalog too.
    public func validate(userToken: String, includeCatalog: Bool) async throws -> ValidatedToken? {
        let response = try await sendAsService(
            .GET, "/auth/tokens" + (includeCatalog ? "" : "?nocatalog"), headers: [("X-Subject-Token", userToken)])
        switch response.status {
        case 200:
            let decoded = try response.decode(TokenResponse.self)
            guard let validated = ValidatedToken(tokenID: userToken, token: decoded.token) else {
                throw OpenStackClientError.invalidResponse(url: response.url, reason: "unreadable expires_at")
            }
            return validated.expiresAt > Date() ? validated : nil
        case 404:
            return nil
        default:
            throw OpenStackClientError.http(response)
        }
    }

    /// `DELETE /v3/auth/tokens`: revokes a token (204); unknown tokens are not an error.
    public func revoke(userToken: String) async throws {
        let response = try await sendAsService(.DELETE, "/auth/tokens", headers: [("X-Subject-Token", userToken)])
        guard response.status == 204 || response.status == 404 else {
            throw OpenStackClientError.http(response)
        }
    }

    // MARK: Transport

    /// Sends with the service token; a 401 means the cached service token went bad (revoked, Keystone
    /// restarted with new keys), so it is dropped and the call repeated once with a fresh one. A GET whose
    /// kept-alive connection Keystone had closed (reset by peer) is sent once more: it changed nothing, and
    /// otherwise the caller's request fails with a 503 although Keystone is up (seen under Tempest).
    func sendAsService(
        _ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: ByteBuffer? = nil
    ) async throws -> RegionalResponse {
        do {
            return try await sendAsServiceOnce(method, path, headers: headers, body: body)
        } catch OpenStackClientError.connectionLost(_, _) where method == .GET {
            return try await sendAsServiceOnce(method, path, headers: headers, body: body)
        }
    }

    private func sendAsServiceOnce(
        _ method: HTTPMethod, _ path: String, headers: [(String, String)], body: ByteBuffer?
    ) async throws -> RegionalResponse {
        let first = try await serviceToken()
        let response = try await send(method, path, token: first.id, headers: headers, body: body)
        guard response.status == 401 else { return response }
        await serviceTokens.invalidate(first.id)
        let second = try await serviceToken()
        return try await send(method, path, token: second.id, headers: headers, body: body)
    }

    func send(
        _ method: HTTPMethod, _ path: String, token: String?, headers: [(String, String)] = [], body: ByteBuffer? = nil
    ) async throws -> RegionalResponse {
        let url = configuration.v3URL + path
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "tricircle-gateway")
        if let token { request.headers.add(name: "X-Auth-Token", value: token) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(body)
        }
        do {
            let response = try await httpClient.execute(request, timeout: TimeAmount(configuration.timeout), logger: logger)
            let collected = try await response.body.collect(upTo: 16 << 20)
            return RegionalResponse(
                url: url, status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                body: collected)
        } catch {
            throw OpenStackClientError.transport(error, url: url)
        }
    }
}

/// The service token and, while one is being fetched, the fetch everyone waits for.
actor ServiceTokenCache {
    private var cached: KeystoneClient.IssuedToken?
    private var inFlight: Task<KeystoneClient.IssuedToken, any Error>?

    func current(
        renewingWithin margin: TimeInterval,
        fetch: @escaping @Sendable () async throws -> KeystoneClient.IssuedToken
    ) async throws -> KeystoneClient.IssuedToken {
        if let cached, cached.expiresAt.timeIntervalSinceNow > margin { return cached }
        if let inFlight { return try await inFlight.value }
        let task = Task { try await fetch() }
        inFlight = task
        defer { inFlight = nil }
        let token = try await task.value
        cached = token
        return token
    }

    func invalidate(_ id: String) {
        if cached?.id == id { cached = nil }
    }
}
