import AsyncHTTPClient
import Foundation
import GatewayTestHarness
import NIOCore
import OpenStackModels
import SQLKit
import Testing
import TricircleGateway
import TricircleStore
import TricircleTestSupport

/// What every front-end answers the same way because the kit builds its router: hostile and careless
/// bodies, unknown paths and methods, media types, store failures, and links that ignore the Host header.
/// Each test runs over the OpenStack front-ends (the store failure over all five, and the admin API).
// Serialized: each case runs a whole gateway over simulated regions, four per test; run side by side with
// the rest of the suite they crowded 2 cores until other tests hit their 60 s HTTP deadline.
@Suite(.serialized) struct FrontEndKitTests {
    /// One front-end: its name in the harness, a create path (for bodies) and how its errors look.
    struct API: Sendable, CustomTestStringConvertible {
        let name: String
        /// A path taking a JSON POST; `{p}` is the caller's project.
        let createPath: String
        /// A routed path that reads the state store (`{p}` as above).
        let storePath: String
        /// A path served for GET only (`{p}` as above).
        let getOnlyPath: String
        let format: APIFaultFormat
        var testDescription: String { name }

        func path(_ template: String, project: String) -> String {
            template.replacingOccurrences(of: "{p}", with: project)
        }
    }

    static let apis: [API] = [
        API(name: "compute", createPath: "/v2.1/servers", storePath: "/v2.1/servers/6a1e3c0e-0000-4000-8000-000000000001",
            getOnlyPath: "/v2.1/servers/detail", format: .fault),
        API(name: "volume", createPath: "/v3/{p}/volumes", storePath: "/v3/{p}/volumes/6a1e3c0e-0000-4000-8000-000000000001",
            getOnlyPath: "/v3/{p}/volumes/detail", format: .fault),
        API(name: "network", createPath: "/v2.0/networks", storePath: "/v2.0/networks", getOnlyPath: "/v2.0/extensions",
            format: .neutron),
        API(name: "image", createPath: "/v2/images", storePath: "/v2/images/6a1e3c0e-0000-4000-8000-000000000001",
            getOnlyPath: "/v2/schemas/image", format: .glance),
    ]

    /// The message of an error body in the API's format; nil when the body is not in that format.
    static func message(_ reply: HarnessReply, _ format: APIFaultFormat) -> String? {
        let json = reply.json
        switch format {
        case .fault, .trove:
            guard let (_, inner) = json.objectValue?.first, json.objectValue?.count == 1 else { return nil }
            return inner["message"]?.stringValue
        case .neutron:
            return json["NeutronError"]?["message"]?.stringValue
        case .glance:
            guard json["code"] != nil else { return nil }
            return json["message"]?.stringValue
        }
    }

    @Test("a call without a token is a 401 in the API's format naming Keystone, with a request id", arguments: apis)
    func requiresToken(api: API) async throws {
        try await GatewayHarness.with { h in
            let reply = try await h.send("GET", h.origin(api.name) + api.path(api.getOnlyPath, project: "x"), token: nil)
            #expect(reply.status == 401)
            #expect(reply.header("WWW-Authenticate")?.contains("Keystone uri=") == true)
            #expect(Self.message(reply, api.format) != nil, "\(reply.text.prefix(200))")
            #expect(reply.header("x-openstack-request-id")?.hasPrefix("req-") == true)
        }
    }

    @Test("an oversize body is a 413 in the API's format and the gateway goes on", arguments: apis)
    func oversizeBody(api: API) async throws {
        try await GatewayHarness.with { h in
            let token = try h.token().id
            let project = try h.token().projectID
            let big = "{\"x\": \"" + String(repeating: "a", count: 1_536 * 1024) + "\"}"
            let reply = try await h.send("POST", h.origin(api.name) + api.path(api.createPath, project: project), token: token, body: big)
            #expect(reply.status == 413)
            #expect(Self.message(reply, api.format) != nil, "\(reply.text.prefix(200))")
            #expect(reply.header("x-openstack-request-id")?.hasPrefix("req-") == true)
            // A second read of the same body used to trap the process: it must still answer.
            let after = try await h.send("GET", h.origin(api.name) + api.path(api.getOnlyPath, project: project), token: token)
            #expect(after.status == 200)
        }
    }

    @Test("a body cut off by the client does not take the gateway down", arguments: apis)
    func truncatedBody(api: API) async throws {
        try await GatewayHarness.with { h in
            let token = try h.token().id
            let project = try h.token().projectID
            let port = h.ports[api.name] ?? 0
            let head = "POST \(api.path(api.createPath, project: project)) HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Auth-Token: \(token)\r\n"
                + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"network\""
            _ = try await RawConnection.exchange(port: port, send: head, closeAfterSend: true)
            let after = try await h.send("GET", h.origin(api.name) + api.path(api.getOnlyPath, project: project), token: token)
            #expect(after.status == 200)
        }
    }

    @Test("a body that does not arrive in time is a 408", arguments: apis)
    func slowBody(api: API) async throws {
        try await GatewayHarness.with(overrides: ["gateway.body_timeout": "0.5"]) { h in
            let token = try h.token().id
            let project = try h.token().projectID
            let head = "POST \(api.path(api.createPath, project: project)) HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Auth-Token: \(token)\r\n"
                + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\""
            let answer = try await RawConnection.exchange(port: h.ports[api.name] ?? 0, send: head, closeAfterSend: false)
            #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer.prefix(120))")
        }
    }

    @Test("a JSON body sent as text/plain is a 415", arguments: apis)
    func unsupportedMediaType(api: API) async throws {
        try await GatewayHarness.with { h in
            let token = try h.token().id
            let project = try h.token().projectID
            let reply = try await h.send(
                "POST", h.origin(api.name) + api.path(api.createPath, project: project), token: token, body: "{\"a\": {}}",
                headers: [("Content-Type", "text/plain")])
            #expect(reply.status == 415)
            #expect(Self.message(reply, api.format) != nil, "\(reply.text.prefix(200))")
        }
    }

    @Test("unknown paths are 404 and other methods of a known path 405 with Allow, in the API's format", arguments: apis)
    func unknownPathAndMethod(api: API) async throws {
        try await GatewayHarness.with { h in
            let token = try h.token().id
            let project = try h.token().projectID
            let unknown = try await h.send("GET", h.origin(api.name) + "/no/such/path", token: token)
            #expect(unknown.status == 404)
            #expect(Self.message(unknown, api.format) != nil, "\(unknown.text.prefix(200))")
            #expect(unknown.header("x-openstack-request-id")?.hasPrefix("req-") == true)
            let wrong = try await h.send("PUT", h.origin(api.name) + api.path(api.getOnlyPath, project: project), token: token, body: "{}")
            #expect(wrong.status == 405)
            #expect(wrong.header("allow")?.contains("GET") == true)
            #expect(Self.message(wrong, api.format) != nil, "\(wrong.text.prefix(200))")
            // With a trailing slash the path names a member with an empty id: the services answer 404, not 405
            // (Tempest: DELETE /volumes/ and PUT /volumes/ are NotFound).
            let emptyID = try await h.send("DELETE", h.origin(api.name) + api.path(api.getOnlyPath, project: project) + "/", token: token)
            #expect(emptyID.status == 404, "\(emptyID.text.prefix(200))")
            #expect(Self.message(emptyID, api.format) != nil, "\(emptyID.text.prefix(200))")
        }
    }

    /// Every OpenStack front-end, the Database API (Trove) included, for the store failure test.
    static let storeAPIs: [API] = apis + [
        API(name: "database", createPath: "/v1.0/{p}/instances", storePath: "/v1.0/{p}/instances/6a1e3c0e-0000-4000-8000-000000000001",
            getOnlyPath: "/v1.0/{p}/datastores", format: .trove),
    ]

    @Test("a failing state store is a 500 in the API's format that names the request id, not the cause", arguments: storeAPIs)
    func storeFailure(api: API) async throws {
        try await GatewayHarness.with { h in
            let token = try h.token().id
            let project = try h.token().projectID
            try await h.runtime.store.transaction { db in
                try await db.raw("DROP TABLE resource_routings").run()
                try await db.raw("DROP TABLE neutron_networks").run()
            }
            let reply = try await h.send("GET", h.origin(api.name) + api.path(api.storePath, project: project), token: token)
            #expect(reply.status == 500)
            let requestID = try #require(reply.header("x-openstack-request-id"))
            let message = try #require(Self.message(reply, api.format), "\(reply.text.prefix(300))")
            #expect(message.contains(requestID))
            #expect(!message.lowercased().contains("sql"))
            #expect(!message.contains("resource_routings"))
        }
    }

    @Test("a state database that stopped taking writes (a failover) makes a Compute catalog write a 503 with Retry-After, not a 500",
          arguments: TestDatabases.backends.filter { $0 == .postgres })
    func catalogWriteDuringFailover(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { h in
            let token = try h.token().id
            // As a demoted primary answers: every new session is read-only (25006), and the pooled ones are cut.
            try await h.runtime.store.read { db in
                let name = try #require(try await db.raw("SELECT current_database() AS name").first()).decode(column: "name", as: String.self)
                try await db.raw("ALTER DATABASE \(ident: name) SET default_transaction_read_only = on").run()
            }
            // Every session, the others first, then this one (it would still write): the last statement dies with it.
            _ = try? await h.runtime.store.read { db in
                try await db.raw("""
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
                    """).run()
                try await db.raw("SELECT pg_terminate_backend(pg_backend_pid())").run()
            }
            let reply = try await h.send("POST", h.origin("compute") + "/v2.1/os-keypairs", token: token,
                                         body: #"{"keypair": {"name": "during-failover"}}"#)
            #expect(reply.status == 503, "\(reply.text.prefix(300))")
            #expect(reply.header("retry-after") != nil)
            #expect(reply.header("x-openstack-request-id") != nil)
            try await h.runtime.store.read { db in
                let name = try #require(try await db.raw("SELECT current_database() AS name").first()).decode(column: "name", as: String.self)
                try await db.raw("SET default_transaction_read_only = off").run()
                try await db.raw("ALTER DATABASE \(ident: name) RESET default_transaction_read_only").run()
            }
        }
    }

    @Test("a failing state store makes the admin API a 500 in its fault format with a request id, not the cause")
    func adminStoreFailure() async throws {
        try await GatewayHarness.with { h in
            let token = try h.token(user: "admin").id
            try await h.runtime.store.transaction { db in
                try await db.raw("DROP TABLE resource_routings").run()
            }
            let reply = try await h.send("GET", h.origin("admin") + "/v1.0/routings", token: token)
            #expect(reply.status == 500)
            #expect(reply.header("x-openstack-request-id") != nil)
            let message = try #require(Self.message(reply, .fault), "\(reply.text.prefix(300))")
            #expect(!message.lowercased().contains("sql"))
            #expect(!message.contains("resource_routings"))
        }
    }

    @Test("a pod's error without a body is relayed with one in the API's format")
    func emptyPodErrorsGetABody() async throws {
        try await GatewayHarness.with { h in
            let token = try h.token().id
            // The simulated Glance answers an unknown image's members with a bare 404.
            let reply = try await h.send("GET", h.origin("image") + "/v2/images/6a1e3c0e-0000-4000-8000-000000000009/members", token: token)
            #expect(reply.status == 404)
            #expect(Self.message(reply, .glance) != nil, "\(reply.text.prefix(200))")
        }
    }

    @Test("links come from public_host, never from the client's Host header", arguments: apis)
    func hostHeaderIgnored(api: API) async throws {
        try await GatewayHarness.with(overrides: ["DEFAULT.public_host": "cloud.example.org"]) { h in
            let reply = try await h.send("GET", h.origin(api.name) + "/", token: nil, headers: [("Host", "evil.example.com")])
            #expect(!reply.text.contains("evil.example.com"))
            #expect(reply.text.contains("cloud.example.org:\(h.ports[api.name] ?? 0)"), "\(reply.text.prefix(300))")
        }
    }

    @Test("a trusted proxy's X-Forwarded-Host and -Proto decide links; an untrusted peer's do not")
    func forwardedHeaders() async throws {
        try await GatewayHarness.with(overrides: ["gateway.trusted_proxies": "10.0.0.0/8, 127.0.0.1"]) { h in
            let trusted = try await h.send(
                "GET", h.origin("network") + "/", token: nil,
                headers: [("X-Forwarded-Host", "api.example.org"), ("X-Forwarded-Proto", "https")])
            #expect(trusted.text.contains("https://api.example.org/v2.0"), "\(trusted.text.prefix(300))")
        }
        try await GatewayHarness.with(overrides: ["gateway.trusted_proxies": "10.0.0.0/8"]) { h in
            let untrusted = try await h.send(
                "GET", h.origin("network") + "/", token: nil,
                headers: [("X-Forwarded-Host", "api.example.org"), ("X-Forwarded-Proto", "https")])
            #expect(!untrusted.text.contains("api.example.org"))
        }
    }

    @Test("public_host forms and proxy ranges parse as documented")
    func publicOriginParsing() throws {
        #expect(throws: PublicOriginError.self) { try PublicOrigin(publicHost: "http://", trustedProxies: []) }
        #expect(throws: PublicOriginError.self) { try PublicOrigin(publicHost: "host:99999", trustedProxies: []) }
        #expect(throws: PublicOriginError.self) { try PublicOrigin(publicHost: "host", trustedProxies: ["not-an-ip"]) }
        _ = try PublicOrigin(publicHost: "https://api.example.org:8443", trustedProxies: ["::1", "192.168.0.0/16"])
        _ = try PublicOrigin(publicHost: "[2001:db8::1]:8774", trustedProxies: [])
    }
}

/// A raw HTTP/1.1 exchange over a socket, for bodies no HTTP client would send (cut off, slow).
enum RawConnection {
    /// Sends `text`; closes at once when `closeAfterSend`, else reads the answer until the server closes
    /// or 10 s pass. Returns what was read.
    static func exchange(port: Int, send text: String, closeAfterSend: Bool) async throws -> String {
        let channel = try await ClientSocket.connect(port: port)
        try await channel.write(Array(text.utf8))
        if closeAfterSend {
            channel.close()
            return ""
        }
        let answer = await channel.readAll(timeout: .seconds(10))
        channel.close()
        return answer
    }
}
