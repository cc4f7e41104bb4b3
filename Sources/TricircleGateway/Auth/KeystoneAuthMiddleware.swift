import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OpenStackClient

/// Authenticates every request as keystonemiddleware's auth_token does: `X-Auth-Token` is validated with
/// Keystone (`GET /v3/auth/tokens`, authenticated by the gateway's service token), verdicts are cached
/// (bounded, until min(token expiry, TTL)), and a missing or invalid token gets a 401 with
/// `WWW-Authenticate: Keystone uri="..."`. Keystone being unreachable is a 503, not a 401.
public struct KeystoneAuthMiddleware<Context: AuthenticatedRequestContext>: RouterMiddleware {
    let validator: any KeystoneTokenValidating
    let cache: TokenValidationCache
    let announcedURI: String
    let requireProjectScope: Bool
    let format: AuthErrorBody

    /// - Parameters:
    ///   - validator: usually the process's `KeystoneClient`.
    ///   - configuration: cache size and TTL, the announced Keystone URI.
    ///   - cache: pass one cache to every front-end of a process so a token is validated once; by default
    ///     this middleware gets its own, sized from `configuration`.
    ///   - errorBody: how this front-end words its errors (keystonemiddleware's Keystone format by default).
    public init(
        validator: any KeystoneTokenValidating, configuration: KeystoneAuthConfiguration,
        cache: TokenValidationCache? = nil, errorBody: AuthErrorBody = .keystone
    ) {
        self.validator = validator
        self.cache = cache ?? TokenValidationCache(configuration: configuration)
        self.announcedURI = configuration.announcedURI
        self.requireProjectScope = configuration.requireProjectScope
        self.format = errorBody
    }

    /// Tokens longer than this are refused without asking Keystone (Fernet tokens are ~200 bytes).
    static var maxTokenLength: Int { 16 * 1024 }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token = request.headers[.authToken].map(Self.trimmed), !token.isEmpty,
            token.utf8.count <= Self.maxTokenLength
        else {
            return unauthorized()
        }
        let caller: AuthenticatedCaller
        switch cache.lookup(token) {
        case .some(.some(let known)):
            caller = known
        case .some(.none):
            return unauthorized()
        case .none:
            let validated: ValidatedToken?
            // The cache counts from when Keystone was asked, so a revocation shows within the TTL exactly.
            let asked = Date()
            do {
                validated = try await cache.validateOnce(token, with: validator)
            } catch {
                context.logger.error("token validation failed, Keystone unavailable: \(error)")
                return format.response(.serviceUnavailable, "The server is currently unavailable. Please try again at a later time.")
            }
            guard let validated, validated.expiresAt > Date() else {
                cache.refuse(token)
                return unauthorized()
            }
            guard let scoped = AuthenticatedCaller(validated) else {
                // Unscoped and domain-scoped tokens can be valid, but cannot act on project resources.
                if requireProjectScope { return unauthorized() }
                caller = AuthenticatedCaller(
                    token: token, userID: validated.userID, userName: validated.userName,
                    userDomainID: validated.userDomainID, projectID: "", projectName: "", roles: validated.roles,
                    expiresAt: validated.expiresAt)
                cache.accept(token, caller: caller, now: asked)
                break
            }
            caller = scoped
            cache.accept(token, caller: caller, now: asked)
        }
        var context = context
        context.caller = caller
        // The cached verdict may be stale (a token revoked after it was cached is trusted for up to the
        // cache TTL): a pod that refuses the token says so sooner. Calls made for this request find the
        // check through the task and re-validate the token when a pod answers 401 to it.
        let check = CallerTokenCheck(token: token, cache: cache, validator: validator, format: format, announcedURI: announcedURI)
        let response: Response
        do {
            response = try await CallerTokenCheck.$current.withValue(check) { try await next(request, context) }
        } catch let rejection as PodRejectedToken {
            throw rejection
        } catch {
            // Whatever else went wrong, a pod refusing the caller's token is the answer.
            if let rejection = await check.rejection() { throw rejection.inMergedList() }
            throw error
        }
        // A route that left out a pod that refused the token (a loop over pods that skips the ones that
        // fail) would answer with a partial result: the 401 is the answer instead.
        if let rejection = await check.rejection() { return rejection.inMergedList().response() }
        return response
    }

    /// The header's value without surrounding whitespace. Tokens are ASCII with nothing around them: checking the
    /// two ends saves a Foundation trim (a CharacterSet walk) on every request; anything else is trimmed as before.
    static func trimmed(_ value: String) -> String {
        let plain: (UInt8) -> Bool = { $0 < 0x80 && $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
        if let first = value.utf8.first, let last = value.utf8.last, plain(first), plain(last) { return value }
        return value.trimmingCharacters(in: .whitespaces)
    }

    func unauthorized() -> Response {
        var headers = HTTPFields()
        if let name = HTTPField.Name("WWW-Authenticate") {
            headers[name] = "Keystone uri=\"\(announcedURI)\""
        }
        return format.response(.unauthorized, "The request you have made requires authentication.", headers: headers)
    }
}

/// Lets only callers with the admin role through (the admin API); others get 403.
public struct RequireAdminMiddleware<Context: AuthenticatedRequestContext>: RouterMiddleware {
    let format: AuthErrorBody
    let role: String

    /// - Parameters:
    ///   - role: the role required ("admin").
    ///   - errorBody: how the front-end words the 403.
    public init(role: String = "admin", errorBody: AuthErrorBody = .admin) {
        self.role = role
        self.format = errorBody
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let caller = context.caller else {
            return format.response(.unauthorized, "The request you have made requires authentication.")
        }
        guard caller.hasRole(role) else {
            return format.response(.forbidden, "Policy doesn't allow this operation: the \(role) role is required.")
        }
        return try await next(request, context)
    }
}
