import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing

/// Glance answers the sandbox used to get wrong: time filters on the image list, import discovery,
/// interoperable import (glance-direct, web-download) and tasks, through the top Image API.
@Suite("Image time filters, import and tasks")
struct ImageDiscoveryTests {
    static func create(_ harness: GatewayHarness, _ token: String, _ name: String) async throws -> String {
        let created = try await harness.send("POST", harness.url("image") + "/v2/images", token: token,
                                             body: #"{"name": "\#(name)", "disk_format": "raw", "container_format": "bare"}"#)
        #expect(created.status == 201)
        return created.json["id"]?.stringValue ?? ""
    }

    @Test("created_at/updated_at filters with gt/gte/lt/lte/eq/neq as Glance applies them; 400 for a bad time or operator")
    func timeFilters() async throws {
        try await GatewayHarness.with { harness in
            let token = try harness.token().id
            let base = harness.url("image") + "/v2/images"
            let first = try await Self.create(harness, token, "filter-a")
            let second = try await Self.create(harness, token, "filter-b")
            func names(_ query: String) async throws -> Set<String> {
                let reply = try await harness.send("GET", base + "?" + query, token: token)
                #expect(reply.status == 200, "\(query): \(reply.text)")
                return Set(reply.json["images"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? [])
            }
            #expect(try await names("created_at=gte:2049-01-01T00:00:00Z").isDisjoint(with: [first, second]))
            #expect(try await names("created_at=lt:2049-01-01T00:00:00Z").isSuperset(of: [first, second]))
            #expect(try await names("updated_at=gt:2000-01-01T00:00:00Z").isSuperset(of: [first, second]))
            #expect(try await names("created_at=lte:2000-01-01").isDisjoint(with: [first, second]))
            #expect(try await names("updated_at=neq:2000-01-01T00:00:00Z").isSuperset(of: [first, second]))
            let shown = try await harness.send("GET", base + "/\(first)", token: token)
            let stamp = shown.json["created_at"]?.stringValue ?? ""
            #expect(try await names("created_at=eq:\(stamp)").contains(first))
            #expect(try await names("created_at=\(stamp)").contains(first))

            let bad = try await harness.send("GET", base + "?created_at=gte:yesterday", token: token)
            #expect(bad.status == 400)
            #expect(bad.text.contains("Bad \\\"created_at\\\" query filter format") || bad.text.contains("Bad \"created_at\" query filter format"), "\(bad.text)")
            #expect(try await harness.send("GET", base + "?updated_at=after:2049-01-01T00:00:00Z", token: token).status == 400)
        }
    }

    @Test("info/import and info/stores are served; glance-direct after stage and web-download make the image active; tasks are admin-only")
    func importAndTasks() async throws {
        try await GatewayHarness.with { harness in
            let token = try harness.token().id
            let admin = try harness.token(user: "admin").id
            let v2 = harness.url("image") + "/v2"
            let info = try await harness.send("GET", v2 + "/info/import", token: token)
            #expect(info.status == 200)
            let methods = info.json["import-methods"]?["value"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(methods.contains("glance-direct") && methods.contains("web-download"))
            #expect(try await harness.send("GET", v2 + "/info/stores", token: token).status == 200)

            // glance-direct: staged data becomes the image's.
            let direct = try await Self.create(harness, token, "direct")
            let early = try await harness.send("POST", v2 + "/images/\(direct)/import", token: token, body: #"{"method": {"name": "glance-direct"}}"#)
            #expect(early.status == 409)
            let staged = try await harness.send("PUT", v2 + "/images/\(direct)/stage", token: token, body: "staged bytes",
                                                headers: [("Content-Type", "application/octet-stream")])
            #expect(staged.status == 204)
            #expect(try await harness.send("GET", v2 + "/images/\(direct)", token: token).json["status"] == "uploading")
            let imported = try await harness.send("POST", v2 + "/images/\(direct)/import", token: token, body: #"{"method": {"name": "glance-direct"}}"#)
            #expect(imported.status == 202)
            let active = try await harness.send("GET", v2 + "/images/\(direct)", token: token)
            #expect(active.json["status"] == "active")
            #expect(active.json["size"] == 12)
            let again = try await harness.send("POST", v2 + "/images/\(direct)/import", token: token, body: #"{"method": {"name": "glance-direct"}}"#)
            #expect(again.status == 409)

            // web-download, and the body checks of Glance's deserializer.
            let web = try await Self.create(harness, token, "web")
            #expect(try await harness.send("POST", v2 + "/images/\(web)/import", token: token, body: #"{}"#).status == 400)
            #expect(try await harness.send("POST", v2 + "/images/\(web)/import", token: token, body: #"{"method": {"name": "magic"}}"#).status == 400)
            let downloaded = try await harness.send("POST", v2 + "/images/\(web)/import", token: token,
                                                    body: #"{"method": {"name": "web-download", "uri": "http://example.com/cirros.img"}}"#)
            #expect(downloaded.status == 202)
            #expect(try await harness.send("GET", v2 + "/images/\(web)", token: token).json["status"] == "active")

            // Tasks: 403 for a member (tasks_api_access), listed and shown for an admin.
            #expect(try await harness.send("GET", v2 + "/tasks", token: token).status == 403)
            let tasks = try await harness.send("GET", v2 + "/tasks", token: admin)
            #expect(tasks.status == 200)
            let listed = tasks.json["tasks"]?.arrayValue ?? []
            let task = listed.first { $0["image_id"]?.stringValue == direct }
            #expect(task?["type"] == "api_image_import")
            #expect(task?["input"] == nil)
            let taskID = task?["id"]?.stringValue ?? ""
            let shown = try await harness.send("GET", v2 + "/tasks/\(taskID)", token: admin)
            #expect(shown.status == 200)
            #expect(shown.json["result"]?["image_id"]?.stringValue == direct)
            #expect(try await harness.send("GET", v2 + "/tasks/\(UUID().uuidString.lowercased())", token: admin).status == 404)
        }
    }

    @Test("a glance-direct import through the top as Glance 2026.1 answers it: staged size, the request id its task records, the stores and os_glance_* properties it leaves; web-download URIs filtered to ports 80/443")
    func importAsGlanceAnswers() async throws {
        try await GatewayHarness.with { harness in
            let token = try harness.token().id
            let v2 = harness.url("image") + "/v2"
            let id = try await Self.create(harness, token, "traced")
            let staged = try await harness.send("PUT", v2 + "/images/\(id)/stage", token: token, body: "staged bytes",
                                                headers: [("Content-Type", "application/octet-stream")])
            #expect(staged.status == 204)
            let uploading = try await harness.send("GET", v2 + "/images/\(id)", token: token)
            #expect(uploading.json["status"] == "uploading")
            #expect(uploading.json["size"] == 12)
            let imported = try await harness.send("POST", v2 + "/images/\(id)/import", token: token, body: #"{"method": {"name": "glance-direct"}}"#)
            #expect(imported.status == 202)
            // Tempest matches the import's task to its call by this id (Glance adopts the gateway's).
            let answered = try #require(imported.header("x-openstack-request-id"))
            let tasks = try await harness.send("GET", v2 + "/images/\(id)/tasks", token: token)
            #expect(tasks.status == 200, "\(tasks.text)")
            #expect(tasks.json["tasks"]?.arrayValue?.map { $0["request_id"]?.stringValue } == [answered])
            #expect(tasks.json["tasks"]?.arrayValue?.first?["input"]?["import_req"]?["method"]?["name"] == "glance-direct")
            // What Tempest's wait_for_image_imported_to_stores reads: active in every store /v2/info/stores lists.
            let active = try await harness.send("GET", v2 + "/images/\(id)", token: token)
            #expect(active.json["status"] == "active")
            #expect(active.json["stores"] == "file")
            #expect(active.json["os_glance_failed_import"] == "")
            #expect(active.json["os_glance_importing_to_stores"] == "")

            let web = try await Self.create(harness, token, "web-filtered")
            let filtered = try await harness.send("POST", v2 + "/images/\(web)/import", token: token,
                                                  body: #"{"method": {"name": "web-download", "uri": "http://127.0.0.1:8080/x.img"}}"#)
            #expect(filtered.status == 400)
            #expect(filtered.text.contains("does not pass filtering"), "\(filtered.text)")
            #expect(try await harness.send("GET", v2 + "/images/\(web)", token: token).json["status"] == "queued")
        }
    }
}
