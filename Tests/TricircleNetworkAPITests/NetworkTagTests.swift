import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleStore
import TricircleTestSupport

/// Neutron's `standard-attr-tag` at the top: the tag sub-resource of every taggable collection, tags on
/// create, in bodies and in the four list filters, with Neutron's errors.
@Suite("Networking tags at the top")
struct NetworkTagTests {
    @Test("tags on a network: replace, add, check, remove, clear; in bodies and the list filters", arguments: TestDatabases.backends)
    func networkTags(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let neutron = try NeutronClient(harness)
            let red = try await neutron.create("networks", "network", ["name": "red", "tags": ["red", "warm"]])
            let redID = red["id"]?.stringValue ?? ""
            #expect(red["tags"] == ["red", "warm"])
            let blue = try await neutron.create("networks", "network", ["name": "blue"])
            let blueID = blue["id"]?.stringValue ?? ""
            #expect(blue["tags"] == [])

            let replaced = try await neutron.send("PUT", "/networks/\(blueID)/tags", ["tags": ["blue", "cold"]])
            #expect(replaced.status == 200)
            #expect(replaced.json == ["tags": ["blue", "cold"]])
            let added = try await neutron.send("PUT", "/networks/\(blueID)/tags/sea%20side")
            #expect(added.status == 201)
            #expect(try await neutron.send("PUT", "/networks/\(blueID)/tags/blue").status == 201)
            let listed = try await neutron.send("GET", "/networks/\(blueID)/tags")
            #expect(listed.json == ["tags": ["blue", "cold", "sea side"]])
            #expect(try await neutron.send("GET", "/networks/\(blueID)/tags/cold").status == 204)
            let missing = try await neutron.send("GET", "/networks/\(blueID)/tags/red")
            #expect(missing.status == 404)
            #expect(missing.json["NeutronError"]?["type"] == "TagNotFound")
            #expect(missing.json["NeutronError"]?["message"] == "Tag red could not be found.")
            let shown = try await neutron.send("GET", "/networks/\(blueID)")
            #expect(shown.json["network"]?["tags"] == ["blue", "cold", "sea side"])
            #expect((shown.json["network"]?["revision_number"]?.doubleValue ?? 0) > (blue["revision_number"]?.doubleValue ?? 0))

            func names(_ query: String) async throws -> [String] {
                let reply = try await neutron.send("GET", "/networks?\(query)")
                return (reply.json["networks"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }.sorted()
            }
            #expect(try await names("tags=blue") == ["blue"])
            #expect(try await names("tags=red,warm") == ["red"])
            #expect(try await names("tags-any=red,cold") == ["blue", "red"])
            #expect(try await names("not-tags=red,warm") == ["blue"])
            #expect(try await names("not-tags-any=cold") == ["red"])

            #expect(try await neutron.send("DELETE", "/networks/\(blueID)/tags/cold").status == 204)
            let gone = try await neutron.send("DELETE", "/networks/\(blueID)/tags/cold")
            #expect(gone.status == 404)
            #expect(gone.json["NeutronError"]?["type"] == "TagNotFound")
            // POST adds (tag-creation): 201 with the body's list; tags read back sorted, as Neutron lists them.
            let posted = try await neutron.send("POST", "/networks/\(redID)/tags", ["tags": ["green", "blue", "red"]])
            #expect(posted.status == 201)
            #expect(posted.json == ["tags": ["green", "blue", "red"]])
            #expect(try await neutron.send("GET", "/networks/\(redID)/tags").json == ["tags": ["blue", "green", "red", "warm"]])
            #expect(try await neutron.send("DELETE", "/networks/\(redID)/tags").status == 204)
            #expect(try await neutron.send("GET", "/networks/\(redID)/tags").json == ["tags": []])
        }
    }

    @Test("every taggable collection serves tags; unknown ids and other projects' resources are 404")
    func everyCollection() async throws {
        try await GatewayHarness.with { harness in
            let neutron = try NeutronClient(harness)
            let admin = try NeutronClient(harness, user: "admin")
            let alt = try NeutronClient(harness, user: "alt_demo")
            let external = try await admin.create("networks", "network", [
                "name": "public", "router:external": true, "availability_zone_hints": ["az1"],
            ])
            _ = try await admin.create("subnets", "subnet", [
                "network_id": external["id"] ?? .null, "cidr": "203.0.113.0/24", "ip_version": 4,
            ])
            let (networkID, subnetID) = try await neutron.networkWithSubnet()
            let port = try await neutron.create("ports", "port", ["network_id": .string(networkID), "tags": ["p"]])
            let router = try await neutron.create("routers", "router", ["name": "r", "tags": ["r"]])
            let group = try await neutron.create("security-groups", "security_group", ["name": "g", "tags": ["g"]])
            let fip = try await neutron.create("floatingips", "floatingip", ["floating_network_id": external["id"] ?? .null, "tags": ["f"]])
            let pool = try await neutron.create("subnetpools", "subnetpool", ["name": "pool", "prefixes": ["10.200.0.0/16"]])
            #expect(fip["tags"] == ["f"])
            let ids: [(String, String)] = [
                ("networks", networkID), ("subnets", subnetID), ("ports", port["id"]?.stringValue ?? ""),
                ("routers", router["id"]?.stringValue ?? ""), ("security-groups", group["id"]?.stringValue ?? ""),
                ("floatingips", fip["id"]?.stringValue ?? ""), ("subnetpools", pool["id"]?.stringValue ?? ""),
            ]
            for (collection, id) in ids {
                let put = try await neutron.send("PUT", "/\(collection)/\(id)/tags", ["tags": ["x", "y"]])
                #expect(put.status == 200, "\(collection): \(put.text)")
                let member = collection == "security-groups" ? "security_group" : String(collection.dropLast())
                let shown = try await neutron.send("GET", "/\(collection)/\(id)")
                #expect(shown.json[member]?["tags"] == ["x", "y"], "\(collection)")
                let filtered = try await neutron.send("GET", "/\(collection)?tags=x,y")
                #expect(filtered.json[collection.replacingOccurrences(of: "-", with: "_")]?.arrayValue?.count == 1, "\(collection)")
                #expect(try await alt.send("GET", "/\(collection)/\(id)/tags").status == 404, "\(collection)")
                #expect(try await alt.send("PUT", "/\(collection)/\(id)/tags/z").status == 404, "\(collection)")
                #expect(try await admin.send("GET", "/\(collection)/\(id)/tags/x").status == 204, "\(collection)")
            }
            let unknown = try await neutron.send("GET", "/routers/nope/tags")
            #expect(unknown.status == 404)
            #expect(unknown.json["NeutronError"]?["type"] == "RouterNotFound")
            // A shared-readable external network: others read its tags but may not change them.
            #expect(try await neutron.send("GET", "/networks/\(external["id"]?.stringValue ?? "")/tags").status == 200)
            #expect(try await neutron.send("PUT", "/networks/\(external["id"]?.stringValue ?? "")/tags/mine").status == 403)
        }
    }

    @Test("bad tag bodies get Neutron's 400s; the extension is listed")
    func validation() async throws {
        try await GatewayHarness.with { harness in
            let neutron = try NeutronClient(harness)
            let (networkID, _) = try await neutron.networkWithSubnet()
            func message(_ reply: HarnessReply) -> String? { reply.json["NeutronError"]?["message"]?.stringValue }
            let noTags = try await neutron.send("PUT", "/networks/\(networkID)/tags", ["labels": ["a"]])
            #expect(noTags.status == 400)
            #expect(message(noTags) == "Invalid input for operation: Invalid tags body.")
            let duplicate = try await neutron.send("PUT", "/networks/\(networkID)/tags", ["tags": ["a", "b", "a"]])
            #expect(duplicate.status == 400)
            #expect(message(duplicate) == "Invalid input for operation: Duplicate items in the list: 'a'.")
            let notString = try await neutron.send("PUT", "/networks/\(networkID)/tags", ["tags": [1]])
            #expect(message(notString) == "Invalid input for operation: '1' is not a valid string.")
            let long = String(repeating: "t", count: 256)
            let tooLong = try await neutron.send("PUT", "/networks/\(networkID)/tags/\(long)")
            #expect(tooLong.status == 400)
            #expect(message(tooLong) == "Invalid input for operation: '\(long)' exceeds maximum length of 255.")
            let onCreate = try await neutron.send("POST", "/networks", ["network": ["name": "n", "tags": ["a", "a"]]])
            #expect(onCreate.status == 400)
            #expect(message(onCreate) == "Invalid input for tags. Reason: Duplicate items in the list: 'a'.")
            let extensions = try await neutron.send("GET", "/extensions/standard-attr-tag")
            #expect(extensions.status == 200)
        }
    }
}
