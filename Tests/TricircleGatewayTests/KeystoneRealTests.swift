import AsyncHTTPClient
import Foundation
import OpenStackClient
import OpenStackModels
import Hummingbird
import HummingbirdTesting
import Testing

@testable import TricircleGateway

/// The same client checks against a real Keystone, when one is named:
/// `TRICIRCLE_TEST_KEYSTONE_URL=http://127.0.0.1:5000/v3` (user `admin`, password from
/// `TRICIRCLE_TEST_KEYSTONE_PASSWORD`, default "secret", project `admin`; as ../shared/openstack-regions bootstraps it).
@Suite("KeystoneClient against a real Keystone", .enabled(if: ProcessInfo.processInfo.environment["TRICIRCLE_TEST_KEYSTONE_URL"] != nil))
struct KeystoneRealTests {
    static var url: String { ProcessInfo.processInfo.environment["TRICIRCLE_TEST_KEYSTONE_URL"] ?? "" }
    static var password: String { ProcessInfo.processInfo.environment["TRICIRCLE_TEST_KEYSTONE_PASSWORD"] ?? "secret" }

    static func withClient(_ body: (KeystoneClient) async throws -> Void) async throws {
        let http = SharedHTTPClient.make()
        let client = KeystoneClient(
            configuration: KeystoneClientConfiguration(authURL: url, username: "admin", password: password, projectName: "admin"),
            httpClient: http)
        do {
            try await body(client)
            try await http.shutdown()
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    @Test func serviceTokenValidationAndRevocation() async throws {
        try await Self.withClient { client in
            let service = try await client.serviceToken()
            #expect(service.token.project?.name == "admin")
            let user = try await client.authenticate(.password(userName: "admin", password: Self.password, projectName: "admin"))
            let validated = try #require(try await client.validate(userToken: user.id))
            #expect(validated.userName == "admin")
            #expect(validated.isAdmin)
            #expect(validated.expiresAt > Date())
            try await client.revoke(userToken: user.id)
            #expect(try await client.validate(userToken: user.id) == nil)
            #expect(try await client.validate(userToken: "gAAAAABnot-a-real-token") == nil)
        }
    }

    @Test func wrongPasswordIs401() async throws {
        try await Self.withClient { client in
            await #expect {
                _ = try await client.authenticate(.password(userName: "admin", password: "definitely-wrong", projectName: "admin"))
            } throws: { error in
                (error as? OpenStackClientError)?.httpStatus == 401
            }
        }
    }

    @Test func catalogResolvesTheIdentityEndpointPerRegion() async throws {
        try await Self.withClient { client in
            let regions = try await client.regions().map(\.id)
            #expect(regions.contains("RegionOne"))
            #expect(try await client.regionExists("RegionOne"))
            #expect(try await client.regionExists("NoSuchRegion-\(UUID().uuidString)") == false)
            let resolver = EndpointResolver(keystone: client)
            let identity = try await resolver.url(region: "RegionOne", serviceType: "identity")
            #expect(identity.hasPrefix("http"))
        }
    }

    @Test func authMiddlewareAcceptsRealTokensAndRefusesOthers() async throws {
        try await Self.withClient { client in
            let user = try await client.authenticate(.password(userName: "admin", password: Self.password, projectName: "admin"))
            let configuration = KeystoneAuthConfiguration(keystone: client.configuration)
            let router = authTestRouter(validator: client, configuration: configuration)
            try await Application(router: router).test(.router) { tester async throws in
                let ok = try await get(tester, "/whoami", token: user.id)
                #expect(ok.status == .ok)
                #expect(ok.json["admin"] == "yes")
                #expect(try await get(tester, "/admin", token: user.id).status == .ok)
                let refused = try await get(tester, "/whoami", token: "gAAAAABnot-a-real-token")
                #expect(refused.status == .unauthorized)
                #expect(refused.header("WWW-Authenticate")?.hasPrefix("Keystone uri=") == true)
            }
        }
    }
}
