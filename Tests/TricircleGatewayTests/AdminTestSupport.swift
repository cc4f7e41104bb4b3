import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OpenStackModels
import Testing
import TricircleCore
import TricircleJobs
import TricircleStore
import TricircleTestSupport

@testable import TricircleGateway

/// Test double for the gateway's `KeystoneAuthMiddleware`: no Keystone; it sets a fixed caller whose roles
/// come from an `x-test-roles` header (default `admin`). The real `RequireAdminMiddleware` runs after it, so
/// the 403 for non-admins is the production one. The Keystone middleware is tested by its own suite.
struct StaticCallerTestMiddleware<Context: AuthenticatedRequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let roles = (request.headers[HTTPField.Name("x-test-roles") ?? .via] ?? "admin").split(separator: ",").map(String.init)
        context.caller = AuthenticatedCaller(
            token: "test-token", userID: "test-user-id", userName: "test-admin", projectID: "test-project-id",
            projectName: "admin", roles: roles, expiresAt: Date().addingTimeInterval(3600))
        return try await next(request, context)
    }
}

/// One admin API reply, decoded for assertions.
struct AdminReply {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let text: String
    var json: JSONValue { (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .null }
    /// The fault name and message of an error reply (`{"badRequest": {"message": ..., "code": 400}}`).
    var fault: OpenStackFault? { try? JSONDecoder().decode(OpenStackFault.self, from: Data(text.utf8)) }
    var requestID: String? { headers[HTTPField.Name("x-openstack-request-id") ?? .via] }
}

/// Sends requests to an admin API mounted on a router (HummingbirdTesting `.router` mode: no sockets).
struct AdminClient {
    let client: any TestClientProtocol

    @discardableResult
    func send(
        _ method: HTTPRequest.Method, _ uri: String, body: String? = nil, roles: String? = nil
    ) async throws -> AdminReply {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let roles, let name = HTTPField.Name("x-test-roles") { headers[name] = roles }
        let response = try await client.execute(
            uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        return AdminReply(status: response.status, headers: response.headers, text: String(buffer: response.body))
    }

    /// `send` with a body encoded from a JSON value.
    @discardableResult
    func send(_ method: HTTPRequest.Method, _ uri: String, json: JSONValue) async throws -> AdminReply {
        let data = try JSONEncoder().encode(json)
        return try await send(method, uri, body: String(decoding: data, as: UTF8.self))
    }
}

/// A fresh database, an admin API over it (Keystone faked by a set of region names), and a test client.
struct AdminHarness {
    let store: StateStore
    let pods: PodStore
    let routings: RoutingStore
    let jobs: JobEngine

    /// Regions the fake Keystone knows; `keystoneDown` is a region name whose lookup throws.
    static let knownRegions: Set<String> = [
        "RegionOne", "RegionTwo", "RegionThree", "RegionFour", "'; DROP TABLE pods; --", "Région \"quoted\" %_",
    ]
    static let keystoneDown = "KeystoneUnreachable"

    struct KeystoneUnavailable: Error {}

    /// Runs `body` against a new, migrated store on `backend`, closing it afterwards.
    static func run(
        _ backend: StoreBackend, maxBodySize: Int = 64 * 1024, defaultPageSize: Int = 200,
        _ body: @escaping @Sendable (AdminClient, AdminHarness) async throws -> Void
    ) async throws {
        try await TestDatabases.withStore(backend) { store in
            // No workers run: submitted jobs stay queued, so tests see exactly what the API stored.
            let registry = JobHandlerRegistry()
            registry.register(type: "router_setup", resourceKeys: ["pod_id", "router_id", "network_id"]) { _, _ in }
            registry.register(type: "seg_rule_setup", resourceKeys: ["project_id"]) { _, _ in }
            let engine = JobEngine(store: store, registry: registry, config: JobEngineConfig(workers: 0))
            let harness = AdminHarness(
                store: store, pods: PodStore(store: store), routings: RoutingStore(store: store), jobs: engine)
            let api = AdminAPI(
                store: store, jobs: engine,
                regionExists: { name in
                    if name == keystoneDown { throw KeystoneUnavailable() }
                    return knownRegions.contains(name)
                },
                maxBodySize: maxBodySize, defaultPageSize: defaultPageSize)
            // Mounted the way the gateway mounts it (Server/AdminApplication.swift), with the auth double.
            let router = Router(context: GatewayRequestContext.self)
            router.add(middleware: RequestIDMiddleware())
            api.addVersionRoutes(to: router)
            api.addRoutes(to: router.group()
                .add(middleware: StaticCallerTestMiddleware())
                .add(middleware: RequireAdminMiddleware(errorBody: .admin)))
            let app = Application(router: router)
            try await app.test(.router) { client in
                try await body(AdminClient(client: client), harness)
            }
        }
    }

    /// Creates a pod straight in the store (setup for routing and job tests).
    func makePod(_ region: String, az: String) async throws -> Pod {
        try await pods.create(regionName: region, azName: az)
    }

    /// Every row of the two admin tables, to prove a rejected request stored nothing.
    func snapshot() async throws -> [String] {
        let podRows = try await pods.list().map { "pod \($0.podID) \($0.regionName) \($0.azName) \($0.podAZName) \($0.dcName)" }
        let routingRows = try await routings.list(limit: 100_000).map {
            "routing \($0.id) \($0.topID) \($0.bottomID ?? "-") \($0.podID) \($0.projectID) \($0.resourceType.rawValue) \($0.updatedAt)"
        }
        let jobRows = try await jobs.list(limit: 1000).map {
            "job \($0.id) \($0.type) \($0.projectID) \($0.resource.sorted { $0.key < $1.key }) \($0.status) \($0.updatedAt)"
        }
        return podRows + routingRows + jobRows
    }
}

extension JSONValue {
    /// Builds an object from literal pairs (test bodies).
    static func obj(_ pairs: KeyValuePairs<String, JSONValue>) -> JSONValue {
        .object(Dictionary(pairs.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last }))
    }
}
