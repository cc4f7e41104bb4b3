import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OpenStackClient
import OpenStackModels
import RegionSimulator
import Testing

@testable import TricircleGateway

/// A gateway router with the auth middleware in front of `/whoami` and, behind the admin check, `/admin`.
func authTestRouter(
    validator: any KeystoneTokenValidating, configuration: KeystoneAuthConfiguration, errorBody: AuthErrorBody = .fault
) -> Router<GatewayRequestContext> {
    let router = Router(context: GatewayRequestContext.self)
    router.add(middleware: RequestIDMiddleware())
    router.get("/open") { _, _ in "open" }
    let authenticated = router.group()
        .add(middleware: KeystoneAuthMiddleware(validator: validator, configuration: configuration, errorBody: errorBody))
    authenticated.get("/whoami") { _, context -> Response in
        let caller = try context.requireCaller()
        let data = try JSONEncoder().encode([
            "user": caller.userName, "project": caller.projectName, "project_id": caller.projectID,
            "admin": caller.isAdmin ? "yes" : "no", "request_id": context.requestID,
        ])
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
    authenticated.group("admin").add(middleware: RequireAdminMiddleware()).get { _, _ in "admin only" }
    return router
}

func authConfiguration(url: String, ttl: Duration = .seconds(300), size: Int = 1000) -> KeystoneAuthConfiguration {
    KeystoneAuthConfiguration(
        keystone: KeystoneClientConfiguration(authURL: url + "/v3"), tokenCacheSize: size, tokenCacheTTL: ttl)
}

func get(_ client: some TestClientProtocol, _ uri: String, token: String? = nil) async throws -> TestResponse {
    var headers: HTTPFields = [:]
    if let token, let name = HTTPField.Name("X-Auth-Token") { headers[name] = token }
    return try await client.execute(uri: uri, method: .get, headers: headers)
}

extension TestResponse {
    func header(_ name: String) -> String? { HTTPField.Name(name).flatMap { headers[$0] } }
    var json: [String: String] { (try? JSONDecoder().decode([String: String].self, from: Data(buffer: body))) ?? [:] }
}

@Suite("Keystone auth middleware")
struct AuthMiddlewareTests {
    @Test func missingTokenIs401WithWWWAuthenticateRequestIDAndFrontEndBody() async throws {
        try await withLiveKeystone { keystone async throws in
            let app = Application(router: authTestRouter(validator: keystone.client(), configuration: authConfiguration(url: keystone.url)))
            try await app.test(.router) { client async throws in
                let response = try await get(client, "/whoami")
                #expect(response.status == .unauthorized)
                #expect(response.header("WWW-Authenticate") == "Keystone uri=\"\(keystone.url)\"")
                #expect(response.header("x-openstack-request-id")?.hasPrefix("req-") == true)
                let fault = try JSONDecoder().decode(OpenStackFault.self, from: Data(buffer: response.body))
                #expect(fault.name == "unauthorized")
                #expect(fault.code == 401)
                // Routes outside the group need no token.
                #expect(try await get(client, "/open").status == .ok)
            }
        }
    }

    @Test func invalidTokenIs401InTheChosenFormat() async throws {
        try await withLiveKeystone { keystone async throws in
            let router = authTestRouter(
                validator: keystone.client(), configuration: authConfiguration(url: keystone.url), errorBody: .keystone)
            try await Application(router: router).test(.router) { client async throws in
                let response = try await get(client, "/whoami", token: "gAAAAAbogus")
                #expect(response.status == .unauthorized)
                let body = try JSONDecoder().decode(KeystoneErrorBody.self, from: Data(buffer: response.body))
                #expect(body.error.title == "Unauthorized")
            }
        }
    }

    @Test func validTokenSetsTheCallerAndEchoesTheRequestID() async throws {
        try await withLiveKeystone { keystone async throws in
            let router = authTestRouter(validator: keystone.client(), configuration: authConfiguration(url: keystone.url))
            let demo = try keystone.token("demo", "demopass", project: "demo")
            try await Application(router: router).test(.router) { client async throws in
                let response = try await get(client, "/whoami", token: demo)
                #expect(response.status == .ok)
                #expect(response.json["user"] == "demo")
                #expect(response.json["project"] == "demo")
                #expect(response.json["admin"] == "no")
                #expect(response.header("x-openstack-request-id") == response.json["request_id"])
            }
        }
    }

    @Test func adminAPIRefusesMembersWith403AndAdmitsAdmins() async throws {
        try await withLiveKeystone { keystone async throws in
            let router = authTestRouter(validator: keystone.client(), configuration: authConfiguration(url: keystone.url))
            let demo = try keystone.token("demo", "demopass", project: "demo")
            let admin = try keystone.token("admin", "secret", project: "admin")
            try await Application(router: router).test(.router) { client async throws in
                let refused = try await get(client, "/admin", token: demo)
                #expect(refused.status == .forbidden)
                #expect(try JSONDecoder().decode(OpenStackFault.self, from: Data(buffer: refused.body)).name == "forbidden")
                #expect(try await get(client, "/admin", token: admin).status == .ok)
                #expect(try await get(client, "/admin").status == .unauthorized)
            }
        }
    }

    @Test func revokedTokenIsRefusedOnceTheCacheTTLPasses() async throws {
        try await withLiveKeystone { keystone async throws in
            let router = authTestRouter(
                validator: keystone.client(), configuration: authConfiguration(url: keystone.url, ttl: .milliseconds(100)))
            let demo = try keystone.token("demo", "demopass", project: "demo")
            try await Application(router: router).test(.router) { client async throws in
                #expect(try await get(client, "/whoami", token: demo).status == .ok)
                keystone.identity.revoke(token: demo)
                // (Within the TTL the cached verdict stands: see cachedVerdictsLastUntilTheEarlierOfExpiryAndTTL.)
                try await Task.sleep(for: .milliseconds(200))
                // After it, Keystone is asked again and says no.
                #expect(try await get(client, "/whoami", token: demo).status == .unauthorized)
            }
        }
    }

    @Test func zeroTTLAsksKeystoneEveryTime() async throws {
        try await withLiveKeystone { keystone async throws in
            let router = authTestRouter(validator: keystone.client(), configuration: authConfiguration(url: keystone.url, ttl: .zero))
            let demo = try keystone.token("demo", "demopass", project: "demo")
            try await Application(router: router).test(.router) { client async throws in
                #expect(try await get(client, "/whoami", token: demo).status == .ok)
                keystone.identity.revoke(token: demo)
                #expect(try await get(client, "/whoami", token: demo).status == .unauthorized)
            }
        }
    }

    @Test func unreachableKeystoneIs503NotA401() async throws {
        let validator = CountingValidator(known: [:], failing: true)
        let router = authTestRouter(validator: validator, configuration: authConfiguration(url: refusedURL))
        try await Application(router: router).test(.router) { client async throws in
            let response = try await get(client, "/whoami", token: "t1")
            #expect(response.status == .serviceUnavailable)
            #expect(response.header("WWW-Authenticate") == nil)
        }
    }

    @Test func verdictsAreCachedSoKeystoneIsAskedOncePerToken() async throws {
        let validator = CountingValidator(known: ["good": CountingValidator.token("good")])
        let router = authTestRouter(validator: validator, configuration: authConfiguration(url: refusedURL))
        try await Application(router: router).test(.router) { client async throws in
            for _ in 0..<5 { #expect(try await get(client, "/whoami", token: "good").status == .ok) }
            for _ in 0..<5 { #expect(try await get(client, "/whoami", token: "bad").status == .unauthorized) }
            #expect(validator.callCount == 2)
        }
    }

    @Test func concurrentFirstRequestsWithOneTokenValidateOnce() async throws {
        let validator = CountingValidator(known: ["t": CountingValidator.token("t")], delay: .milliseconds(200))
        let cache = TokenValidationCache(capacity: 10, ttl: .seconds(60))
        let results = try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<10 { group.addTask { try await cache.validateOnce("t", with: validator)?.userName } }
            return try await group.reduce(into: [String?]()) { $0.append($1) }
        }
        #expect(results == Array(repeating: "user-t", count: 10))
        #expect(validator.callCount == 1)
    }

    @Test func cacheIsBoundedAndEvictsTheLeastRecentlyUsed() async throws {
        let tokens = ["a", "b", "c"]
        let validator = CountingValidator(known: Dictionary(uniqueKeysWithValues: tokens.map { ($0, CountingValidator.token($0)) }))
        let configuration = authConfiguration(url: refusedURL, size: 2)
        let cache = TokenValidationCache(configuration: configuration)
        let router = Router(context: GatewayRequestContext.self)
        router.group()
            .add(middleware: KeystoneAuthMiddleware(validator: validator, configuration: configuration, cache: cache))
            .get("/whoami") { _, _ in "ok" }
        try await Application(router: router).test(.router) { client async throws in
            _ = try await get(client, "/whoami", token: "a")
            _ = try await get(client, "/whoami", token: "b")
            _ = try await get(client, "/whoami", token: "a")  // a is now the most recently used
            _ = try await get(client, "/whoami", token: "c")  // evicts b
            #expect(cache.count == 2)
            #expect(validator.callCount == 3)
            _ = try await get(client, "/whoami", token: "a")
            #expect(validator.callCount == 3)
            _ = try await get(client, "/whoami", token: "b")
            #expect(validator.callCount == 4)
        }
    }

    @Test func tokensWithoutProjectScopeAreRefused() async throws {
        var unscoped = CountingValidator.token("u")
        unscoped.projectID = nil
        let validator = CountingValidator(known: ["u": unscoped])
        let router = authTestRouter(validator: validator, configuration: authConfiguration(url: refusedURL))
        try await Application(router: router).test(.router) { client async throws in
            #expect(try await get(client, "/whoami", token: "u").status == .unauthorized)
        }
    }

    @Test func cachedVerdictsLastUntilTheEarlierOfExpiryAndTTL() {
        let cache = TokenValidationCache(capacity: 10, ttl: .seconds(300))
        let t0 = Date()
        let shortLived = AuthenticatedCaller(
            token: "s", userID: "u", userName: "n", projectID: "p", projectName: "pn", roles: ["member"],
            expiresAt: t0.addingTimeInterval(10))
        cache.accept("s", caller: shortLived, now: t0)
        #expect(cache.lookup("s", now: t0.addingTimeInterval(5)) == .some(shortLived))
        // Past the token's expiry, though well within the TTL: unknown again, so Keystone is asked.
        #expect(cache.lookup("s", now: t0.addingTimeInterval(11)) == nil)

        let longLived = AuthenticatedCaller(
            token: "l", userID: "u", userName: "n", projectID: "p", projectName: "pn", roles: ["member"],
            expiresAt: t0.addingTimeInterval(3600))
        cache.accept("l", caller: longLived, now: t0)
        #expect(cache.lookup("l", now: t0.addingTimeInterval(299)) == .some(longLived))
        #expect(cache.lookup("l", now: t0.addingTimeInterval(301)) == nil)

        cache.refuse("bad", now: t0)
        #expect(cache.lookup("bad", now: t0.addingTimeInterval(1)) == .some(nil))
        #expect(cache.lookup("bad", now: t0.addingTimeInterval(301)) == nil)
    }

    @Test func lruCacheKeepsItsLinksConsistentThroughRemovals() {
        var lru = LRUCache<Int, Int>(capacity: 3)
        for i in 0..<3 { lru.set(i, i) }
        #expect(lru.remove(1) == 1)
        lru.set(3, 3)
        lru.set(4, 4)  // evicts 0, the least recently used
        #expect(lru.get(0) == nil)
        #expect(lru.get(2) == 2)
        #expect(lru.get(3) == 3)
        #expect(lru.get(4) == 4)
        #expect(lru.count == 3)
        lru.set(5, 5)  // evicts 2
        #expect(lru.get(2) == nil)
        #expect(lru.count == 3)
    }

    @Test func configurationAnnouncesKeystoneRootUnlessOverridden() {
        let plain = KeystoneAuthConfiguration(keystone: KeystoneClientConfiguration(authURL: "http://k:5000/v3/"))
        #expect(plain.announcedURI == "http://k:5000")
        #expect(plain.keystone.v3URL == "http://k:5000/v3")
        let devstack = KeystoneClientConfiguration(authURL: "http://host/identity")
        #expect(devstack.v3URL == "http://host/identity/v3")
        let announced = KeystoneAuthConfiguration(keystone: plain.keystone, wwwAuthenticateURI: "https://public.example/identity/")
        #expect(announced.announcedURI == "https://public.example/identity")
    }
}
