import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenStackClient
import Synchronization

/// What one request knows about its caller's token beyond the auth middleware: whether a pod refused it.
///
/// `KeystoneAuthMiddleware` makes one per authenticated request and binds it to the request's task
/// (`CallerTokenCheck.current`), so every call made for the request — in child tasks of a fan-out too —
/// can tell "a pod answered 401 to the caller's own token" apart from a 401 to the gateway's service
/// user, without each front-end passing anything along. A pod's 401 means the gateway's cached verdict
/// may be stale (the token was revoked after it was cached): the token is dropped from the shared cache
/// and Keystone asked again, once per request however many pods refused it.
public final class CallerTokenCheck: Sendable {
    /// What Keystone said when asked again after a pod refused the token.
    public enum Verdict: Sendable, Equatable {
        /// Keystone no longer accepts the token (revoked or expired): the caller must authenticate again.
        case revoked
        /// Keystone still accepts it: the pod is out of step with Keystone.
        case stillValid
        /// Keystone could not be asked; the pod's word stands.
        case unconfirmed
    }

    /// The check of the request being served (nil outside an authenticated request: jobs, start-up).
    @TaskLocal public static var current: CallerTokenCheck?

    let token: String
    let cache: TokenValidationCache
    let validator: any KeystoneTokenValidating
    /// How the front-end words its 401s, and the Keystone it announces (as the auth middleware answers).
    let format: AuthErrorBody
    let announcedURI: String

    private struct State {
        var firstRefusal: (region: String, response: RegionalResponse)?
        var recheck: Task<Verdict, Never>?
    }
    private let state = Mutex(State())

    init(token: String, cache: TokenValidationCache, validator: any KeystoneTokenValidating, format: AuthErrorBody, announcedURI: String) {
        self.token = token
        self.cache = cache
        self.validator = validator
        self.format = format
        self.announcedURI = announcedURI
    }

    /// Whether a call carried the caller's own token (a 401 to the gateway's service user says nothing
    /// about the caller).
    public func concerns(_ credentials: ServiceCredentials) -> Bool { credentials.token == token }

    /// Whether a pod refused the caller's token during this request.
    public var refusedByAPod: Bool { state.withLock { $0.firstRefusal != nil } }

    /// Records that `region` answered `response` (a 401) to the caller's token, re-validates the token
    /// and returns the error that answers the request.
    public func podRefused(_ response: RegionalResponse, region: String) async -> PodRejectedToken {
        state.withLock { if $0.firstRefusal == nil { $0.firstRefusal = (region, response) } }
        let verdict = await verdict()
        return PodRejectedToken(verdict: verdict, region: region, podAnswer: response, check: self)
    }

    /// The error that answers a request during which a pod refused the caller's token (nil: none did).
    /// Used where the 401 was not seen as it happened: a pod part cut off by a list's time box, or a
    /// front-end loop that left a pod out instead of rethrowing.
    public func rejection() async -> PodRejectedToken? {
        guard let (region, response) = state.withLock({ $0.firstRefusal }) else { return nil }
        return PodRejectedToken(verdict: await verdict(), region: region, podAnswer: response, check: self)
    }

    /// Keystone's verdict, asked once per request (the pods of a merged list refuse together).
    func verdict() async -> Verdict {
        let task = state.withLock { state -> Task<Verdict, Never> in
            if let running = state.recheck { return running }
            let (token, cache, validator) = (token, cache, validator)
            // Awaited by every pod call of this request that was refused; it ends with the Keystone call.
            let task = Task { await Self.recheck(token, cache: cache, validator: validator) }
            state.recheck = task
            return task
        }
        return await task.value
    }

    /// Drops the cached verdict and asks Keystone; a refused token is remembered as refused, so the
    /// caller's next request is answered 401 without asking anyone.
    static func recheck(_ token: String, cache: TokenValidationCache, validator: any KeystoneTokenValidating) async -> Verdict {
        cache.forget(token)
        do {
            guard let validated = try await cache.validateOnce(token, with: validator), validated.expiresAt > Date() else {
                cache.refuse(token)
                return .revoked
            }
            // Not cached again: the next request asks Keystone itself, and a pod still out of step keeps
            // answering 401 rather than the gateway vouching for the token.
            return .stillValid
        } catch {
            return .unconfirmed
        }
    }

    /// The auth middleware's own 401 (`WWW-Authenticate` naming Keystone), worded for the front-end.
    func unauthorized(_ message: String) -> Response {
        var headers = HTTPFields()
        if let name = HTTPField.Name("WWW-Authenticate") { headers[name] = "Keystone uri=\"\(announcedURI)\"" }
        return format.response(.unauthorized, message, headers: headers)
    }
}

/// A pod answered 401 to the caller's own token: the request is answered 401, never with a partial list,
/// a list built from the routing table, or a 503 (a 401 is an answer: the pod's circuit stays closed).
///
/// Thrown by `PodForwarder.send` and `CrossPodLister.page`; renders itself (`HTTPResponseError`). When
/// Keystone confirms the token is no longer valid the answer is the auth middleware's 401 with
/// `WWW-Authenticate`; when Keystone still accepts it (the pod is out of step) a routed call relays the
/// pod's 401 and a merged list answers the front-end's 401 naming the region.
public struct PodRejectedToken: Error, HTTPResponseError, CustomStringConvertible, Sendable {
    /// What Keystone said when asked again.
    public let verdict: CallerTokenCheck.Verdict
    /// The region whose pod refused the token (the first one, for a list).
    public let region: String
    /// The pod's own answer.
    public let podAnswer: RegionalResponse
    /// Whether the answer is for a list merged over pods rather than a call routed to one pod.
    public private(set) var mergedList = false
    let check: CallerTokenCheck

    init(verdict: CallerTokenCheck.Verdict, region: String, podAnswer: RegionalResponse, check: CallerTokenCheck) {
        self.verdict = verdict
        self.region = region
        self.podAnswer = podAnswer
        self.check = check
    }

    public var status: HTTPResponse.Status { .unauthorized }

    public var description: String { "region \(region) refused the caller's token (Keystone: \(verdict))" }

    /// The same refusal as the answer to a list merged over pods.
    public func inMergedList() -> PodRejectedToken {
        var copy = self
        copy.mergedList = true
        return copy
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response { response() }

    /// The client's answer.
    public func response() -> Response {
        switch verdict {
        case .revoked:
            return check.unauthorized("The request you have made requires authentication.")
        case .stillValid, .unconfirmed:
            if mergedList {
                // Keystone accepts the token but a pod does not: the list could only be served without that
                // pod's part, and a partial list looks complete to the client (deletes, quota counts, Terraform
                // plans go wrong on it). A 401 is honest; the client's next try may find the pod in step again.
                return check.unauthorized("Region \(region) refused the token; the list cannot be served without it.")
            }
            return relayed()
        }
    }

    /// The pod's 401 as it wrote it (body, content type), with `WWW-Authenticate` naming the Keystone the
    /// gateway announces (the one its clients authenticate with).
    func relayed() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = podAnswer.headers.first { $0.0.lowercased() == "content-type" }?.1 ?? "application/json"
        if let name = HTTPField.Name("WWW-Authenticate") { headers[name] = "Keystone uri=\"\(check.announcedURI)\"" }
        return Response(status: .unauthorized, headers: headers, body: .init(byteBuffer: podAnswer.body))
    }
}
