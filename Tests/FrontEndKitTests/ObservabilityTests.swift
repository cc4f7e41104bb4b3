import Foundation
import GatewayTestHarness
import RegionSimulator
import Testing
import TricircleCore
import TricircleGateway
import TricircleJobs
import TricircleStore
import TricircleTestSupport

/// What operators follow a request by: one request id from the caller through the gateway, its pod calls and
/// its jobs, and the Prometheus series on the admin port.
@Suite(.serialized) struct ObservabilityTests {
    static func freshID() -> String { "req-" + UUID().uuidString.lowercased() }

    @Test("the caller's request id is answered, sent to every pod the request reached, and kept by the jobs it submits")
    func requestIDEndToEnd() async throws {
        try await GatewayHarness.with { harness in
            let demo = try harness.token().id
            let id = Self.freshID()
            let list = try await harness.send(
                "GET", harness.url("compute") + "/servers/detail", token: demo, headers: [("X-OpenStack-Request-ID", id)])
            #expect(list.status == 200)
            #expect(list.header("x-openstack-request-id") == id)
            // A merged list asks every pod: each was sent the caller's id as its global request id.
            for region in ["RegionOne", "RegionTwo"] {
                #expect(harness.cloud.requestLog(region: region)?.contains(id) == true, "\(region) did not see \(id)")
            }

            // A job submitted by a request keeps its id, and the pod calls the job makes later carry it.
            let admin = try harness.token(user: "admin").id
            let jobID = Self.freshID()
            let submitted = try await harness.send(
                "POST", harness.origin("admin") + "/v1.0/jobs", token: admin,
                body: #"{"job": {"type": "audit", "project_id": "p1", "resource": {"scope": "observability-test"}}}"#,
                headers: [("X-OpenStack-Request-ID", jobID)])
            #expect(submitted.status == 202, "\(submitted.text)")
            let job = try #require(submitted.json["job"]?["id"]?.stringValue)
            #expect(try await harness.runtime.jobs.get(job).requestID == jobID)
            let done = try await harness.runtime.jobs.waitFor(until: .now + .seconds(60)) {
                let status = try await harness.runtime.jobs.get(job).status
                return status == .new || status == .running ? nil : status
            }
            #expect(done == .success)
            #expect(harness.cloud.requestLog(region: "RegionOne")?.contains(jobID) == true, "the audit's pod calls lacked \(jobID)")
        }
    }

    @Test("an id that is not req-<uuid> is not taken: the answer carries a fresh one")
    func foreignRequestIDIgnored() async throws {
        try await GatewayHarness.with { harness in
            let demo = try harness.token().id
            let reply = try await harness.send(
                "GET", harness.url("network") + "/v2.0/networks", token: demo,
                headers: [("X-OpenStack-Request-ID", "req-<script>alert(1)</script>")])
            #expect(reply.status == 200)
            let answered = try #require(reply.header("x-openstack-request-id"))
            #expect(RequestTrace.isValid(answered))
            #expect(!answered.contains("script"))
        }
    }

    @Test("GET /metrics on the admin port: requests by API, route template and status; pod calls by region")
    func prometheusSeries() async throws {
        try await GatewayHarness.with { harness in
            let demo = try harness.token().id
            let missing = "6a1e3c0e-0000-4000-8000-00000000beef"
            #expect(try await harness.send("GET", harness.url("compute") + "/servers/detail", token: demo).status == 200)
            #expect(try await harness.send("GET", harness.url("compute") + "/servers/\(missing)", token: demo).status == 404)
            #expect(try await harness.send("GET", harness.url("network") + "/v2.0/nowhere", token: demo).status == 404)

            let scrape = try await harness.send("GET", harness.origin("admin") + "/metrics", token: nil)
            #expect(scrape.status == 200)
            #expect(scrape.header("content-type")?.hasPrefix("text/plain") == true)
            let text = scrape.text
            #expect(text.contains(#"tricircle_http_requests_total{api="compute",method="GET",route="/v2.1/servers/detail",status="200"} 1"#))
            // Route templates, never raw ids: the label set stays bounded however many servers are asked for.
            #expect(text.contains(#"route="/v2.1/servers/{id}",status="404""#) || text.contains(#"route="/v2.1/servers/:id",status="404""#))
            #expect(!text.contains(missing))
            #expect(text.contains(#"tricircle_http_requests_total{api="network",method="GET",route="unmatched",status="404"}"#)
                || text.contains(#"api="network",method="GET",route="NotFound",status="404""#))
            #expect(text.contains("tricircle_http_request_duration_seconds_bucket"))
            #expect(text.contains(#"tricircle_pod_calls_total{region="RegionOne",service="compute",outcome="2xx"}"#))
            #expect(text.contains(#"tricircle_pod_circuit_open{region="RegionTwo",service="compute"} 0"#))
            #expect(text.contains(#"tricircle_token_cache_total{result="hit"}"#))
            // The state database statements each request took, by route (what hurts with a far database).
            #expect(text.contains(#"tricircle_store_round_trips_count{api="compute",method="GET",route="/v2.1/servers/detail"} 1"#))
        }
    }
}

/// Round trips to the state database per request, on both backends (PostgreSQL's pool runs a session's body in
/// a task of its own, so the request's counter must reach it some other way than a task-local).
@Suite(.serialized) struct StoreRoundTripTests {
    @Test("a network create counts its statements into tricircle_store_round_trips", arguments: TestDatabases.backends)
    func counted(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let demo = try harness.token().id
            let created = try await harness.send(
                "POST", harness.url("network") + "/v2.0/networks", token: demo, body: #"{"network": {"name": "counted"}}"#)
            #expect(created.status == 201)
            let text = try await harness.send("GET", harness.origin("admin") + "/metrics", token: nil).text
            let line = text.split(separator: "\n").first {
                $0.hasPrefix(#"tricircle_store_round_trips_sum{api="network",method="POST",route="/v2.0/networks"}"#)
            }
            let sum = line.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) } ?? 0
            #expect(sum > 0, "\(line ?? "no series")")
        }
    }
}

/// The operator's page and the snapshot behind it.
@Suite(.serialized) struct OperatorStatusTests {
    @Test("GET /v1.0/status: pods with their circuits and routed resources, the job queue and failed jobs; admins only")
    func statusSnapshot() async throws {
        try await GatewayHarness.with { harness in
            let demo = try harness.token().id
            #expect(try await harness.send("GET", harness.url("compute") + "/servers/detail", token: demo).status == 200)
            // RegionTwo's Nova stops answering: the next list opens its circuit.
            harness.cloud.setFault(FaultSettings(down: true), region: "RegionTwo", service: .compute)
            #expect(try await harness.send("GET", harness.url("compute") + "/servers/detail", token: demo).status == 200)

            let admin = try harness.token(user: "admin").id
            #expect(try await harness.send("GET", harness.origin("admin") + "/v1.0/status", token: demo).status == 403)
            let reply = try await harness.send("GET", harness.origin("admin") + "/v1.0/status", token: admin)
            #expect(reply.status == 200)
            let pods = try #require(reply.json["pods"]?.arrayValue)
            let two = try #require(pods.first { $0["region_name"]?.stringValue == "RegionTwo" })
            let one = try #require(pods.first { $0["region_name"]?.stringValue == "RegionOne" })
            let computeTwo = two["circuits"]?.arrayValue?.first { $0["service"]?.stringValue == "compute" }
            let computeOne = one["circuits"]?.arrayValue?.first { $0["service"]?.stringValue == "compute" }
            #expect(computeTwo?["open"] == .bool(true))
            #expect(computeTwo?["last_error"]?.stringValue?.isEmpty == false)
            #expect(computeOne?["open"] == .bool(false))
            #expect(reply.json["jobs"]?["queue"]?.arrayValue != nil)
            #expect(reply.json["failed_jobs"]?.arrayValue != nil)

            let page = try await harness.send("GET", harness.origin("admin") + "/dashboard", token: nil)
            #expect(page.status == 200)
            #expect(page.header("content-type")?.hasPrefix("text/html") == true)
            #expect(page.text.contains("/v1.0/status"))
        }
    }
}
