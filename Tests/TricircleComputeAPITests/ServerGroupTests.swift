import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport

/// `/os-server-groups` at the top: Nova's shapes and checks, and how a group spans regions.
@Suite("Server groups at the top")
struct ServerGroupTests {
    /// Boots with `scheduler_hints.group` (and an AZ when given); the raw reply.
    private func boot(_ client: ComputeClient, _ name: String, group: String, az: String?) async throws -> HarnessReply {
        var server: [String: JSONValue] = ["name": .string(name), "flavorRef": "1", "imageRef": .string(try await client.image(for: az ?? "az1"))]
        if let az { server["availability_zone"] = .string(az) }
        return try await client.send("POST", "/servers", ["server": .object(server), "os:scheduler_hints": ["group": .string(group)]])
    }

    private func create(_ client: ComputeClient, _ group: JSONValue, version: String = "2.64") async throws -> HarnessReply {
        try await client.send("POST", "/os-server-groups", ["server_group": group], version: version)
    }

    @Test("create, list, show and delete with Nova's shapes per microversion and its checks", arguments: TestDatabases.backends)
    func lifecycle(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let demo = try ComputeClient(harness)
            let alt = try ComputeClient(harness, user: "alt_demo")
            let admin = try ComputeClient(harness, user: "admin")
            let made = try await create(demo, ["name": "web", "policy": "anti-affinity", "rules": ["max_server_per_host": 2]])
            #expect(made.status == 200)
            let group = try #require(made.json["server_group"])
            let id = try #require(group["id"]?.stringValue)
            #expect(group["policy"] == "anti-affinity")
            #expect(group["rules"]?["max_server_per_host"]?.intValue == 2)
            #expect(group["members"]?.arrayValue?.isEmpty == true)
            #expect(group["project_id"]?.stringValue == demo.token.projectID)
            // Before 2.64 the same group reads as `policies` and `metadata`.
            let old = try await demo.send("GET", "/os-server-groups/\(id)", version: "2.1")
            #expect(old.json["server_group"]?["policies"] == ["anti-affinity"])
            #expect(old.json["server_group"]?["metadata"] == [:])
            #expect(old.json["server_group"]?["policy"] == nil)
            #expect(old.json["server_group"]?["project_id"] == nil)
            let legacy = try await create(demo, ["name": "db", "policies": ["affinity"]], version: "2.1")
            #expect(legacy.status == 200)

            // Nova's validation.
            #expect(try await create(demo, ["name": "x", "policies": ["soft-affinity"]], version: "2.14").status == 400)
            #expect(try await create(demo, ["name": "x", "policies": ["affinity"]]).status == 400)
            #expect(try await create(demo, ["name": "x", "policy": "nearby"]).status == 400)
            let rules = try await create(demo, ["name": "x", "policy": "affinity", "rules": ["max_server_per_host": 2]])
            #expect(rules.status == 400)
            #expect(rules.json["badRequest"]?["message"]?.stringValue == "Only anti-affinity policy supports rules.")
            #expect(try await create(demo, ["policy": "affinity"]).status == 400)

            // Lists: the caller's project; an admin's with all_projects; limit and offset.
            let mine = try await demo.send("GET", "/os-server-groups")
            #expect(mine.json["server_groups"]?.arrayValue?.count == 2)
            #expect(try await alt.send("GET", "/os-server-groups").json["server_groups"]?.arrayValue?.isEmpty == true)
            #expect(try await alt.send("GET", "/os-server-groups/\(id)").status == 404)
            #expect(try await alt.send("DELETE", "/os-server-groups/\(id)").status == 404)
            #expect(try await admin.send("GET", "/os-server-groups").json["server_groups"]?.arrayValue?.isEmpty == true)
            #expect(try await admin.send("GET", "/os-server-groups?all_projects=True").json["server_groups"]?.arrayValue?.count == 2)
            let page = try await demo.send("GET", "/os-server-groups?limit=1&offset=1")
            #expect(page.json["server_groups"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["db"])
            #expect(try await demo.send("GET", "/os-server-groups?limit=-1").status == 400)

            #expect(try await demo.send("DELETE", "/os-server-groups/\(id)").status == 204)
            let gone = try await demo.send("GET", "/os-server-groups/\(id)")
            #expect(gone.status == 404)
            #expect(gone.json["itemNotFound"]?["message"]?.stringValue == "Instance group \(id) could not be found.")
        }
    }

    @Test("affinity keeps members in the first member's pod; a boot into another AZ is refused", arguments: TestDatabases.backends)
    func affinitySpansOnePod(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let demo = try ComputeClient(harness)
            let made = try await create(demo, ["name": "together", "policy": "affinity"])
            let id = try #require(made.json["server_group"]?["id"]?.stringValue)
            let first = try await boot(demo, "a1", group: id, az: "az2")
            #expect(first.status == 202)
            let firstID = try #require(first.json["server"]?["id"]?.stringValue)
            // No AZ: the member goes to the group's pod, not the default one.
            let second = try await boot(demo, "a2", group: id, az: nil)
            #expect(second.status == 202)
            let secondID = try #require(second.json["server"]?["id"]?.stringValue)
            #expect(try await demo.direct("RegionTwo", "/servers/\(secondID)").status == 200)
            // From 2.71 the server names the top's group, not the pod's stand-in.
            let member = try await demo.send("GET", "/servers/\(secondID)", version: "2.71")
            #expect(member.json["server"]?["server_groups"] == [.string(id)])
            let elsewhere = try await boot(demo, "a3", group: id, az: "az1")
            #expect(elsewhere.status == 400)
            #expect(elsewhere.json["badRequest"]?["message"]?.stringValue?.hasPrefix("No valid host was found.") == true)

            let shown = try await demo.send("GET", "/os-server-groups/\(id)", version: "2.64")
            #expect(Set(shown.json["server_group"]?["members"]?.arrayValue?.compactMap(\.stringValue) ?? []) == [firstID, secondID])
            // The pod holds a group of its own with both, which the boots named.
            let podGroups = try await demo.direct("RegionTwo", "/os-server-groups", version: "2.64")
            let podGroup = try #require(podGroups.json["server_groups"]?.arrayValue?.first)
            #expect(podGroups.json["server_groups"]?.arrayValue?.count == 1)
            #expect(podGroup["policy"] == "affinity")
            #expect(Set(podGroup["members"]?.arrayValue?.compactMap(\.stringValue) ?? []) == [firstID, secondID])
            // A deleted member leaves the group; deleting the group removes the pod's too.
            #expect(try await demo.send("DELETE", "/servers/\(secondID)").status == 204)
            try await demo.waitForGone(secondID)
            let after = try await demo.send("GET", "/os-server-groups/\(id)")
            #expect(after.json["server_group"]?["members"]?.arrayValue?.compactMap(\.stringValue) == [firstID])
            #expect(try await demo.send("DELETE", "/os-server-groups/\(id)").status == 204)
            #expect(try await demo.direct("RegionTwo", "/os-server-groups").json["server_groups"]?.arrayValue?.isEmpty == true)
        }
    }

    @Test("anti-affinity spans pods; members in one pod share that pod's group")
    func antiAffinityPerPod() async throws {
        try await GatewayHarness.with { harness in
            let demo = try ComputeClient(harness)
            let made = try await create(demo, ["name": "apart", "policy": "soft-anti-affinity"])
            let id = try #require(made.json["server_group"]?["id"]?.stringValue)
            var ids: [String] = []
            for (name, az) in [("b1", "az1"), ("b2", "az1"), ("b3", "az2")] {
                let reply = try await boot(demo, name, group: id, az: az)
                #expect(reply.status == 202)
                ids += reply.json["server"]?["id"]?.stringValue.map { [$0] } ?? []
            }
            let shown = try await demo.send("GET", "/os-server-groups/\(id)", version: "2.64")
            #expect(Set(shown.json["server_group"]?["members"]?.arrayValue?.compactMap(\.stringValue) ?? []) == Set(ids))
            let one = try await demo.direct("RegionOne", "/os-server-groups", version: "2.64")
            #expect(one.json["server_groups"]?.arrayValue?.count == 1)
            #expect(one.json["server_groups"]?.at(0)?["policy"] == "soft-anti-affinity")
            #expect(Set(one.json["server_groups"]?.at(0)?["members"]?.arrayValue?.compactMap(\.stringValue) ?? []) == Set(ids.prefix(2)))
            let two = try await demo.direct("RegionTwo", "/os-server-groups", version: "2.64")
            #expect(two.json["server_groups"]?.at(0)?["members"]?.arrayValue?.compactMap(\.stringValue) == [ids[2]])
            // An unknown group is Nova's 400.
            let unknown = try await boot(demo, "b4", group: "3f0e5d4c-8e7a-4f6b-9a51-0c2d1e3f4a5b", az: "az1")
            #expect(unknown.status == 400)
            #expect(unknown.json["badRequest"]?["message"]?.stringValue == "Instance group 3f0e5d4c-8e7a-4f6b-9a51-0c2d1e3f4a5b could not be found.")
        }
    }

    @Test("server groups and their members count against the project's quota at the top, with Nova's 403s")
    func quotas() async throws {
        try await GatewayHarness.with(overrides: ["quota.server_groups": "1", "quota.server_group_members": "1"]) { harness in
            let demo = try ComputeClient(harness)
            let made = try await create(demo, ["name": "only", "policy": "anti-affinity"])
            let id = try #require(made.json["server_group"]?["id"]?.stringValue)
            let second = try await create(demo, ["name": "more", "policy": "affinity"])
            #expect(second.status == 403)
            #expect(second.json["forbidden"]?["message"] == "Quota exceeded, too many server groups.")
            #expect(try await boot(demo, "m1", group: id, az: "az1").status == 202)
            let full = try await boot(demo, "m2", group: id, az: "az2")
            #expect(full.status == 403)
            #expect(full.json["forbidden"]?["message"] == "Quota exceeded, too many servers in group")
        }
    }
}

extension ComputeClient {
    /// Waits (briefly) until the top no longer knows a deleted server.
    func waitForGone(_ id: String) async throws {
        for _ in 0..<300 {
            if try await send("GET", "/servers/\(id)").status == 404 { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw HarnessError("server \(id) was never gone")
    }
}
