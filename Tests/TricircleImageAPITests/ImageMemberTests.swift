import Foundation
import GatewayTestHarness
import OpenStackModels
import RegionSimulator
import Testing
import TricircleStore
import TricircleTestSupport

@testable import TricircleImageAPI

/// Image sharing, the member schemas and form-encoded list queries through the top Image API (the home
/// Glance holds the image and decides, with the caller's own token, who may do what).
@Suite("Image members at the top")
struct ImageMemberTests {
    static func create(_ harness: GatewayHarness, _ token: String, _ name: String, visibility: String = "shared") async throws -> String {
        let created = try await harness.send(
            "POST", harness.url("image") + "/v2/images", token: token,
            body: #"{"name": "\#(name)", "disk_format": "raw", "container_format": "bare", "visibility": "\#(visibility)"}"#)
        #expect(created.status == 201)
        return try #require(created.json["id"]?.stringValue)
    }

    @Test("the owner shares with another project: pending, seen but not listed, accepted by the member itself, removed by the owner only")
    func sharing() async throws {
        try await GatewayHarness.with { harness in
            let owner = try harness.token()
            let other = try harness.token(user: "alt_demo")
            let v2 = harness.url("image") + "/v2"
            let id = try await Self.create(harness, owner.id, "shared-one")
            #expect(try await harness.send("GET", v2 + "/images/\(id)", token: other.id).status == 404)

            let added = try await harness.send("POST", v2 + "/images/\(id)/members", token: owner.id, body: #"{"member": "\#(other.projectID)"}"#)
            #expect(added.status == 200, "\(added.text)")
            #expect(added.json["member_id"]?.stringValue == other.projectID)
            #expect(added.json["image_id"]?.stringValue == id)
            #expect(added.json["status"] == "pending")
            #expect(added.json["schema"] == "/v2/schemas/member")
            let again = try await harness.send("POST", v2 + "/images/\(id)/members", token: owner.id, body: #"{"member": "\#(other.projectID)"}"#)
            #expect(again.status == 409)
            #expect(try await harness.send("POST", v2 + "/images/\(id)/members", token: owner.id, body: #"{"member": ""}"#).status == 400)
            // Only the owner adds members.
            #expect(try await harness.send("POST", v2 + "/images/\(id)/members", token: other.id, body: #"{"member": "someone"}"#).status == 403)

            // A pending member sees the image but does not list it unless it asks for pending shares.
            #expect(try await harness.send("GET", v2 + "/images/\(id)", token: other.id).status == 200)
            func listed(_ query: String) async throws -> Bool {
                let list = try await harness.send("GET", v2 + "/images" + query, token: other.id)
                #expect(list.status == 200, "\(list.text)")
                return list.json["images"]?.arrayValue?.contains { $0["id"]?.stringValue == id } == true
            }
            #expect(try await listed("") == false)
            #expect(try await listed("?member_status=pending") == true)
            #expect(try await harness.send("GET", v2 + "/images?member_status=maybe", token: other.id).status == 400)

            let members = try await harness.send("GET", v2 + "/images/\(id)/members", token: owner.id)
            #expect(members.status == 200)
            #expect(members.json["schema"] == "/v2/schemas/members")
            #expect(members.json["members"]?.arrayValue?.map { $0["member_id"]?.stringValue } == [other.projectID])
            #expect(try await harness.send("GET", v2 + "/images/\(id)/members/\(other.projectID)", token: other.id).status == 200)
            #expect(try await harness.send("GET", v2 + "/images/\(id)/members/nobody", token: owner.id).status == 404)

            // The member answers the share, not the owner.
            let byOwner = try await harness.send("PUT", v2 + "/images/\(id)/members/\(other.projectID)", token: owner.id, body: #"{"status": "accepted"}"#)
            #expect(byOwner.status == 403)
            let bad = try await harness.send("PUT", v2 + "/images/\(id)/members/\(other.projectID)", token: other.id, body: #"{"status": "maybe"}"#)
            #expect(bad.status == 400)
            let accepted = try await harness.send("PUT", v2 + "/images/\(id)/members/\(other.projectID)", token: other.id, body: #"{"status": "accepted"}"#)
            #expect(accepted.status == 200)
            #expect(accepted.json["status"] == "accepted")
            #expect(try await listed("") == true)

            #expect(try await harness.send("DELETE", v2 + "/images/\(id)/members/\(other.projectID)", token: other.id).status == 403)
            #expect(try await harness.send("DELETE", v2 + "/images/\(id)/members/\(other.projectID)", token: owner.id).status == 204)
            #expect(try await harness.send("GET", v2 + "/images/\(id)", token: other.id).status == 404)
        }
    }

    @Test("a member project boots a shared image in a pod other than the home: the pod's copy is shared with it too; a non-member is refused")
    func memberBootsInAnotherPod() async throws {
        try await GatewayHarness.with { harness in
            let owner = try harness.token()
            let other = try harness.token(user: "alt_demo")
            let v2 = harness.url("image") + "/v2"
            let id = try await ImageAPITests.uploadImage(harness, token: owner.id, data: ImageAPITests.bytes(70_000), name: "shared-boot")
            let shared = try await harness.send(
                "PATCH", v2 + "/images/\(id)", token: owner.id, body: #"[{"op": "replace", "path": "/visibility", "value": "shared"}]"#,
                headers: [("Content-Type", "application/openstack-images-v2.1-json-patch")])
            #expect(shared.status == 200, "\(shared.text)")
            // The owner's boot in az2 makes the copy there.
            _ = try await ImageImportTests.boot(harness, token: owner.id, az: "az2", image: id)

            let refused = try await harness.send(
                "POST", harness.url("compute") + "/servers", token: other.id,
                body: #"{"server": {"name": "not-yet", "flavorRef": "1", "imageRef": "\#(id)", "availability_zone": "az2"}}"#)
            #expect(refused.status == 400, "\(refused.text)")

            #expect(try await harness.send("POST", v2 + "/images/\(id)/members", token: owner.id, body: #"{"member": "\#(other.projectID)"}"#).status == 200)
            _ = try await ImageImportTests.boot(harness, token: other.id, az: "az2", image: id)
            let copy = try #require(try await ImageAPITests.copies(of: id, in: "RegionTwo", harness: harness).first)
            let admin = try harness.token(user: "admin")
            let glance = try #require(harness.cloud.endpoint(region: "RegionTwo", service: .image))
            let members = try await harness.send("GET", glance + "/v2/images/\(copy.id)/members", token: admin.id)
            #expect(members.json["members"]?.arrayValue?.map { $0["member_id"]?.stringValue } == [other.projectID])
        }
    }

    @Test("a member removed at the top is removed from the pod copy it was added to, once that pod answers again",
          arguments: TestDatabases.backends)
    func removedMemberLeavesPodCopies(_ backend: StoreBackend) async throws {
        // A short circuit cool-down and capped retries: the job retries until RegionTwo is back.
        let overrides = ["client.pod_timeout": "2", "job.backoff_max_seconds": "0.3", "job.max_attempts": "100"]
        try await GatewayHarness.with(backend: backend, overrides: overrides) { harness in
            let owner = try harness.token()
            let other = try harness.token(user: "alt_demo")
            let v2 = harness.url("image") + "/v2"
            let id = try await ImageAPITests.uploadImage(harness, token: owner.id, data: ImageAPITests.bytes(30_000), name: "unshared-later")
            let shared = try await harness.send(
                "PATCH", v2 + "/images/\(id)", token: owner.id, body: #"[{"op": "replace", "path": "/visibility", "value": "shared"}]"#,
                headers: [("Content-Type", "application/openstack-images-v2.1-json-patch")])
            #expect(shared.status == 200, "\(shared.text)")
            #expect(try await harness.send("POST", v2 + "/images/\(id)/members", token: owner.id, body: #"{"member": "\#(other.projectID)"}"#).status == 200)
            _ = try await ImageImportTests.boot(harness, token: other.id, az: "az2", image: id)
            let copy = try #require(try await ImageAPITests.copies(of: id, in: "RegionTwo", harness: harness).first)
            let admin = try harness.token(user: "admin")
            let glance = try #require(harness.cloud.endpoint(region: "RegionTwo", service: .image))
            func copyMembers() async throws -> [String?] {
                let members = try await harness.send("GET", glance + "/v2/images/\(copy.id)/members", token: admin.id)
                #expect(members.status == 200, "\(members.text)")
                return members.json["members"]?.arrayValue?.map { $0["member_id"]?.stringValue } ?? []
            }
            #expect(try await copyMembers() == [other.projectID])

            // RegionTwo's Glance is down when the owner removes the member: the top answers as Glance does,
            // and the removal from the copy waits for the region.
            harness.cloud.setFault(FaultSettings(down: true), region: "RegionTwo", service: .image)
            let removed = try await harness.send("DELETE", v2 + "/images/\(id)/members/\(other.projectID)", token: owner.id)
            #expect(removed.status == 204, "\(removed.text)")
            #expect(try await harness.send("GET", v2 + "/images/\(id)", token: other.id).status == 404)
            let failed = try await ImageImportTests.eventually("the removal tried RegionTwo and failed") {
                try await harness.runtime.jobs.list(filter: .init(type: ImageMemberRemovalJob.type))
                    .first { $0.resource["image_id"] == id && $0.lastError != nil }
            }
            #expect(failed.resource["member_id"] == other.projectID)
            #expect(failed.lastError?.contains("RegionTwo") == true, "\(failed.lastError ?? "")")
            harness.cloud.setFault(FaultSettings(), region: "RegionTwo", service: .image)

            // The region's listener may take a moment to come back: a refused connection is another try.
            _ = try await ImageImportTests.eventually("the member gone from RegionTwo's copy") {
                (try? await copyMembers())?.isEmpty == true ? true : nil
            }
            let done = try await ImageImportTests.eventually("the removal job done") {
                try await harness.runtime.jobs.list(filter: .init(type: ImageMemberRemovalJob.type, status: .success))
                    .first { $0.resource["image_id"] == id }
            }
            #expect(done.attempts >= 2)
        }
    }

    @Test("an image that is not shared has no members: 403 to list or add, 404 to show one")
    func onlySharedImagesHaveMembers() async throws {
        try await GatewayHarness.with { harness in
            let owner = try harness.token()
            let v2 = harness.url("image") + "/v2"
            let id = try await Self.create(harness, owner.id, "private-one", visibility: "private")
            let list = try await harness.send("GET", v2 + "/images/\(id)/members", token: owner.id)
            #expect(list.status == 403)
            #expect(list.text.contains("Only shared images have members."))
            #expect(try await harness.send("POST", v2 + "/images/\(id)/members", token: owner.id, body: #"{"member": "x"}"#).status == 403)
            #expect(try await harness.send("GET", v2 + "/images/\(id)/members/x", token: owner.id).status == 404)
        }
    }

    @Test("schemas/member and schemas/members are served as Glance's")
    func memberSchemas() async throws {
        try await GatewayHarness.with { harness in
            let token = try harness.token().id
            let v2 = harness.url("image") + "/v2"
            let member = try await harness.send("GET", v2 + "/schemas/member", token: token)
            #expect(member.status == 200)
            #expect(member.json["name"] == "member")
            #expect(member.json["properties"]?["status"]?["enum"] == ["pending", "accepted", "rejected"])
            let members = try await harness.send("GET", v2 + "/schemas/members", token: token)
            #expect(members.status == 200)
            #expect(members.json["name"] == "members")
            #expect(members.json["properties"]?["members"]?["items"]?["name"] == "member")
        }
    }

    @Test("a list query is form-encoded: + is a space and %2B a plus, as WebOb reads it")
    func plusInQueryIsASpace() async throws {
        try await GatewayHarness.with { harness in
            let token = try harness.token().id
            let spaced = try await Self.create(harness, token, "Test Image", visibility: "private")
            let plussed = try await Self.create(harness, token, "Test+Image", visibility: "private")
            func ids(_ query: String) async throws -> [String] {
                let reply = try await harness.send("GET", harness.url("image") + "/v2/images?" + query, token: token)
                #expect(reply.status == 200, "\(reply.text)")
                return reply.json["images"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            }
            #expect(try await ids("name=Test+Image") == [spaced])
            #expect(try await ids("name=Test%20Image") == [spaced])
            #expect(try await ids("name=Test%2BImage") == [plussed])
        }
    }
}
