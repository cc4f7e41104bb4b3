import Foundation
import OpenStackModels
import RegionSimulator
import Testing

@Suite("Simulated Nova server groups")
struct ComputeServerGroupTests {
    @Test("server groups: create, list, show, delete at both body shapes; the group hint adds members shown as server_groups from 2.71")
    func serverGroupsAndHint() async throws {
        try await withNovaAndNeutron { _, c in
            let old = try await c.compute(.POST, "/os-server-groups", ["server_group": ["name": "g-old", "policies": ["anti-affinity"]]], version: "2.1")
            #expect(old.status == 200)
            #expect(old.json["server_group"]?["policies"] == ["anti-affinity"])
            #expect(old.json["server_group"]?["metadata"] == [:])
            let created = try await c.compute(.POST, "/os-server-groups", [
                "server_group": ["name": "g", "policy": "anti-affinity", "rules": ["max_server_per_host": 2]],
            ])
            #expect(created.status == 200)
            let group = try #require(created.json["server_group"]?["id"]?.stringValue)
            #expect(created.json["server_group"]?["policy"] == "anti-affinity")
            #expect(created.json["server_group"]?["rules"]?["max_server_per_host"] == 2)
            #expect(created.json["server_group"]?.objectValue?["policies"] == nil)
            // A policy Nova does not know, and the old shape at 2.64+, are 400s.
            #expect(try await c.compute(.POST, "/os-server-groups", ["server_group": ["name": "x", "policy": "spread"]]).status == 400)
            #expect(try await c.compute(.POST, "/os-server-groups", ["server_group": ["name": "x", "policies": ["affinity"]]]).status == 400)
            // Other projects see none of them.
            let alien = try await c.compute(.GET, "/os-server-groups/\(group)", token: c.tokens.altDemo)
            #expect(alien.status == 404)

            let image = c.image
            let boot = try await c.compute(.POST, "/servers", [
                "server": ["name": "member", "imageRef": .string(image), "flavorRef": "1", "networks": "none"],
                "os:scheduler_hints": ["group": .string(group)],
            ])
            #expect(boot.status == 202)
            let member = try #require(boot.json["server"]?["id"]?.stringValue)
            #expect(try await c.compute(.GET, "/os-server-groups/\(group)").json["server_group"]?["members"] == [.string(member)])
            #expect(try await c.compute(.GET, "/servers/\(member)").json["server"]?["server_groups"] == [.string(group)])
            #expect(try await c.compute(.GET, "/servers/\(member)", version: "2.70").json["server"]?.objectValue?["server_groups"] == nil)
            #expect(try await c.compute(.GET, "/servers/detail").json["servers"]?.nth(0)?.objectValue?["server_groups"] == nil)
            let unknownHint = try await c.compute(.POST, "/servers", [
                "server": ["name": "x", "imageRef": .string(image), "flavorRef": "1", "networks": "none"],
                "os:scheduler_hints": ["group": "00000000-0000-4000-8000-00000000dead"],
            ])
            #expect(unknownHint.status == 400)

            let listed = try await c.compute(.GET, "/os-server-groups")
            #expect(listed.json["server_groups"]?.arrayValue?.count == 2)
            #expect(try await c.compute(.GET, "/os-server-groups?limit=1&offset=1").json["server_groups"]?.nth(0)?["id"]?.stringValue == group)
            #expect(try await c.compute(.GET, "/limits").json["limits"]?["absolute"]?["totalServerGroupsUsed"] == 2)

            // A member whose delete has finished leaves the group.
            let leaving = try await c.compute(.POST, "/servers", [
                "server": ["name": "leaving", "imageRef": .string(image), "flavorRef": "1", "networks": "none"],
                "os:scheduler_hints": ["group": .string(group)],
            ])
            let leavingID = try #require(leaving.json["server"]?["id"]?.stringValue)
            #expect(try await c.compute(.GET, "/os-server-groups/\(group)").json["server_group"]?["members"]?.arrayValue?.count == 2)
            #expect(try await c.compute(.DELETE, "/servers/\(leavingID)").status == 204)
            try await eventually { try await c.compute(.GET, "/servers/\(leavingID)").status == 404 }
            #expect(try await c.compute(.GET, "/os-server-groups/\(group)").json["server_group"]?["members"] == [.string(member)])

            #expect(try await c.compute(.DELETE, "/os-server-groups/\(group)").status == 204)
            #expect(try await c.compute(.GET, "/os-server-groups/\(group)").status == 404)
            #expect(try await c.compute(.GET, "/servers/\(member)").json["server"]?["server_groups"] == [])
        }
    }

    @Test("hard anti-affinity in a one-host region: members beyond max_server_per_host end in ERROR with No valid host")
    func antiAffinityOnOneHost() async throws {
        try await withNovaAndNeutron { _, c in
            func group(_ rules: JSONValue) async throws -> String {
                let reply = try await c.compute(.POST, "/os-server-groups", ["server_group": ["name": "aa", "policy": "anti-affinity", "rules": rules]])
                return try #require(reply.json["server_group"]?["id"]?.stringValue)
            }
            func boot(_ name: String, into group: String) async throws -> String {
                let reply = try await c.compute(.POST, "/servers", [
                    "server": ["name": .string(name), "imageRef": .string(c.image), "flavorRef": "1", "networks": "none"],
                    "os:scheduler_hints": ["group": .string(group)],
                ])
                return try #require(reply.json["server"]?["id"]?.stringValue)
            }
            func settled(_ id: String) async throws -> JSONValue? {
                var server: JSONValue?
                try await eventually {
                    server = try await c.compute(.GET, "/servers/\(id)").json["server"]
                    return server?["status"] != "BUILD"
                }
                return server
            }
            let strict = try await group([:])
            #expect(try await settled(try await boot("a", into: strict))?["status"] == "ACTIVE")
            let second = try await settled(try await boot("b", into: strict))
            #expect(second?["status"] == "ERROR")
            #expect(second?["fault"]?["message"] == "No valid host was found. There are not enough hosts available.")

            let two = try await group(["max_server_per_host": 2])
            #expect(try await settled(try await boot("c", into: two))?["status"] == "ACTIVE")
            #expect(try await settled(try await boot("d", into: two))?["status"] == "ACTIVE")
            #expect(try await settled(try await boot("e", into: two))?["status"] == "ERROR")
        }
    }
}
