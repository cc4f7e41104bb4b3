import Foundation
import Hummingbird
import OpenStackModels
import Testing
import TricircleCore
@_spi(Benchmarks) import TricircleJobs
import TricircleStore
import TricircleTestSupport

@testable import TricircleGateway

@Suite("Admin API: jobs")
struct AdminJobTests {
    static func jobBody(type: String = "router_setup", project: String = "p1", resource: [String: String]) -> String {
        let body: JSONValue = .object(["job": .object([
            "type": .string(type), "project_id": .string(project),
            "resource": .object(resource.mapValues(JSONValue.string)),
        ])])
        return String(decoding: (try? JSONEncoder().encode(body)) ?? Data(), as: UTF8.self)
    }

    @Test("schemas list every job type and its resource keys", arguments: TestDatabases.backends)
    func schemas(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, _ in
            let reply = try await client.send(.get, "/v1.0/jobs/schemas")
            #expect(reply.status == .ok)
            let schemas = try #require(reply.json["schemas"]?.arrayValue)
            #expect(schemas.compactMap { $0["type"]?.stringValue } == ["router_setup", "seg_rule_setup"])
            #expect(schemas.first?["resource"] == .array([.string("network_id"), .string("pod_id"), .string("router_id")]))
        }
    }

    @Test("submit is 202; show, list, redo and delete work", arguments: TestDatabases.backends)
    func jobLifecycle(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, harness in
            let pod = try await harness.makePod("RegionTwo", az: "az1")
            let resource = ["pod_id": pod.podID, "router_id": Identifier.make(), "network_id": Identifier.make()]
            let created = try await client.send(.post, "/v1.0/jobs", body: Self.jobBody(resource: resource))
            #expect(created.status == .accepted)
            let job = try #require(created.json["job"])
            #expect(job["type"] == .string("router_setup"))
            #expect(job["project_id"] == .string("p1"))
            #expect(job["status"] == .string("new"))
            #expect(job["resource"]?["router_id"] == .string(resource["router_id"] ?? ""))
            #expect(job["last_error"] == .null)
            #expect(job["progress"]?["done"] == .number(0))
            let id = try #require(job["id"]?.stringValue)

            // The same resource again coalesces into the queued job.
            let again = try await client.send(.post, "/v1.0/jobs", body: Self.jobBody(resource: resource))
            #expect(again.json["job"]?["id"] == .string(id))

            let shown = try await client.send(.get, "/v1.0/jobs/\(id)")
            #expect(shown.status == .ok)
            #expect(shown.json["job"]?["runs"] == .array([]))

            #expect(try await client.send(.get, "/v1.0/jobs").json["jobs"]?.arrayValue?.count == 1)
            #expect(try await client.send(.get, "/v1.0/jobs/detail").json["jobs"]?.arrayValue?.count == 1)

            let redone = try await client.send(.put, "/v1.0/jobs/\(id)")
            #expect(redone.status == .ok)
            #expect(redone.json["job"]?["status"] == .string("new"))

            #expect(try await client.send(.delete, "/v1.0/jobs/\(id)").status == .ok)
            #expect(try await client.send(.get, "/v1.0/jobs/\(id)").status == .notFound)
            #expect(try await harness.jobs.list().isEmpty)
        }
    }

    @Test("list filters by type, status and project, and pages without loss or repeat", arguments: TestDatabases.backends)
    func listFiltersAndPaging(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, harness in
            for i in 0..<7 {
                try await harness.jobs.submit(type: "seg_rule_setup", projectID: "proj-\(i)", resource: ["project_id": "proj-\(i)"])
            }
            let pod = try await harness.makePod("RegionTwo", az: "az1")
            try await harness.jobs.submit(
                type: "router_setup", projectID: "proj-0",
                resource: ["pod_id": pod.podID, "router_id": "r", "network_id": "n"])

            #expect(try await client.send(.get, "/v1.0/jobs?type=router_setup").json["jobs"]?.arrayValue?.count == 1)
            #expect(try await client.send(.get, "/v1.0/jobs?project_id=proj-0").json["jobs"]?.arrayValue?.count == 2)
            #expect(try await client.send(.get, "/v1.0/jobs?status=new").json["jobs"]?.arrayValue?.count == 8)
            #expect(try await client.send(.get, "/v1.0/jobs?status=FAIL").json["jobs"]?.arrayValue?.count == 0)
            #expect(try await client.send(.get, "/v1.0/jobs?status=running&type=seg_rule_setup").json["jobs"]?.arrayValue?.count == 0)

            var seen: [String] = []
            var uri: String? = "/v1.0/jobs?limit=3"
            while let next = uri {
                let reply = try await client.send(.get, next)
                #expect(reply.status == .ok)
                seen += reply.json["jobs"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
                let link = Link.next(in: try? reply.json["jobs_links"]?.decode([Link].self))
                uri = link.flatMap { URLComponents(string: $0.href) }.map { $0.path + "?" + ($0.percentEncodedQuery ?? "") }
                #expect(seen.count <= 8)
            }
            #expect(seen.count == 8)
            #expect(Set(seen).count == 8)
        }
    }

    @Test("bad job submissions are a 400 (404 for another project's resource) and store nothing", arguments: TestDatabases.backends)
    func badSubmissions(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, harness in
            let pod = try await harness.makePod("RegionTwo", az: "az1")
            let foreignRouter = Identifier.make()
            _ = try await harness.routings.create(
                topID: foreignRouter, bottomID: foreignRouter, podID: pod.podID, projectID: "someone-else", resourceType: .router)
            let before = try await harness.snapshot()
            let good = ["pod_id": pod.podID, "router_id": "r1", "network_id": "n1"]
            var missing = good
            missing["network_id"] = nil
            var extra = good
            extra["port_id"] = "x"
            var empty = good
            empty["router_id"] = ""
            var badPod = good
            badPod["pod_id"] = Identifier.make()
            let cases: [(String, HTTPResponse.Status, String)] = [
                ("", .badRequest, "required"),
                ("{\"job\": ", .badRequest, "JSON"),
                (#"{"job": {"type": "router_setup", "project_id": "p1"}}"#, .badRequest, "job.resource"),
                (#"{"job": {"project_id": "p1", "resource": {}}}"#, .badRequest, "job.type"),
                (#"{"job": {"type": "router_setup", "resource": {}}}"#, .badRequest, "job.project_id"),
                (#"{"job": {"type": 1, "project_id": "p1", "resource": {}}}"#, .badRequest, "job.type"),
                (#"{"job": {"type": "router_setup", "project_id": "p1", "resource": ["a"]}}"#, .badRequest, "job.resource"),
                (#"{"job": {"type": "router_setup", "project_id": "p1", "resource": {"pod_id": 5}}}"#, .badRequest, "job.resource.pod_id"),
                (#"{"job": {"type": "router_setup", "project_id": "p1", "resource": {}, "when": "now"}}"#, .badRequest, "job.when"),
                (Self.jobBody(type: "no_such_type", resource: good), .badRequest, "no_such_type"),
                (Self.jobBody(type: "'; DROP TABLE jobs; --", resource: good), .badRequest, "job.type"),
                (Self.jobBody(resource: missing), .badRequest, "network_id"),
                (Self.jobBody(resource: extra), .badRequest, "port_id"),
                (Self.jobBody(resource: empty), .badRequest, "router_id"),
                (Self.jobBody(resource: badPod), .badRequest, "does not exist"),
                (Self.jobBody(type: "seg_rule_setup", project: "p1", resource: ["project_id": "p2"]), .badRequest, "project_id"),
                (Self.jobBody(resource: ["pod_id": pod.podID, "router_id": foreignRouter, "network_id": "n"]), .notFound, foreignRouter),
            ]
            for (body, status, mentions) in cases {
                let reply = try await client.send(.post, "/v1.0/jobs", body: body)
                #expect(reply.status == status, "\(body)")
                #expect(reply.fault?.code == Int(status.code))
                #expect(reply.fault?.message.contains(mentions) == true, "\(reply.fault?.message ?? reply.text) should mention \(mentions)")
            }
            #expect(try await harness.snapshot() == before)
        }
    }

    @Test("a running job cannot be redone or deleted (409); show reports its lease", arguments: TestDatabases.backends)
    func runningJobConflicts(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, harness in
            let queued = try await harness.jobs.submit(type: "seg_rule_setup", projectID: "p", resource: ["project_id": "p"])
            let claimed = try #require(try await harness.jobs.claim(worker: "test-worker"))
            #expect(claimed.id == queued.id)
            let before = try await harness.snapshot()

            let shown = try await client.send(.get, "/v1.0/jobs/\(queued.id)")
            #expect(shown.json["job"]?["status"] == .string("running"))
            #expect(shown.json["job"]?["lease_owner"]?.stringValue?.hasPrefix("test-worker") == true)

            let redo = try await client.send(.put, "/v1.0/jobs/\(queued.id)")
            #expect(redo.status == .conflict)
            #expect(redo.fault?.name == "conflictingRequest")
            let delete = try await client.send(.delete, "/v1.0/jobs/\(queued.id)")
            #expect(delete.status == .conflict)
            #expect(try await harness.snapshot() == before)
            #expect(try await client.send(.get, "/v1.0/jobs?status=running").json["jobs"]?.arrayValue?.count == 1)
        }
    }

    @Test("bad job list queries are a 400 naming the parameter", arguments: TestDatabases.backends)
    func badQueries(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, _ in
            for (query, mentions) in [
                ("status=exploded", "status"), ("limit=x", "limit"), ("marker=bad", "marker"),
                ("marker=\(Identifier.make())", "Marker"), ("pod_id=x", "pod_id"),
            ] {
                let reply = try await client.send(.get, "/v1.0/jobs?\(query)")
                #expect(reply.status == .badRequest, "\(query)")
                #expect(reply.fault?.message.contains(mentions) == true, "\(reply.fault?.message ?? reply.text)")
            }
        }
    }

    @Test("unknown and malformed job ids are 404 on show, redo and delete", arguments: TestDatabases.backends)
    func unknownJobIs404(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, _ in
            for id in [Identifier.make(), "nope", "1%20OR%201%3D1"] {
                for method in [HTTPRequest.Method.get, .put, .delete] {
                    let reply = try await client.send(method, "/v1.0/jobs/\(id)")
                    #expect(reply.status == .notFound, "\(method) \(id)")
                    #expect(reply.fault?.name == "itemNotFound")
                }
            }
        }
    }

    @Test("stats report queue depth per type and status", arguments: TestDatabases.backends)
    func stats(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, harness in
            try await harness.jobs.submit(type: "seg_rule_setup", projectID: "p", resource: ["project_id": "p"])
            let reply = try await client.send(.get, "/v1.0/jobs/stats")
            #expect(reply.status == .ok)
            let queue = reply.json["stats"]?["queue"]?.arrayValue ?? []
            #expect(queue.contains { $0["type"] == .string("seg_rule_setup") && $0["count"] == .number(1) })
        }
    }
}

@Suite("Admin API: versions and common behaviour")
struct AdminVersionTests {
    @Test("GET / and /v1.0 answer version documents", arguments: [StoreBackend.sqlite])
    func versionDocuments(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, _ in
            let root = try await client.send(.get, "/")
            #expect(root.status == .ok)
            #expect(root.json["versions"]?.arrayValue?.first?["id"] == .string("v1.0"))
            #expect(root.json["versions"]?.arrayValue?.first?["status"] == .string("CURRENT"))
            #expect(root.requestID?.hasPrefix("req-") == true)
            let v1 = try await client.send(.get, "/v1.0")
            #expect(v1.json["version"]?["id"] == .string("v1.0"))
        }
    }

    @Test("unknown paths under /v1.0 are 404 itemNotFound in the admin format", arguments: [StoreBackend.sqlite])
    func unknownPaths(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, _ in
            for (method, uri) in [(HTTPRequest.Method.get, "/v1.0/nothing"), (.post, "/v1.0/pods/x/y"), (.delete, "/v1.0/routings/a/b")] {
                let reply = try await client.send(method, uri)
                #expect(reply.status == .notFound, "\(method) \(uri)")
                #expect(reply.fault?.name == "itemNotFound")
            }
        }
    }

    @Test("every admin response carries a distinct x-openstack-request-id", arguments: [StoreBackend.sqlite])
    func requestIDsEverywhere(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, _ in
            var ids: Set<String> = []
            for (method, uri) in [
                (HTTPRequest.Method.get, "/v1.0/pods"), (.get, "/v1.0/routings"), (.get, "/v1.0/jobs"),
                (.get, "/v1.0/jobs/schemas"), (.get, "/v1.0/pods/\(Identifier.make())"), (.post, "/v1.0/pods"),
                (.get, "/v1.0/routings?limit=zero"),
            ] {
                let reply = try await client.send(method, uri)
                let id = try #require(reply.requestID, "\(method) \(uri)")
                #expect(id.hasPrefix("req-"))
                ids.insert(id)
            }
            #expect(ids.count == 7)
        }
    }
}
