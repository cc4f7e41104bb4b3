import Foundation
import Hummingbird
import OpenStackModels
import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport

@testable import TricircleGateway

@Suite("Admin API: pods")
struct AdminPodTests {
    @Test("create, list, show and delete pods", arguments: TestDatabases.backends)
    func podLifecycle(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, _ in
            let top = try await client.send(.post, "/v1.0/pods", body: #"{"pod": {"region_name": "RegionOne"}}"#)
            #expect(top.status == .ok)
            #expect(top.json["pod"]?["az_name"] == .string(""))
            let bottom = try await client.send(.post, "/v1.0/pods", body: """
                {"pod": {"region_name": "RegionTwo", "az_name": "az1", "pod_az_name": "nova", "dc_name": "dc-a"}}
                """)
            #expect(bottom.status == .ok)
            let pod = try #require(bottom.json["pod"])
            #expect(pod["region_name"] == .string("RegionTwo"))
            #expect(pod["az_name"] == .string("az1"))
            #expect(pod["pod_az_name"] == .string("nova"))
            #expect(pod["dc_name"] == .string("dc-a"))
            let id = try #require(pod["pod_id"]?.stringValue)
            #expect(Identifier.isUUIDLike(id))

            let list = try await client.send(.get, "/v1.0/pods")
            #expect(list.status == .ok)
            #expect(list.json["pods"]?.arrayValue?.compactMap { $0["region_name"]?.stringValue } == ["RegionOne", "RegionTwo"])

            let shown = try await client.send(.get, "/v1.0/pods/\(id)")
            #expect(shown.status == .ok)
            #expect(shown.json["pod"] == pod)

            let deleted = try await client.send(.delete, "/v1.0/pods/\(id)")
            #expect(deleted.status == .ok)
            #expect(try await client.send(.get, "/v1.0/pods/\(id)").status == .notFound)
            #expect(try await client.send(.get, "/v1.0/pods").json["pods"]?.arrayValue?.count == 1)
        }
    }

    @Test("the top pod's pod_az_name is blank, as in Tricircle", arguments: TestDatabases.backends)
    func topPodHasNoPodAZ(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, _ in
            let reply = try await client.send(.post, "/v1.0/pods", body: #"{"pod": {"region_name": "RegionOne", "pod_az_name": "x"}}"#)
            #expect(reply.status == .ok)
            #expect(reply.json["pod"]?["pod_az_name"] == .string(""))
        }
    }

    @Test("duplicate region and a second top pod are 409 and store nothing", arguments: TestDatabases.backends)
    func conflicts(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, harness in
            _ = try await harness.makePod("RegionOne", az: "")
            _ = try await harness.makePod("RegionTwo", az: "az1")
            let before = try await harness.snapshot()

            let duplicate = try await client.send(.post, "/v1.0/pods", body: #"{"pod": {"region_name": "RegionTwo", "az_name": "az2"}}"#)
            #expect(duplicate.status == .conflict)
            #expect(duplicate.fault?.name == "conflictingRequest")
            #expect(duplicate.fault?.message.contains("RegionTwo") == true)

            let secondTop = try await client.send(.post, "/v1.0/pods", body: #"{"pod": {"region_name": "RegionThree"}}"#)
            #expect(secondTop.status == .conflict)
            #expect(secondTop.fault?.message.contains("Top pod") == true)

            #expect(try await harness.snapshot() == before)
        }
    }

    @Test("concurrent creates of one region store one pod: one 200, the rest 409", arguments: TestDatabases.backends)
    func concurrentDuplicateCreates(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, harness in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        try await client.send(.post, "/v1.0/pods", body: #"{"pod": {"region_name": "RegionTwo", "az_name": "az1"}}"#).status
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .ok }.count == 1)
            #expect(statuses.filter { $0 == .conflict }.count == 5)
            #expect(try await harness.pods.list().count == 1)
        }
    }

    @Test("a region unknown to Keystone is a 400 naming it; Keystone down is a 503", arguments: TestDatabases.backends)
    func regionMustExistInKeystone(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, harness in
            let unknown = try await client.send(.post, "/v1.0/pods", body: #"{"pod": {"region_name": "NoSuchRegion", "az_name": "az1"}}"#)
            #expect(unknown.status == .badRequest)
            #expect(unknown.fault?.name == "badRequest")
            #expect(unknown.fault?.message.contains("NoSuchRegion") == true)

            let down = try await client.send(.post, "/v1.0/pods", body: """
                {"pod": {"region_name": "\(AdminHarness.keystoneDown)", "az_name": "az1"}}
                """)
            #expect(down.status == .serviceUnavailable)
            #expect(down.fault?.code == 503)
            #expect(try await harness.snapshot().isEmpty)
        }
    }

    /// Bodies that must be refused with a 400 whose message names the problem.
    static let badBodies: [(body: String, mentions: String)] = [
        ("", "required"),
        ("not json", "JSON"),
        (#"{"pod": {"region_name": "RegionOne""#, "JSON"),
        ("[]", "JSON object"),
        (#""pod""#, "JSON object"),
        (#"{"pods": {"region_name": "RegionOne"}}"#, "pods"),
        (#"{"pod": {"region_name": "RegionOne"}, "extra": 1}"#, "extra"),
        (#"{"pod": "RegionOne"}"#, "pod"),
        (#"{"pod": null}"#, "pod"),
        (#"{"pod": {}}"#, "pod.region_name"),
        (#"{"pod": {"az_name": "az1"}}"#, "pod.region_name"),
        (#"{"pod": {"region_name": ""}}"#, "pod.region_name"),
        (#"{"pod": {"region_name": "   "}}"#, "pod.region_name"),
        (#"{"pod": {"region_name": 42}}"#, "pod.region_name"),
        (#"{"pod": {"region_name": true}}"#, "pod.region_name"),
        (#"{"pod": {"region_name": null}}"#, "pod.region_name"),
        (#"{"pod": {"region_name": ["RegionOne"]}}"#, "pod.region_name"),
        (#"{"pod": {"region_name": "RegionOne", "az_name": 1}}"#, "pod.az_name"),
        (#"{"pod": {"region_name": "RegionOne", "az_name": {"a": 1}}}"#, "pod.az_name"),
        (#"{"pod": {"region_name": "RegionOne", "dc_name": false}}"#, "pod.dc_name"),
        (#"{"pod": {"region_name": "RegionOne", "pod_id": "0b1b7b0e-4d6e-4c5e-9b1e-5f0e0e0e0e0e"}}"#, "pod.pod_id"),
        (#"{"pod": {"region_name": "RegionOne", "regionname": "x"}}"#, "pod.regionname"),
        (#"{"pod": {"region_name": "Region\u0000One"}}"#, "control"),
        (#"{"pod": {"region_name": "\#(String(repeating: "r", count: 256))"}}"#, "255"),
        ("{\"pod\": " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "}", "JSON"),
    ]

    @Test("malformed or mistyped pod bodies are a 400 naming the problem and store nothing", arguments: TestDatabases.backends)
    func badBodiesAreRejected(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, harness in
            for (body, mentions) in Self.badBodies {
                let reply = try await client.send(.post, "/v1.0/pods", body: body)
                #expect(reply.status == .badRequest, "body: \(body.prefix(80))")
                #expect(reply.fault?.name == "badRequest", "body: \(body.prefix(80))")
                #expect(reply.fault?.code == 400)
                #expect(reply.fault?.message.contains(mentions) == true, "\(reply.fault?.message ?? reply.text) should mention \(mentions)")
                #expect(reply.requestID != nil)
            }
            #expect(try await harness.snapshot().isEmpty)
        }
    }

    @Test("a body over the size limit is a 413 in the admin format and stores nothing", arguments: TestDatabases.backends)
    func hugeBodyIsRejected(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend, maxBodySize: 4096) { client, harness in
            let padding = String(repeating: "x", count: 1_000_000)
            let reply = try await client.send(.post, "/v1.0/pods", body: #"{"pod": {"region_name": "RegionOne", "dc_name": "\#(padding)"}}"#)
            #expect(reply.status == .contentTooLarge)
            #expect(reply.fault?.code == 413)
            #expect(reply.fault?.message.contains("4096") == true)
            #expect(try await harness.snapshot().isEmpty)
        }
    }

    @Test("SQL metacharacters in names are stored and compared as plain data", arguments: TestDatabases.backends)
    func sqlMetacharactersAreData(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, harness in
            let name = "'; DROP TABLE pods; --"
            let body = try JSONEncoder().encode(["pod": ["region_name": name, "az_name": "az' OR '1'='1", "dc_name": "\"; --"]])
            let created = try await client.send(.post, "/v1.0/pods", body: String(decoding: body, as: UTF8.self))
            #expect(created.status == .ok)
            #expect(created.json["pod"]?["region_name"] == .string(name))
            let id = try #require(created.json["pod"]?["pod_id"]?.stringValue)

            // The table survived, and the row reads back byte for byte.
            let list = try await client.send(.get, "/v1.0/pods")
            #expect(list.json["pods"]?.arrayValue?.count == 1)
            #expect(try await harness.pods.get(regionName: name)?.podID == id)
            #expect(try await harness.pods.get(id)?.azName == "az' OR '1'='1")

            // The same name again is a duplicate (compared as data), not an injection.
            let again = try await client.send(.post, "/v1.0/pods", body: String(decoding: body, as: UTF8.self))
            #expect(again.status == .conflict)

            let other = try await client.send(.post, "/v1.0/pods", body: #"{"pod": {"region_name": "Région \"quoted\" %_", "az_name": "%"}}"#)
            #expect(other.status == .ok)
            #expect(try await harness.pods.list().count == 2)
        }
    }

    @Test("unknown and malformed pod ids are 404 itemNotFound", arguments: TestDatabases.backends)
    func unknownPodIs404(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, harness in
            _ = try await harness.makePod("RegionOne", az: "")
            let before = try await harness.snapshot()
            for id in [Identifier.make(), "not-a-uuid", "'%20OR%201=1", "1"] {
                for method in [HTTPRequest.Method.get, .delete] {
                    let reply = try await client.send(method, "/v1.0/pods/\(id)")
                    #expect(reply.status == .notFound, "\(method) \(id)")
                    #expect(reply.fault?.name == "itemNotFound")
                }
            }
            #expect(try await harness.snapshot() == before)
        }
    }

    @Test("a pod that routings point at cannot be deleted (409)", arguments: TestDatabases.backends)
    func podInUseIsConflict(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, harness in
            let pod = try await harness.makePod("RegionTwo", az: "az1")
            _ = try await harness.routings.create(
                topID: Identifier.make(), bottomID: Identifier.make(), podID: pod.podID, projectID: "p1", resourceType: .server)
            let reply = try await client.send(.delete, "/v1.0/pods/\(pod.podID)")
            #expect(reply.status == .conflict)
            #expect(reply.fault?.name == "conflictingRequest")
            #expect(try await harness.pods.get(pod.podID) != nil)
        }
    }

    @Test("a caller without the admin role gets 403 and changes nothing", arguments: TestDatabases.backends)
    func nonAdminIsForbidden(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, harness in
            let reply = try await client.send(.post, "/v1.0/pods", body: #"{"pod": {"region_name": "RegionOne"}}"#, roles: "member")
            #expect(reply.status == .forbidden)
            #expect(reply.fault?.name == "forbidden")
            #expect(try await client.send(.get, "/v1.0/pods", roles: "reader").status == .forbidden)
            #expect(try await harness.snapshot().isEmpty)
        }
    }

    @Test("pod list refuses query parameters it does not support", arguments: TestDatabases.backends)
    func podListRejectsUnknownQuery(_ backend: StoreBackend) async throws {
        try await AdminHarness.run(backend) { client, _ in
            let reply = try await client.send(.get, "/v1.0/pods?region_name=RegionOne")
            #expect(reply.status == .badRequest)
            #expect(reply.fault?.message.contains("region_name") == true)
        }
    }
}
