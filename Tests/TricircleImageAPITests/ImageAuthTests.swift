import GatewayTestHarness
import Testing

/// The image front-end is served at the top and asks Keystone for every call.
@Suite("Image front-end auth")
struct ImageAuthTests {
    @Test("a call without a token gets 401 naming Keystone; the catalog lists the front-end in the top region")
    func requiresToken() async throws {
        try await GatewayHarness.with { harness in
            let reply = try await harness.send("GET", harness.url("image", projectID: "x") + "/v2/images", token: nil)
            #expect(reply.status == 401)
            #expect(reply.header("WWW-Authenticate")?.contains("Keystone uri=") == true)
        }
    }
}
