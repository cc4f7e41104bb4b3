import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import OpenStackClient
import OpenStackModels
import RegionSimulator
import Synchronization
import Testing

/// A simulated Keystone listening on an ephemeral loopback port, with the process-style shared HTTP client.
struct LiveKeystone: Sendable {
    let url: String
    let identity: SimulatedIdentity
    let http: HTTPClient

    /// A client for the gateway's service user (`tricircle`/`servicepass` on `service`).
    func client(
        password: String = "servicepass", reauthenticateBefore: Duration = .seconds(120), timeout: Duration = .seconds(5)
    ) -> KeystoneClient {
        KeystoneClient(
            configuration: KeystoneClientConfiguration(
                authURL: url + "/v3", password: password, timeout: timeout, reauthenticateBefore: reauthenticateBefore),
            httpClient: http)
    }

    /// A project-scoped user token issued in-process.
    func token(_ user: String, _ password: String, project: String) throws -> String {
        try #require(identity.issueToken(userName: user, password: password, projectName: project)).id
    }
}

/// Quiet logger for servers started by tests.
let testLogger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}()

/// Runs `router` on 127.0.0.1 with an ephemeral port and hands `body` its base URL.
func withLiveServer<T: Sendable>(
    _ router: Router<BasicRequestContext>, _ body: @escaping @Sendable (String) async throws -> T
) async throws -> T {
    let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: testLogger)
    return try await app.test(.live) { client async throws in
        let port = try #require(client.port)
        return try await body("http://127.0.0.1:\(port)")
    }
}

/// Runs a simulated Keystone on an ephemeral port for the duration of `body`.
func withLiveKeystone<T: Sendable>(
    _ identity: SimulatedIdentity = SimulatedIdentity(), _ body: @escaping @Sendable (LiveKeystone) async throws -> T
) async throws -> T {
    let http = SharedHTTPClient.make(connectTimeout: .seconds(2))
    do {
        let result = try await withLiveServer(identity.makeRouter()) { url in
            try await body(LiveKeystone(url: url, identity: identity, http: http))
        }
        try await http.shutdown()
        return result
    } catch {
        try? await http.shutdown()
        throw error
    }
}

/// A URL nothing listens on (connection refused).
let refusedURL = "http://127.0.0.1:1"

/// A stand-in regional service: echoes what it received, can be told to be slow or fail.
func echoServiceRouter() -> Router<BasicRequestContext> {
    let router = Router()
    router.get("/servers") { request, _ -> Response in
        var echoed: [String: String] = [:]
        for field in request.headers { echoed[field.name.canonicalName.lowercased()] = field.value }
        echoed["path"] = request.uri.path
        echoed["query"] = request.uri.query ?? ""
        let data = try JSONEncoder().encode(["servers": [echoed]])
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
    router.post("/servers") { request, _ -> Response in
        var request = request
        let body = try await request.collectBody(upTo: 1 << 20)
        return Response(status: .accepted, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
    }
    router.get("/missing") { _, _ -> Response in
        let data = Data(#"{"itemNotFound": {"message": "Instance could not be found.", "code": 404}}"#.utf8)
        return Response(status: .notFound, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
    router.get("/slow") { _, _ -> Response in
        try await Task.sleep(for: .milliseconds(500))
        return Response(status: .ok)
    }
    return router
}

/// Counts validations and answers from a fixed table (tests of the middleware's cache).
final class CountingValidator: KeystoneTokenValidating {
    let known: [String: ValidatedToken]
    let calls = Mutex(0)
    let failing: Bool
    let delay: Duration

    init(known: [String: ValidatedToken], failing: Bool = false, delay: Duration = .zero) {
        self.known = known
        self.failing = failing
        self.delay = delay
    }

    var callCount: Int { calls.withLock { $0 } }

    func validate(userToken: String) async throws -> ValidatedToken? {
        calls.withLock { $0 += 1 }
        if delay > .zero { try await Task.sleep(for: delay) }
        if failing { throw OpenStackClientError.connectionFailed(url: refusedURL, reason: "down") }
        return known[userToken]
    }

    /// A project-scoped token valid for an hour.
    static func token(_ id: String, roles: [String] = ["member"], project: String = "p1") -> ValidatedToken {
        ValidatedToken(
            tokenID: id, userID: "u-\(id)", userName: "user-\(id)", userDomainID: "default", projectID: project,
            projectName: "project-\(project)", roles: roles, expiresAt: Date().addingTimeInterval(3600))
    }
}
