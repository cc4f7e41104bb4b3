import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OpenStackModels
import Testing
import TricircleJobs
import TricircleStore
import TricircleTestSupport

@testable import TricircleGateway

@Suite("Admin API: OpenAPI document, 404/405/415 in the admin format")
struct AdminOpenAPITests {
    /// A path with every parameter filled (with an id that names nothing, so nothing is changed).
    static func concrete(_ pattern: String) -> String {
        pattern.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(":") ? "00000000-0000-0000-0000-000000000000" : String($0) }
            .joined(separator: "/")
    }

    @Test("the document lists exactly the routes the admin API registers", arguments: TestDatabases.backends)
    func documentMatchesRoutes(_ backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let engine = JobEngine(store: store, registry: JobHandlerRegistry(), config: JobEngineConfig(workers: 0))
            let api = AdminAPI(store: store, jobs: engine, regionExists: { _ in true })
            let served = api.servedRoutes()
            #expect(served.count == Set(served).count, "a route is registered twice")
            let documented = AdminOpenAPI.operations.map(\.route)
            let undocumented = Set(served).subtracting(documented).map(\.description).sorted()
            let unserved = Set(documented).subtracting(served).map(\.description).sorted()
            #expect(undocumented == [], "registered but not in the OpenAPI document")
            #expect(unserved == [], "in the OpenAPI document but not registered")

            // The document itself: one entry per operation, unique operation ids, bodies from the validators.
            let paths = try #require(AdminOpenAPI.document["paths"]?.objectValue)
            let entries = paths.values.compactMap(\.objectValue).reduce(0) { $0 + $1.count }
            #expect(entries == served.count)
            let ids = AdminOpenAPI.operations.map(\.operationID)
            #expect(ids.count == Set(ids).count)
            let createPod = paths["/v1.0/pods"]?["post"]?["requestBody"]?["content"]?["application/json"]?["schema"]
            #expect(createPod?["properties"]?["pod"]?["required"] == ["region_name"])
            #expect(createPod?["properties"]?["pod"]?["properties"]?["region_name"]?["maxLength"] == 255)
            #expect(paths["/v1.0/routings/{id}"]?["put"] != nil)
            #expect(paths["/v1.0/openapi.json"]?["get"]?["security"] == [])
        }
    }

    @Test("GET /v1.0/openapi.json is served without the admin role, as JSON", arguments: TestDatabases.backends)
    func documentIsServed(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, _ in
            // A member (not admin) is refused everything under /v1.0 but the document, like the version documents.
            #expect(try await client.send(.get, "/v1.0/pods", roles: "member").status == .forbidden)
            let reply = try await client.send(.get, "/v1.0/openapi.json", roles: "member")
            #expect(reply.status == .ok)
            #expect(reply.headers[.contentType] == "application/json")
            #expect(reply.json["openapi"] == "3.1.0")
            #expect(reply.json == AdminOpenAPI.document)
            #expect(reply.requestID != nil)
        }
    }

    @Test("every documented operation reaches its handler (no 405, no unknown-path 404)", arguments: TestDatabases.backends)
    func everyDocumentedOperationIsServed(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, _ in
            for operation in AdminOpenAPI.operations {
                let body: String? = operation.body.map { "{\"\($0.root)\": {}}" }
                let reply = try await client.send(operation.method, Self.concrete(operation.path), body: body)
                #expect(reply.status != .methodNotAllowed, "\(operation.route)")
                #expect(reply.fault?.message.hasPrefix("No admin API resource") != true, "\(operation.route)")
                #expect(reply.status.code < 500, "\(operation.route): \(reply.text)")
            }
        }
    }

    @Test("a method a path does not take is a 405 with Allow, in the admin format", arguments: TestDatabases.backends)
    func wrongMethodIs405(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, harness in
            var cases: [(HTTPRequest.Method, String, String)] = [
                (.patch, "/v1.0/pods", "GET, POST"),
                (.put, "/v1.0/pods", "GET, POST"),
                (.delete, "/v1.0/pods", "GET, POST"),
                (.post, "/v1.0/pods/00000000-0000-0000-0000-000000000000", "GET, DELETE"),
                (.head, "/v1.0/routings", "GET, POST"),
                (.options, "/v1.0/jobs/00000000-0000-0000-0000-000000000000", "GET, PUT, DELETE"),
                (.post, "/v1.0/jobs/stats", "GET"),
                (.trace, "/v1.0/pods", "GET, POST"),
                (.patch, "/v1.0/flavor-mappings/x", "GET, PUT, DELETE"),
                (.post, "/v1.0", "GET"),
                (.delete, "/", "GET"),
                (.post, "/v1.0/openapi.json", "GET"),
            ]
            // Methods no route can list (the router alone would answer a bare 404).
            let query = HTTPRequest.Method("QUERY") ?? .get
            let custom = HTTPRequest.Method("FOO") ?? .get
            cases += [(query, "/v1.0/pods", "GET, POST"), (custom, "/v1.0/routings/abc", "GET, PUT, DELETE"), (query, "/", "GET")]
            for (method, path, allow) in cases {
                let reply = try await client.send(method, path, body: #"{"pod": {"region_name": "RegionOne"}}"#)
                #expect(reply.status == .methodNotAllowed, "\(method) \(path)")
                #expect(reply.headers[.allow] == allow, "\(method) \(path)")
                if method != .head {
                    #expect(reply.fault?.name == "badMethod", "\(method) \(path): \(reply.text)")
                }
                #expect(reply.requestID != nil)
            }
            #expect(try await harness.snapshot().isEmpty)
        }
    }

    @Test("unknown paths are a 404 in the admin format, inside and outside /v1.0", arguments: TestDatabases.backends)
    func unknownPathsAre404(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, _ in
            for (method, path) in [
                (HTTPRequest.Method.get, "/v1.0/nothing"), (.post, "/v1.0/pods/x/y"), (.options, "/v1.0/nothing"),
                (.get, "/v2.0/networks"), (.put, "/nothing/at/all"), (.patch, "/v1.1"), (.trace, "/v1.0/nothing"),
                (HTTPRequest.Method("QUERY") ?? .get, "/v1.0/nothing/here"),
            ] {
                let reply = try await client.send(method, path)
                #expect(reply.status == .notFound, "\(method) \(path)")
                #expect(reply.fault?.name == "itemNotFound", "\(method) \(path): \(reply.text)")
                #expect(reply.requestID != nil)
            }
        }
    }

    @Test("a body declared as anything but JSON is a 415 and stores nothing", arguments: TestDatabases.backends)
    func nonJSONContentTypeIs415(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, harness in
            let body = #"{"pod": {"region_name": "RegionOne"}}"#
            for type in ["text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data; boundary=x"] {
                let response = try await client.client.execute(
                    uri: "/v1.0/pods", method: .post, headers: [.contentType: type], body: ByteBuffer(string: body))
                #expect(response.status == .unsupportedMediaType, "\(type)")
                let fault = try? JSONDecoder().decode(OpenStackFault.self, from: Data(buffer: response.body))
                #expect(fault?.name == "badMediaType", "\(type)")
            }
            #expect(try await harness.snapshot().isEmpty)
            // JSON with parameters, a +json type, or no type at all still work.
            for type in ["application/json; charset=utf-8", "application/vnd.openstack.tricircle-v1.0+json", nil] {
                let headers: HTTPFields = type.map { [.contentType: $0] } ?? [:]
                let region = type == nil ? "RegionThree" : type?.contains("vnd") == true ? "RegionTwo" : "RegionOne"
                let response = try await client.client.execute(
                    uri: "/v1.0/pods", method: .post, headers: headers,
                    body: ByteBuffer(string: #"{"pod": {"region_name": "\#(region)", "az_name": "az-\#(region)"}}"#))
                #expect(response.status == .ok, "\(type ?? "no type"): \(String(buffer: response.body))")
            }
        }
    }
}
