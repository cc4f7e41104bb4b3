import Foundation
import OpenStackClient
import OpenStackModels
import RegionSimulator
import Testing

@Suite("KeystoneClient against the simulated Keystone")
struct KeystoneClientTests {
    @Test func serviceTokenIsSharedByConcurrentCallersAndReused() async throws {
        try await withLiveKeystone { keystone async throws in
            let client = keystone.client()
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<8 { group.addTask { try await client.serviceToken().id } }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(ids.count == 1)
            #expect(try await client.serviceToken().id == ids.first)
            let token = try #require(keystone.identity.validate(token: ids.first ?? ""))
            #expect(token.userName == "tricircle")
            #expect(token.projectName == "service")
        }
    }

    @Test func serviceTokenIsRenewedBeforeItExpires() async throws {
        // Tokens live 60 s; renewing 120 s before expiry means every call renews.
        try await withLiveKeystone(SimulatedIdentity(tokenLifetime: .seconds(60))) { keystone async throws in
            let client = keystone.client(reauthenticateBefore: .seconds(120))
            let first = try await client.serviceToken().id
            let second = try await client.serviceToken().id
            #expect(first != second)
            let steady = keystone.client(reauthenticateBefore: .seconds(10))
            #expect(try await steady.serviceToken().id == steady.serviceToken().id)
        }
    }

    @Test func validateReturnsUserProjectRolesAndExpiry() async throws {
        try await withLiveKeystone { keystone async throws in
            keystone.identity.setEndpoint(region: "RegionOne", serviceType: "compute", serviceName: "nova", url: "http://127.0.0.1:8774/v2.1")
            let user = try keystone.token("demo", "demopass", project: "demo")
            let client = keystone.client()
            let validated = try #require(try await client.validate(userToken: user))
            #expect(validated.userName == "demo")
            #expect(validated.projectName == "demo")
            #expect(validated.roles.contains("member"))
            #expect(!validated.isAdmin)
            #expect(validated.expiresAt > Date())
            #expect(validated.catalog == nil)
            let withCatalog = try #require(try await client.validate(userToken: user, includeCatalog: true))
            #expect(withCatalog.catalog?.first?.type == "compute")
        }
    }

    @Test func invalidAndRevokedTokensValidateToNil() async throws {
        try await withLiveKeystone { keystone async throws in
            let client = keystone.client()
            #expect(try await client.validate(userToken: "gAAAAAgarbage") == nil)
            let user = try keystone.token("demo", "demopass", project: "demo")
            try await client.revoke(userToken: user)
            #expect(try await client.validate(userToken: user) == nil)
        }
    }

    @Test func revokedServiceTokenIsReplacedTransparently() async throws {
        try await withLiveKeystone { keystone async throws in
            let client = keystone.client()
            let first = try await client.serviceToken().id
            keystone.identity.revoke(token: first)
            let user = try keystone.token("demo", "demopass", project: "demo")
            #expect(try await client.validate(userToken: user)?.userName == "demo")
            #expect(try await client.serviceToken().id != first)
        }
    }

    @Test func wrongServicePasswordIsAServiceAuthenticationError() async throws {
        try await withLiveKeystone { keystone async throws in
            let client = keystone.client(password: "wrong")
            await #expect {
                _ = try await client.validate(userToken: "anything")
            } throws: { error in
                guard case OpenStackClientError.serviceAuthenticationFailed = error else { return false }
                return true
            }
        }
    }

    @Test func passwordAuthWithBadPasswordIs401() async throws {
        try await withLiveKeystone { keystone async throws in
            let client = keystone.client()
            await #expect {
                _ = try await client.authenticate(.password(userName: "demo", password: "nope", projectName: "demo"))
            } throws: { error in
                (error as? OpenStackClientError)?.httpStatus == 401
            }
        }
    }

    @Test func unreachableKeystoneIsAConnectionError() async throws {
        let http = SharedHTTPClient.make(connectTimeout: .seconds(1))
        let client = KeystoneClient(configuration: KeystoneClientConfiguration(authURL: refusedURL), httpClient: http)
        await #expect {
            _ = try await client.validate(userToken: "x")
        } throws: { error in
            (error as? OpenStackClientError)?.isConnectionError == true
        }
        try await http.shutdown()
    }

    @Test func registerEndpointIsIdempotentAndReplacesAMovedURL() async throws {
        try await withLiveKeystone { keystone async throws in
            let client = keystone.client()
            let first = try await client.registerEndpoint(
                region: "RegionOne", serviceType: "compute", serviceName: "nova", url: "http://127.0.0.1:18774/v2.1")
            let again = try await client.registerEndpoint(
                region: "RegionOne", serviceType: "compute", serviceName: "nova", url: "http://127.0.0.1:18774/v2.1")
            #expect(first.id == again.id)
            let moved = try await client.registerEndpoint(
                region: "RegionOne", serviceType: "compute", serviceName: "nova", url: "http://127.0.0.1:28774/v2.1")
            #expect(moved.id != first.id)
            let endpoints = try await client.endpoints(interface: "public", regionID: "RegionOne")
            #expect(endpoints.map(\.url) == ["http://127.0.0.1:28774/v2.1"])
            #expect(try await client.regionExists("RegionOne"))
            #expect(try await client.regionExists("NoSuchRegion") == false)
        }
    }
}
