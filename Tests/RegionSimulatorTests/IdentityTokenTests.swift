import Foundation
import HTTPTypes
import OpenStackModels
import RegionSimulator
import Synchronization
import Testing

@Suite("Simulated Keystone: tokens")
struct IdentityTokenTests {
    @Test func versionDocumentsAnswerAtRootAndV3() async throws {
        try await withIdentity { client, _ async throws in
            let root = try await client.send(.get, "/")
            #expect(root.status == .multipleChoices)
            let versions = try root.decode(IdentityVersionList.self)
            #expect(versions.versions.values.first?.id == "v3.14")
            let v3 = try await client.send(.get, "/v3")
            #expect(v3.status == .ok)
            #expect(try v3.decode(IdentityVersionDocument.self).version.status == "stable")
        }
    }

    @Test func passwordAuthIssuesScopedTokenWithCatalogAndRoles() async throws {
        let identity = SimulatedIdentity()
        identity.setEndpoint(region: "RegionOne", serviceType: "compute", serviceName: "nova", url: "http://127.0.0.1:8774/v2.1")
        try await withIdentity(identity) { client, identity async throws in
            let reply = try await client.passwordAuth("demo", "demopass", project: "demo")
            #expect(reply.status == .created)
            let id = try #require(reply.subjectToken)
            let token = try reply.decode(TokenResponse.self).token
            #expect(token.methods == ["password"])
            #expect(token.user.name == "demo")
            #expect(token.user.domain.id == "default")
            #expect(token.project?.name == "demo")
            #expect(Set(token.roles?.map(\.name) ?? []) == ["member", "reader"])
            #expect(token.catalog?.first?.type == "compute")
            #expect(token.catalog?.first?.endpoints.first?.regionID == "RegionOne")
            #expect(KeystoneTime.parse(token.expiresAt) != nil)
            let simulated = try #require(identity.validate(token: id))
            #expect(simulated.projectName == "demo")
            #expect(!simulated.isAdmin)
        }
    }

    @Test func adminUserGetsAdminOnAdminProject() async throws {
        try await withIdentity { client, identity async throws in
            let id = try await client.token("admin", "secret", project: "admin")
            #expect(identity.validate(token: id)?.isAdmin == true)
            let service = try await client.token("tricircle", "servicepass", project: "service")
            #expect(identity.validate(token: service)?.isAdmin == true)
        }
    }

    @Test func wrongPasswordIs401WithWWWAuthenticateAndKeystoneBody() async throws {
        try await withIdentity { client, _ async throws in
            let reply = try await client.passwordAuth("demo", "wrong", project: "demo")
            #expect(reply.status == .unauthorized)
            #expect(reply.header("WWW-Authenticate")?.hasPrefix("Keystone uri=") == true)
            let error = try reply.decode(KeystoneErrorBody.self).error
            #expect(error.code == 401)
            #expect(error.title == "Unauthorized")
        }
    }

    @Test func projectWithoutRoleIs401() async throws {
        try await withIdentity { client, _ async throws in
            let reply = try await client.passwordAuth("demo", "demopass", project: "alt_demo")
            #expect(reply.status == .unauthorized)
        }
    }

    @Test func malformedAuthBodyIs400() async throws {
        try await withIdentity { client, _ async throws in
            let reply = try await client.send(.post, "/v3/auth/tokens", json: "{\"auth\": {\"identity\": 3}}")
            #expect(reply.status == .badRequest)
            #expect(try reply.decode(KeystoneErrorBody.self).error.code == 400)
            let notJSON = try await client.send(.post, "/v3/auth/tokens", json: "nope")
            #expect(notJSON.status == .badRequest)
        }
    }

    @Test func validateReturnsTokenAndNocatalogDropsCatalog() async throws {
        let identity = SimulatedIdentity()
        identity.setEndpoint(region: "RegionOne", serviceType: "network", serviceName: "neutron", url: "http://127.0.0.1:9696")
        try await withIdentity(identity) { client, _ async throws in
            let service = try await client.token("tricircle", "servicepass", project: "service")
            let user = try await client.token("demo", "demopass", project: "demo")
            let full = try await client.send(.get, "/v3/auth/tokens", token: service, subject: user)
            #expect(full.status == .ok)
            #expect(full.subjectToken == user)
            #expect(try full.decode(TokenResponse.self).token.catalog?.isEmpty == false)
            let bare = try await client.send(.get, "/v3/auth/tokens?nocatalog", token: service, subject: user)
            #expect(try bare.decode(TokenResponse.self).token.catalog == nil)
            let head = try await client.send(.head, "/v3/auth/tokens", token: service, subject: user)
            #expect(head.status == .ok)
        }
    }

    @Test func unknownSubjectTokenIs404AndMissingCallerTokenIs401() async throws {
        try await withIdentity { client, _ async throws in
            let service = try await client.token("tricircle", "servicepass", project: "service")
            let unknown = try await client.send(.get, "/v3/auth/tokens", token: service, subject: "gAAAAAnotatoken")
            #expect(unknown.status == .notFound)
            let anonymous = try await client.send(.get, "/v3/auth/tokens", subject: service)
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.header("WWW-Authenticate") != nil)
        }
    }

    @Test func memberMayValidateOnlyOwnToken() async throws {
        try await withIdentity { client, _ async throws in
            let demo = try await client.token("demo", "demopass", project: "demo")
            let alt = try await client.token("alt_demo", "altpass", project: "alt_demo")
            #expect(try await client.send(.get, "/v3/auth/tokens", token: demo, subject: demo).status == .ok)
            #expect(try await client.send(.get, "/v3/auth/tokens", token: demo, subject: alt).status == .forbidden)
        }
    }

    @Test func revokedTokenNoLongerValidates() async throws {
        try await withIdentity { client, identity async throws in
            let service = try await client.token("tricircle", "servicepass", project: "service")
            let user = try await client.token("demo", "demopass", project: "demo")
            #expect(try await client.send(.delete, "/v3/auth/tokens", token: service, subject: user).status == .noContent)
            #expect(try await client.send(.get, "/v3/auth/tokens", token: service, subject: user).status == .notFound)
            #expect(identity.validate(token: user) == nil)
            // Revoked tokens cannot act either.
            #expect(try await client.send(.get, "/v3/auth/projects", token: user).status == .unauthorized)
        }
    }

    @Test func expiredTokenIsRefused() async throws {
        let clock = Mutex(Date())
        let identity = SimulatedIdentity(tokenLifetime: .seconds(60), clock: { clock.withLock { $0 } })
        try await withIdentity(identity) { client, identity async throws in
            let user = try await client.token("demo", "demopass", project: "demo")
            #expect(identity.validate(token: user) != nil)
            clock.withLock { $0 = $0.addingTimeInterval(61) }
            #expect(identity.validate(token: user) == nil)
            let service = try await client.token("tricircle", "servicepass", project: "service")
            let reply = try await client.send(.get, "/v3/auth/tokens", token: service, subject: user)
            #expect(reply.status == .notFound)
        }
    }

    @Test func tokenMethodRescopesWithoutOutlivingTheOriginal() async throws {
        try await withIdentity { client, identity async throws in
            let unscoped = try await client.passwordAuth("admin", "secret", project: nil)
            let unscopedID = try #require(unscoped.subjectToken)
            let body = try unscoped.decode(TokenResponse.self).token
            // The admin user's default project is admin, so no scope means that project.
            #expect(body.project?.name == "admin")
            let demoProject = try #require(
                try await client.send(.get, "/v3/projects?name=demo", token: unscopedID).decode(ProjectList.self).projects.first)
            let rescopeBody = String(decoding: try JSONEncoder().encode(AuthTokenRequest.token(unscopedID, projectID: demoProject.id)), as: UTF8.self)
            let rescoped = try await client.send(.post, "/v3/auth/tokens", json: rescopeBody)
            // admin has no role on demo.
            #expect(rescoped.status == .unauthorized)
            let sameProject = String(
                decoding: try JSONEncoder().encode(AuthTokenRequest.token(unscopedID, projectID: body.project?.id)), as: UTF8.self)
            let again = try await client.send(.post, "/v3/auth/tokens", json: sameProject)
            #expect(again.status == .created)
            let token = try again.decode(TokenResponse.self).token
            #expect(token.methods.contains("token"))
            #expect(token.expiresAt == body.expiresAt)
            #expect(identity.validate(token: again.subjectToken ?? "") != nil)
        }
    }

    @Test func explicitUnscopedTokenHasNoCatalogOrRoles() async throws {
        try await withIdentity { client, _ async throws in
            let body = """
                {"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "demo", "domain": {"id": "default"}, "password": "demopass"}}}, "scope": "unscoped"}}
                """
            let reply = try await client.send(.post, "/v3/auth/tokens", json: body)
            #expect(reply.status == .created)
            let token = try reply.decode(TokenResponse.self).token
            #expect(token.project == nil)
            #expect(token.catalog == nil)
            #expect(token.roles == nil)
        }
    }

    @Test func authProjectsListsOnlyTheCallersProjects() async throws {
        try await withIdentity { client, _ async throws in
            let demo = try await client.token("demo", "demopass", project: "demo")
            let projects = try await client.send(.get, "/v3/auth/projects", token: demo).decode(ProjectList.self).projects
            #expect(projects.map(\.name) == ["demo"])
        }
    }
}
