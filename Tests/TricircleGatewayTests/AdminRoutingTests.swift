import Foundation
import Hummingbird
import OpenStackModels
import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport

@testable import TricircleGateway

@Suite("Admin API: routings")
struct AdminRoutingTests {
    static func routingBody(top: String, bottom: String, pod: String, project: String = "proj-1", type: String = "server") -> String {
        #"{"routing": {"top_id": "\#(top)", "bottom_id": "\#(bottom)", "pod_id": "\#(pod)", "project_id": "\#(project)", "resource_type": "\#(type)"}}"#
    }

    @Test("create, show, update, list and delete a routing", arguments: TestDatabases.backends)
    func routingLifecycle(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, harness in
            let pod = try await harness.makePod("RegionTwo", az: "az1")
            let other = try await harness.makePod("RegionThree", az: "az2")
            let top = Identifier.make()
            let created = try await client.send(.post, "/v1.0/routings", body: Self.routingBody(top: top, bottom: top, pod: pod.podID))
            #expect(created.status == .ok)
            let routing = try #require(created.json["routing"])
            #expect(routing["top_id"] == .string(top))
            #expect(routing["resource_type"] == .string("server"))
            let id = try #require(routing["id"]?.stringValue)

            #expect(try await client.send(.get, "/v1.0/routings/\(id)").json["routing"] == routing)

            let moved = try await client.send(.put, "/v1.0/routings/\(id)", body: """
                {"routing": {"pod_id": "\(other.podID)", "bottom_id": "b-2"}}
                """)
            #expect(moved.status == .ok)
            #expect(moved.json["routing"]?["pod_id"] == .string(other.podID))
            #expect(moved.json["routing"]?["bottom_id"] == .string("b-2"))
            #expect(moved.json["routing"]?["top_id"] == .string(top))

            let list = try await client.send(.get, "/v1.0/routings")
            #expect(list.json["routings"]?.arrayValue?.count == 1)
            #expect(list.json["routings_links"] == .array([]))

            #expect(try await client.send(.delete, "/v1.0/routings/\(id)").status == .ok)
            #expect(try await client.send(.get, "/v1.0/routings/\(id)").status == .notFound)
            #expect(try await harness.routings.count() == 0)
        }
    }

    @Test("list filters by every column", arguments: TestDatabases.backends)
    func listFilters(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, harness in
            let a = try await harness.makePod("RegionTwo", az: "az1")
            let b = try await harness.makePod("RegionThree", az: "az2")
            let r1 = try await harness.routings.create(topID: "t1", bottomID: "b1", podID: a.podID, projectID: "p1", resourceType: .server)
            _ = try await harness.routings.create(topID: "t1", bottomID: "b1x", podID: b.podID, projectID: "p1", resourceType: .server)
            _ = try await harness.routings.create(topID: "t2", bottomID: "b2", podID: a.podID, projectID: "p2", resourceType: .network)
            func ids(_ query: String) async throws -> Set<String> {
                let reply = try await client.send(.get, "/v1.0/routings?\(query)")
                #expect(reply.status == .ok, "\(query): \(reply.text)")
                return Set(reply.json["routings"]?.arrayValue?.compactMap { $0["top_id"]?.stringValue ?? nil } ?? [])
            }
            #expect(try await ids("top_id=t1") == ["t1"])
            #expect(try await client.send(.get, "/v1.0/routings?top_id=t1").json["routings"]?.arrayValue?.count == 2)
            #expect(try await ids("bottom_id=b2") == ["t2"])
            #expect(try await ids("pod_id=\(b.podID)") == ["t1"])
            #expect(try await ids("project_id=p2") == ["t2"])
            #expect(try await ids("resource_type=network") == ["t2"])
            #expect(try await ids("id=\(r1.id)") == ["t1"])
            #expect(try await ids("top_id=t1&pod_id=\(a.podID)&resource_type=server") == ["t1"])
            #expect(try await ids("top_id=%27%3BDROP%2Fresource_routings%3B--").isEmpty)
            // Ids never contain whitespace, so a filter value with some is refused rather than searched for.
            #expect(try await client.send(.get, "/v1.0/routings?top_id=t1%27%20OR%20%271%27%3D%271").status == .badRequest)
            #expect(try await harness.routings.count() == 3)
        }
    }

    @Test("paging with limit and marker returns every row once, newest first, with next links", arguments: TestDatabases.backends)
    func pagingWithoutLossOrRepeat(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, harness in
            let pod = try await harness.makePod("RegionTwo", az: "az1")
            var created: [String] = []
            for i in 0..<23 {
                let r = try await harness.routings.create(
                    topID: "top-\(i)", bottomID: "bottom-\(i)", podID: pod.podID, projectID: "p", resourceType: .port)
                created.append(r.id)
            }
            var seen: [String] = []
            var timestamps: [String] = []
            var uri: String? = "/v1.0/routings?limit=5&resource_type=port"
            var pages = 0
            while let next = uri {
                let reply = try await client.send(.get, next)
                #expect(reply.status == .ok)
                let rows = reply.json["routings"]?.arrayValue ?? []
                #expect(rows.count <= 5)
                seen += rows.compactMap { $0["id"]?.stringValue }
                timestamps += rows.compactMap { $0["created_at"]?.stringValue }
                pages += 1
                let link = Link.next(in: try? reply.json["routings_links"]?.decode([Link].self))
                if let link {
                    #expect(link.href.contains("limit=5"))
                    #expect(link.href.contains("resource_type=port"))
                    #expect(link.href.hasPrefix("http"))
                }
                uri = link.flatMap { URLComponents(string: $0.href) }.map { ($0.path) + "?" + ($0.percentEncodedQuery ?? "") }
                #expect(pages < 10)
            }
            #expect(pages == 5)
            #expect(seen.count == 23)
            #expect(Set(seen) == Set(created))
            #expect(timestamps == timestamps.sorted(by: >))

            // An exact multiple of the page size ends without an empty extra page.
            let exact = try await client.send(.get, "/v1.0/routings?limit=23")
            #expect(exact.json["routings"]?.arrayValue?.count == 23)
            #expect(exact.json["routings_links"] == .array([]))
        }
    }

    @Test("the default page size applies when no limit is given", arguments: TestDatabases.backends)
    func defaultPageSize(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend, defaultPageSize: 2) { client, harness in
            let pod = try await harness.makePod("RegionTwo", az: "az1")
            for i in 0..<3 {
                _ = try await harness.routings.create(topID: "t\(i)", bottomID: "b\(i)", podID: pod.podID, projectID: "p", resourceType: .volume)
            }
            let reply = try await client.send(.get, "/v1.0/routings")
            #expect(reply.json["routings"]?.arrayValue?.count == 2)
            #expect(reply.json["routings_links"]?.arrayValue?.count == 1)
        }
    }

    @Test("a duplicate routing is a 409; a missing pod is a 400; nothing is stored", arguments: TestDatabases.backends)
    func conflictsAndMissingPod(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, harness in
            let pod = try await harness.makePod("RegionTwo", az: "az1")
            #expect(try await client.send(.post, "/v1.0/routings", body: Self.routingBody(top: "t", bottom: "b", pod: pod.podID)).status == .ok)
            let before = try await harness.snapshot()

            let duplicate = try await client.send(.post, "/v1.0/routings", body: Self.routingBody(top: "t", bottom: "b2", pod: pod.podID))
            #expect(duplicate.status == .conflict)
            #expect(duplicate.fault?.name == "conflictingRequest")

            let missingPod = Identifier.make()
            let noPod = try await client.send(.post, "/v1.0/routings", body: Self.routingBody(top: "t", bottom: "b", pod: missingPod))
            #expect(noPod.status == .badRequest)
            #expect(noPod.fault?.message.contains(missingPod) == true)

            #expect(try await harness.snapshot() == before)
        }
    }

    @Test("updating a routing onto a pod that already maps that resource is a 409", arguments: TestDatabases.backends)
    func updateConflict(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, harness in
            let a = try await harness.makePod("RegionTwo", az: "az1")
            let b = try await harness.makePod("RegionThree", az: "az2")
            let first = try await harness.routings.create(topID: "t", bottomID: "b", podID: a.podID, projectID: "p", resourceType: .network)
            _ = try await harness.routings.create(topID: "t", bottomID: "b", podID: b.podID, projectID: "p", resourceType: .network)
            let before = try await harness.snapshot()
            let reply = try await client.send(.put, "/v1.0/routings/\(first.id)", body: #"{"routing": {"pod_id": "\#(b.podID)"}}"#)
            #expect(reply.status == .conflict)
            #expect(try await harness.snapshot() == before)
        }
    }

    static func badCreateBodies(pod: String) -> [(String, String)] {
        let valid: [String: JSONValue] = [
            "top_id": .string("t"), "bottom_id": .string("b"), "pod_id": .string(pod),
            "project_id": .string("p"), "resource_type": .string("server"),
        ]
        func with(_ key: String, _ value: JSONValue?) -> String {
            var fields = valid
            fields[key] = value
            let data = (try? JSONEncoder().encode(JSONValue.object(["routing": .object(fields)]))) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
        var cases: [(String, String)] = [
            ("", "required"),
            ("{", "JSON"),
            (#"{"routing": []}"#, "routing"),
            (#"{"routings": {}}"#, "routings"),
        ]
        for key in valid.keys.sorted() {
            cases.append((with(key, nil), "routing.\(key)"))
            cases.append((with(key, .number(7)), "routing.\(key)"))
            cases.append((with(key, .null), "routing.\(key)"))
            cases.append((with(key, .string("")), "routing.\(key)"))
        }
        cases += [
            (with("pod_id", .string("not-a-uuid")), "UUID"),
            (with("pod_id", .string("'; DROP TABLE pods; --")), "UUID"),
            (with("resource_type", .string("spaceship")), "routing.resource_type"),
            (with("resource_type", .string("server'; --")), "routing.resource_type"),
            (with("top_id", .string("has space")), "routing.top_id"),
            (with("top_id", .string(String(repeating: "x", count: 128))), "127"),
            (with("project_id", .string("p\n1")), "routing.project_id"),
            (with("extra", .string("x")), "routing.extra"),
            (with("id", .string(Identifier.make())), "routing.id"),
        ]
        return cases
    }

    @Test("bad routing bodies on create and update are a 400 naming the problem and store nothing", arguments: TestDatabases.backends)
    func badBodiesAreRejected(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, harness in
            let pod = try await harness.makePod("RegionTwo", az: "az1")
            let existing = try await harness.routings.create(topID: "t0", bottomID: "b0", podID: pod.podID, projectID: "p", resourceType: .server)
            let before = try await harness.snapshot()
            for (body, mentions) in Self.badCreateBodies(pod: pod.podID) {
                let reply = try await client.send(.post, "/v1.0/routings", body: body)
                #expect(reply.status == .badRequest, "\(body)")
                #expect(reply.fault?.name == "badRequest")
                #expect(reply.fault?.message.contains(mentions) == true, "\(reply.fault?.message ?? reply.text) should mention \(mentions)")
            }
            let badUpdates: [(String, String)] = [
                (#"{"routing": {}}"#, "at least one"),
                (#"{"routing": {"top_id": "x"}}"#, "routing.top_id"),
                (#"{"routing": {"resource_type": "network"}}"#, "routing.resource_type"),
                (#"{"routing": {"pod_id": "nope"}}"#, "UUID"),
                (#"{"routing": {"pod_id": "\#(Identifier.make())"}}"#, "does not exist"),
                (#"{"routing": {"bottom_id": 5}}"#, "routing.bottom_id"),
                (#"{"routing": {"bottom_id": "b", "colour": "red"}}"#, "routing.colour"),
                ("[1, 2]", "JSON object"),
            ]
            for (body, mentions) in badUpdates {
                let reply = try await client.send(.put, "/v1.0/routings/\(existing.id)", body: body)
                #expect(reply.status == .badRequest, "\(body)")
                #expect(reply.fault?.message.contains(mentions) == true, "\(reply.fault?.message ?? reply.text) should mention \(mentions)")
            }
            #expect(try await harness.snapshot() == before)
        }
    }

    @Test("a huge routing body is a 413 and stores nothing", arguments: TestDatabases.backends)
    func hugeBody(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend, maxBodySize: 2048) { client, harness in
            let pod = try await harness.makePod("RegionTwo", az: "az1")
            let big = Self.routingBody(top: String(repeating: "t", count: 500_000), bottom: "b", pod: pod.podID)
            let reply = try await client.send(.post, "/v1.0/routings", body: big)
            #expect(reply.status == .contentTooLarge)
            #expect(reply.fault?.code == 413)
            #expect(try await harness.routings.count() == 0)
        }
    }

    @Test("bad list queries are a 400 naming the parameter", arguments: TestDatabases.backends)
    func badQueries(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, _ in
            let cases: [(String, String)] = [
                ("limit=abc", "limit"), ("limit=0", "limit"), ("limit=-1", "limit"), ("limit=100000", "limit"),
                ("marker=not-a-uuid", "marker"), ("marker=\(Identifier.make())", "Marker"),
                ("pod_id=xyz", "pod_id"), ("resource_type=spaceship", "resource_type"), ("colour=red", "colour"),
                ("top_id=a&top_id=b", "top_id"), ("created_at=2020", "created_at"),
            ]
            for (query, mentions) in cases {
                let reply = try await client.send(.get, "/v1.0/routings?\(query)")
                #expect(reply.status == .badRequest, "\(query)")
                #expect(reply.fault?.message.contains(mentions) == true, "\(reply.fault?.message ?? reply.text) should mention \(mentions)")
            }
        }
    }

    @Test("unknown and malformed routing ids are 404 on show, update and delete", arguments: TestDatabases.backends)
    func unknownRoutingIs404(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, harness in
            for id in [Identifier.make(), "not-a-uuid", "%27%20OR%201%3D1"] {
                #expect(try await client.send(.get, "/v1.0/routings/\(id)").fault?.name == "itemNotFound")
                #expect(try await client.send(.delete, "/v1.0/routings/\(id)").status == .notFound)
                let update = try await client.send(.put, "/v1.0/routings/\(id)", body: #"{"routing": {"bottom_id": "b"}}"#)
                #expect(update.status == .notFound)
            }
            #expect(try await harness.snapshot().isEmpty)
        }
    }
}
