import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleComputeAPI
import TricircleGateway

@Suite("Compute items Tempest checks: extensions, version details, instance actions")
struct ComputeTempestItemTests {
    @Test("/extensions lists Nova's extensions and shows one by alias; an unknown alias is 404")
    func extensions() async throws {
        try await GatewayHarness.with { harness in
            let demo = try ComputeClient(harness)
            let list = try await demo.send("GET", "/extensions")
            #expect(list.status == 200)
            let aliases = (list.json["extensions"]?.arrayValue ?? []).compactMap { $0["alias"]?.stringValue }
            #expect(aliases.contains("os-aggregates"))
            let one = try await demo.send("GET", "/extensions/os-keypairs")
            #expect(one.status == 200)
            #expect(one.json["extension"]?["name"] == "Keypairs")
            let unknown = try await demo.send("GET", "/extensions/os-nothing")
            #expect(unknown.status == 404)
            #expect(unknown.json["itemNotFound"] != nil)
        }
    }

    @Test("every version GET / lists answers its own document at its self link, links at the gateway")
    func versionDetails() async throws {
        try await GatewayHarness.with { harness in
            let demo = try ComputeClient(harness)
            let origin = harness.origin("compute")
            let root = try await harness.send("GET", origin + "/", token: nil)
            let versions = root.json["versions"]?.arrayValue ?? []
            #expect(versions.count == 2)
            for version in versions {
                let links = (version["links"]?.arrayValue ?? []).filter { $0["rel"] == "self" }
                #expect(links.count == 1)
                let href = try #require(links.first?["href"]?.stringValue)
                #expect(href.hasPrefix(origin))
                let reply = try await harness.send("GET", href, token: demo.token.id)
                #expect(reply.status == 200)
                #expect(reply.json["version"]?["id"] == version["id"])
                #expect(reply.json["version"]?["links"]?.at(0)?["href"]?.stringValue == href)
            }
        }
    }

    @Test("os-instance-actions: listed and shown by the pod's request id the create answered with; a deleted server's from 2.21")
    func instanceActions() async throws {
        try await GatewayHarness.with { harness in
            let demo = try ComputeClient(harness)
            let alt = try ComputeClient(harness, user: "alt_demo")
            let image = try await demo.image(for: "az2")
            let created = try await demo.send("POST", "/servers", ["server": [
                "name": "acted", "flavorRef": "1", "imageRef": .string(image), "availability_zone": "az2",
            ]])
            #expect(created.status == 202)
            let id = try #require(created.json["server"]?["id"]?.stringValue)
            let requestID = try #require(created.header("x-compute-request-id"))
            try await demo.waitFor(id, status: "ACTIVE")
            #expect(try await demo.send("POST", "/servers/\(id)/action", ["reboot": ["type": "HARD"]]).status == 202)

            let list = try await demo.send("GET", "/servers/\(id)/os-instance-actions")
            #expect(list.status == 200)
            #expect((list.json["instanceActions"]?.arrayValue ?? []).compactMap { $0["action"]?.stringValue }.sorted() == ["create", "reboot"])
            let shown = try await demo.send("GET", "/servers/\(id)/os-instance-actions/\(requestID)")
            #expect(shown.status == 200)
            #expect(shown.json["instanceAction"]?["action"] == "create")
            #expect(shown.json["instanceAction"]?["instance_uuid"]?.stringValue == id)
            #expect(try await demo.send("GET", "/servers/\(id)/os-instance-actions/req-nothing").status == 404)
            #expect(try await alt.send("GET", "/servers/\(id)/os-instance-actions").status == 404)

            #expect(try await demo.send("DELETE", "/servers/\(id)").status == 204)
            var gone = false
            for _ in 0..<200 where !gone {
                gone = try await demo.send("GET", "/servers/\(id)").status == 404
                if !gone { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(gone)
            let deleted = try await demo.send("GET", "/servers/\(id)/os-instance-actions", version: "2.21")
            #expect(deleted.status == 200)
            #expect((deleted.json["instanceActions"]?.arrayValue ?? []).compactMap { $0["action"]?.stringValue }.sorted() == ["create", "delete", "reboot"])
            #expect(try await demo.send("GET", "/servers/\(id)/os-instance-actions", version: "2.20").status == 404)
            #expect(try await alt.send("GET", "/servers/\(id)/os-instance-actions", version: "2.21").status == 404)
        }
    }
}
