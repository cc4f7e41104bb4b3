import Foundation
import OpenStackClient
import Testing
import TricircleTestSupport

/// Keystone closing a kept-alive connection as the gateway reuses it (seen under Tempest: "Connection reset by
/// peer") must not turn a token validation into a 503: a GET changed nothing and is sent once more.
@Suite("Keystone connection lost under a validation")
struct KeystoneConnectionLossTests {
    @Test("the first GET /v3/auth/tokens has its connection cut: the validation is sent again and succeeds")
    func validationSurvivesACutConnection() async throws {
        try await withLiveKeystone { keystone async throws in
            let user = try keystone.token("demo", "demopass", project: "demo")
            let upstream = try #require(URLComponents(string: keystone.url))
            let proxy = try await LoopbackProxy.start(
                upstreamHost: "127.0.0.1", upstreamPort: try #require(upstream.port), cutting: "GET /v3/auth/tokens")
            defer { Task { await proxy.stop() } }
            let client = KeystoneClient(
                configuration: KeystoneClientConfiguration(authURL: "http://127.0.0.1:\(proxy.port)/v3", password: "servicepass"),
                httpClient: keystone.http)
            let validated = try await client.validate(userToken: user)
            #expect(validated?.userName == "demo")
            #expect(proxy.cuts == 1)
        }
    }
}
