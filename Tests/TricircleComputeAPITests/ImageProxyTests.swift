import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleComputeAPI
import TricircleGateway

@Suite("Compute's image proxy at the top (/v2.1/images)")
struct ImageProxyTests {
    /// Creates an image in the top's image service (with data, so it is active) and returns its id.
    static func makeImage(_ harness: GatewayHarness, token: String, name: String, properties: [String: JSONValue] = [:]) async throws -> String {
        var body: [String: JSONValue] = ["name": .string(name), "container_format": "bare", "disk_format": "raw"]
        body.merge(properties) { _, new in new }
        let created = try await harness.send(
            "POST", harness.origin("image") + "/v2/images", token: token, body: String(decoding: JSONValue.object(body).encoded(), as: UTF8.self))
        guard created.status == 201, let id = created.json["id"]?.stringValue else { throw HarnessError("image create: \(created.status) \(created.text)") }
        let uploaded = try await harness.send(
            "PUT", harness.origin("image") + "/v2/images/\(id)/file", token: token, body: "some image bytes",
            headers: [("Content-Type", "application/octet-stream")])
        guard uploaded.status == 204 else { throw HarnessError("image upload: \(uploaded.status) \(uploaded.text)") }
        return id
    }

    @Test("list, detail with Nova's filters, show, metadata and delete go to the top's image service; gone from 2.36")
    func proxy() async throws {
        try await GatewayHarness.with { harness in
            let demo = try ComputeClient(harness)
            let id = try await Self.makeImage(harness, token: demo.token.id, name: "proxied", properties: ["purpose": "test", "image_type": "snapshot"])
            let other = try await Self.makeImage(harness, token: demo.token.id, name: "other")

            let list = try await demo.send("GET", "/images")
            #expect(list.status == 200)
            let listed = list.json["images"]?.arrayValue ?? []
            #expect(listed.contains { $0["id"]?.stringValue == id && $0["name"] == "proxied" })
            #expect(listed.first?["links"]?.at(0)?["href"]?.stringValue?.hasPrefix(harness.origin("compute") + "/v2.1/images/") == true)

            let byName = try await demo.send("GET", "/images/detail?name=proxied")
            let found = byName.json["images"]?.arrayValue ?? []
            #expect(found.count == 1)
            #expect(found.first?["status"] == "ACTIVE")
            #expect(found.first?["progress"]?.intValue == 100)
            #expect(found.first?["metadata"]?["purpose"] == "test")
            #expect(found.first?["OS-EXT-IMG-SIZE:size"]?.intValue == 16)
            let snapshots = try await demo.send("GET", "/images?type=snapshot")
            #expect(snapshots.json["images"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [id])
            let limited = try await demo.send("GET", "/images?limit=1")
            #expect(limited.json["images"]?.arrayValue?.count == 1)
            #expect(limited.json["images_links"]?.at(0)?["rel"] == "next")
            #expect(try await demo.send("GET", "/images?status=SAVING").json["images"]?.arrayValue?.isEmpty == true)

            let shown = try await demo.send("GET", "/images/\(id)")
            #expect(shown.json["image"]?["name"] == "proxied")
            let missing = try await demo.send("GET", "/images/00000000-0000-0000-0000-000000000000")
            #expect(missing.status == 404)
            #expect(missing.json["itemNotFound"]?["message"] == "Image not found.")

            let merged = try await demo.send("POST", "/images/\(id)/metadata", ["metadata": ["color": "blue"]])
            #expect(merged.json["metadata"]?["color"] == "blue")
            #expect(merged.json["metadata"]?["purpose"] == "test")
            let one = try await demo.send("PUT", "/images/\(id)/metadata/color", ["meta": ["color": "red"]])
            #expect(one.json["meta"] == ["color": "red"])
            #expect(try await demo.send("GET", "/images/\(id)/metadata/color").json["meta"] == ["color": "red"])
            #expect(try await demo.send("PUT", "/images/\(id)/metadata/color", ["meta": ["size": "1"]]).status == 400)
            #expect(try await demo.send("DELETE", "/images/\(id)/metadata/color").status == 204)
            #expect(try await demo.send("GET", "/images/\(id)/metadata/color").status == 404)
            let replaced = try await demo.send("PUT", "/images/\(id)/metadata", ["metadata": ["only": "this"]])
            #expect(replaced.json["metadata"] == ["only": "this"])

            #expect(try await demo.send("GET", "/images", version: "2.36").status == 404)
            #expect(try await demo.send("DELETE", "/images/\(other)").status == 204)
            #expect(try await demo.send("GET", "/images/\(other)").status == 404)
        }
    }
}
