import Foundation
import GatewayTestHarness
import OpenStackModels
import RegionSimulator
import Testing

/// The Database API's version documents and error format at the top.
@Suite struct DatabaseVersionTests {
    @Test func versionDocumentPointsAtTheGatewayWithoutAToken() async throws {
        try await GatewayHarness.with { h in
            let reply = try await h.send("GET", h.origin("database") + "/", token: nil)
            #expect(reply.status == 200)
            let href = reply.json["versions"]?.arrayValue?.first?["links"]?.arrayValue?.first?["href"]?.stringValue
            #expect(href == h.origin("database") + "/v1.0/")
            #expect(reply.header("x-openstack-request-id")?.hasPrefix("req-") == true)
        }
    }

    @Test func unknownInstanceIsTroveItemNotFound() async throws {
        try await GatewayHarness.with { h in
            let token = try h.token()
            let reply = try await h.send("GET", h.url("database", projectID: token.projectID) + "/instances/nope", token: token.id)
            #expect(reply.status == 404)
            #expect(reply.json["itemNotFound"]?["code"]?.intValue == 404)
        }
    }

    @Test func anotherProjectsURLIsForbidden() async throws {
        try await GatewayHarness.with { h in
            let token = try h.token()
            let other = try h.token(user: "alt_demo")
            let reply = try await h.send("GET", h.url("database", projectID: other.projectID) + "/instances", token: token.id)
            #expect(reply.status == 403)
            #expect(reply.json["forbidden"]?["message"]?.stringValue?.contains(token.projectID) == true)
        }
    }
}
