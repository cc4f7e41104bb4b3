import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1
import RegionSimulator
import Testing
import TricircleCore
import TricircleGateway
import TricircleStore
import TricircleTestSupport

/// `tricircle serve`'s admin front-end end to end: real listeners on loopback, the simulated Keystone
/// validating tokens, the state store behind it.
@Suite("Gateway serve")
struct GatewayServeTests {
    @Test("the admin API registers pods for admins only, over HTTP with Keystone tokens", arguments: TestDatabases.backends)
    func adminOverHTTP(backend: StoreBackend) async throws {
        let identity = SimulatedIdentity()
        identity.addRegion("CentralRegion")
        identity.addRegion("RegionOne")
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { _ = http.shutdown() }
        try await withLoopbackApplication(router: identity.makeRouter()) { keystonePort in
            let config = try TricircleConfig.defaults(overrides: [
                "DEFAULT.bind_host": "127.0.0.1",
                "gateway.admin_port": "0",
                "keystone_authtoken.auth_url": "http://127.0.0.1:\(keystonePort)/v3",
                "database.connection": try await TestDatabases.makeURL(backend),
                "job.workers": "1",
            ])
            let runtime = try await GatewayRuntime.start(config: config)
            let ports = AsyncStream<Int>.makeStream()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await runtime.run(components: .all) { name, port in if name == "admin" { ports.continuation.yield(port) } }
                }
                var iterator = ports.stream.makeAsyncIterator()
                let adminPort = try #require(await iterator.next())
                let base = "http://127.0.0.1:\(adminPort)"
                let keystone = "http://127.0.0.1:\(keystonePort)/v3"
                let adminToken = try await issueToken(http, keystone, user: "admin", password: "secret", project: "admin")
                let demoToken = try await issueToken(http, keystone, user: "demo", password: "demopass", project: "demo")

                // No token: 401 naming Keystone.
                let anonymous = try await send(http, "GET", base + "/v1.0/pods", token: nil)
                #expect(anonymous.status == 401)
                #expect(anonymous.headers["WWW-Authenticate"].first?.contains("Keystone uri=") == true)
                // Member token: 403, and nothing is created.
                let member = try await send(http, "POST", base + "/v1.0/pods", token: demoToken,
                                            body: #"{"pod": {"region_name": "RegionOne", "az_name": "az1"}}"#)
                #expect(member.status == 403)
                // Admin: a region Keystone knows is accepted, an unknown one is refused.
                let created = try await send(http, "POST", base + "/v1.0/pods", token: adminToken,
                                             body: #"{"pod": {"region_name": "RegionOne", "az_name": "az1"}}"#)
                #expect(created.status == 200 || created.status == 201)
                #expect(created.headers["x-openstack-request-id"].first?.hasPrefix("req-") == true)
                let unknown = try await send(http, "POST", base + "/v1.0/pods", token: adminToken,
                                             body: #"{"pod": {"region_name": "NoSuchRegion", "az_name": "az9"}}"#)
                #expect(unknown.status == 400)
                let list = try await send(http, "GET", base + "/v1.0/pods", token: adminToken)
                #expect(list.status == 200)
                #expect(list.body.contains("RegionOne"))
                #expect(!list.body.contains("NoSuchRegion"))
                group.cancelAll()
            }
            await runtime.shutdown()
        }
    }
}

struct HTTPReply {
    let status: UInt
    let headers: HTTPHeaders
    let body: String
}

func send(_ http: HTTPClient, _ method: String, _ url: String, token: String?, body: String? = nil) async throws -> HTTPReply {
    var request = HTTPClientRequest(url: url)
    request.method = .init(rawValue: method)
    request.headers.add(name: "Content-Type", value: "application/json")
    if let token { request.headers.add(name: "X-Auth-Token", value: token) }
    if let body { request.body = .bytes(ByteBuffer(string: body)) }
    let response = try await http.execute(request, timeout: .seconds(10))
    let bytes = try await response.body.collect(upTo: 1 << 20)
    return HTTPReply(status: response.status.code, headers: response.headers, body: String(buffer: bytes))
}

func issueToken(_ http: HTTPClient, _ keystone: String, user: String, password: String, project: String) async throws -> String {
    let body = """
        {"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "\(user)",
          "domain": {"id": "default"}, "password": "\(password)"}}},
          "scope": {"project": {"name": "\(project)", "domain": {"id": "default"}}}}}
        """
    let reply = try await send(http, "POST", keystone + "/auth/tokens", token: nil, body: body)
    guard reply.status == 201, let token = reply.headers["X-Subject-Token"].first else {
        throw HTTPError(.internalServerError, message: "token issue failed: \(reply.status) \(reply.body)")
    }
    return token
}
