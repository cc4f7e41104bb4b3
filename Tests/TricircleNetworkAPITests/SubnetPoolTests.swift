import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleStore
import TricircleTestSupport

/// `/v2.0/subnetpools` and `/v2.0/address-scopes` at the top, with Neutron's validation and errors.
@Suite("Subnet pools and address scopes")
struct SubnetPoolTests {
    @Test("a subnet pool is created with Neutron's defaults, compacted prefixes, and subnets carved from it")
    func poolLifecycle() async throws {
        try await GatewayHarness.with { harness in
            let neutron = try NeutronClient(harness)
            let created = try await neutron.send("POST", "/subnetpools", ["subnetpool": [
                "name": "pool", "prefixes": ["10.80.0.0/17", "10.80.128.0/17"], "default_prefixlen": 24,
            ]])
            #expect(created.status == 201)
            let pool = created.json["subnetpool"]
            let poolID = pool?["id"]?.stringValue ?? ""
            #expect(pool?["prefixes"] == ["10.80.0.0/16"])
            #expect(pool?["ip_version"] == 4)
            #expect(pool?["min_prefixlen"] == 8)
            #expect(pool?["max_prefixlen"] == 32)
            #expect(pool?["default_prefixlen"] == 24)
            #expect(pool?["shared"] == false)
            #expect(pool?["is_default"] == false)
            #expect(pool?["address_scope_id"] == .null)
            #expect(pool?["default_quota"] == .null)
            #expect(try await neutron.send("GET", "/subnetpools/\(poolID)").json["subnetpool"]?["name"] == "pool")
            #expect(try await neutron.send("GET", "/subnetpools?name=pool").json["subnetpools"]?.arrayValue?.count == 1)

            let network = try await neutron.create("networks", "network", ["name": "pooled"])["id"]?.stringValue ?? ""
            let first = try await neutron.create("subnets", "subnet", ["network_id": .string(network), "ip_version": 4, "subnetpool_id": .string(poolID)])
            #expect(first["cidr"] == "10.80.0.0/24")
            #expect(first["subnetpool_id"]?.stringValue == poolID)
            let second = try await neutron.create("subnets", "subnet", [
                "network_id": .string(network), "ip_version": 4, "subnetpool_id": .string(poolID), "prefixlen": 26,
            ])
            #expect(second["cidr"] == "10.80.1.0/26")
            let tooBig = try await neutron.send("POST", "/subnets", ["subnet": [
                "network_id": .string(network), "ip_version": 4, "subnetpool_id": .string(poolID), "prefixlen": 4,
            ]])
            #expect(tooBig.status == 400)

            // In use: not deleted; prefixes only grow.
            #expect(try await neutron.send("DELETE", "/subnetpools/\(poolID)").status == 400)
            let shrunk = try await neutron.send("PUT", "/subnetpools/\(poolID)", ["subnetpool": ["prefixes": ["10.80.0.0/17"]]])
            #expect(shrunk.status == 400)
            #expect(shrunk.json["NeutronError"]?["type"] == "IllegalSubnetPoolPrefixUpdate")
            let grown = try await neutron.send("PUT", "/subnetpools/\(poolID)/add_prefixes", ["prefixes": ["10.81.0.0/16"]])
            #expect(grown.json["prefixes"] == ["10.80.0.0/15"])

            #expect(try await neutron.send("DELETE", "/subnets/\(first["id"]?.stringValue ?? "")").status == 204)
            #expect(try await neutron.send("DELETE", "/subnets/\(second["id"]?.stringValue ?? "")").status == 204)
            #expect(try await neutron.send("DELETE", "/subnetpools/\(poolID)").status == 204)
            #expect(try await neutron.send("GET", "/subnetpools/\(poolID)").status == 404)
        }
    }

    @Test("subnets carved from one pool at once, on different networks, get distinct blocks", arguments: TestDatabases.backends)
    func concurrentCarves(_ backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let neutron = try NeutronClient(harness)
            let pool = try await neutron.create("subnetpools", "subnetpool", ["name": "busy", "prefixes": ["10.70.0.0/16"], "default_prefixlen": 24])
            let poolID = pool["id"]?.stringValue ?? ""
            var networks: [String] = []
            for index in 0..<8 {
                networks.append(try await neutron.create("networks", "network", ["name": .string("n\(index)")])["id"]?.stringValue ?? "")
            }
            let cidrs = try await withThrowingTaskGroup(of: String.self) { group in
                for network in networks {
                    group.addTask {
                        try await neutron.create("subnets", "subnet", [
                            "network_id": .string(network), "ip_version": 4, "subnetpool_id": .string(poolID),
                        ])["cidr"]?.stringValue ?? ""
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(Set(cidrs).count == 8, "\(cidrs.sorted())")
            #expect(cidrs.allSatisfy { $0.hasPrefix("10.70.") && $0.hasSuffix("/24") })
            let stored = try await neutron.send("GET", "/subnets").json["subnets"]?.arrayValue?.compactMap { $0["cidr"]?.stringValue } ?? []
            #expect(Set(stored) == Set(cidrs) && stored.count == 8)
        }
    }

    @Test("pool validation: empty, mixed versions, bounds; shared and default are admin-only, one default per version")
    func poolValidation() async throws {
        try await GatewayHarness.with { harness in
            let neutron = try NeutronClient(harness)
            let admin = try NeutronClient(harness, user: "admin")
            func create(_ client: NeutronClient, _ body: JSONValue) async throws -> HarnessReply {
                try await client.send("POST", "/subnetpools", ["subnetpool": body])
            }
            #expect(try await create(neutron, ["name": "e", "prefixes": []]).json["NeutronError"]?["type"] == "EmptySubnetPoolPrefixList")
            #expect(try await create(neutron, ["name": "m", "prefixes": ["10.0.0.0/8", "fd00::/64"]]).json["NeutronError"]?["type"] == "PrefixVersionMismatch")
            let bounds = try await create(neutron, ["name": "b", "prefixes": ["10.0.0.0/8"], "min_prefixlen": 24, "max_prefixlen": 16])
            #expect(bounds.status == 400)
            #expect(bounds.json["NeutronError"]?["message"] == "Illegal prefix bounds: min_prefixlen=24, max_prefixlen=16.")
            #expect(try await create(neutron, ["name": "s", "prefixes": ["10.0.0.0/8"], "shared": true]).status == 403)
            #expect(try await create(neutron, ["name": "d", "prefixes": ["10.0.0.0/8"], "is_default": true]).status == 403)
            let shared = try await create(admin, ["name": "d", "prefixes": ["10.0.0.0/8"], "is_default": true, "shared": true])
            #expect(shared.status == 201)
            #expect(shared.json["subnetpool"]?["is_default"] == true)
            let second = try await create(admin, ["name": "d2", "prefixes": ["172.16.0.0/12"], "is_default": true])
            #expect(second.status == 400)
            // The shared pool is visible to the demo project, an unshared one of the admin is not.
            let mine = try await create(admin, ["name": "private", "prefixes": ["192.168.0.0/16"]])
            let listed = try await neutron.send("GET", "/subnetpools").json["subnetpools"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
            #expect(listed == ["d"])
            #expect(try await neutron.send("GET", "/subnetpools/\(mine.json["subnetpool"]?["id"]?.stringValue ?? "")").status == 404)

            // use_default_subnetpool carves from the default pool of the version.
            let defaultID = shared.json["subnetpool"]?["id"]?.stringValue ?? ""
            let network = try await neutron.create("networks", "network", ["name": "defaulted"])["id"]?.stringValue ?? ""
            let subnet = try await neutron.create("subnets", "subnet", [
                "network_id": .string(network), "ip_version": 4, "use_default_subnetpool": true, "prefixlen": 24,
            ])
            #expect(subnet["subnetpool_id"]?.stringValue == defaultID)
            #expect(subnet["cidr"] == "10.0.0.0/24")
            let both = try await neutron.send("POST", "/subnets", ["subnet": [
                "network_id": .string(network), "ip_version": 4, "use_default_subnetpool": true, "subnetpool_id": .string(defaultID),
            ]])
            #expect(both.status == 400)
            let noV6 = try await neutron.send("POST", "/subnets", ["subnet": [
                "network_id": .string(network), "ip_version": 6, "use_default_subnetpool": true,
            ]])
            #expect(noV6.json["NeutronError"]?["message"] == "Bad subnets request: No default subnetpool found for IPv6.")
        }
    }

    @Test("address scopes: CRUD, pools in a scope must not overlap, a scope in use stays, extensions are listed")
    func addressScopes() async throws {
        try await GatewayHarness.with { harness in
            let neutron = try NeutronClient(harness)
            let created = try await neutron.send("POST", "/address-scopes", ["address_scope": ["name": "scope", "ip_version": 4]])
            #expect(created.status == 201)
            let scope = created.json["address_scope"]
            let scopeID = scope?["id"]?.stringValue ?? ""
            #expect(scope?["shared"] == false)
            #expect(scope?["ip_version"] == 4)
            #expect(scope?["project_id"]?.stringValue == neutron.token.projectID)
            #expect(try await neutron.send("POST", "/address-scopes", ["address_scope": ["name": "x"]]).status == 400)
            #expect(try await neutron.send("POST", "/address-scopes", ["address_scope": ["name": "x", "ip_version": 4, "shared": true]]).status == 403)
            let renamed = try await neutron.send("PUT", "/address-scopes/\(scopeID)", ["address_scope": ["name": "renamed"]])
            #expect(renamed.json["address_scope"]?["name"] == "renamed")

            let pool = try await neutron.send("POST", "/subnetpools", ["subnetpool": [
                "name": "a", "prefixes": ["10.90.0.0/16"], "address_scope_id": .string(scopeID)]])
            #expect(pool.status == 201)
            #expect(pool.json["subnetpool"]?["address_scope_id"]?.stringValue == scopeID)
            let overlapping = try await neutron.send("POST", "/subnetpools", ["subnetpool": [
                "name": "b", "prefixes": ["10.90.128.0/17"], "address_scope_id": .string(scopeID)]])
            #expect(overlapping.status == 409)
            #expect(overlapping.json["NeutronError"]?["type"] == "AddressScopePrefixConflict")
            let v6 = try await neutron.send("POST", "/subnetpools", ["subnetpool": [
                "name": "c", "prefixes": ["fd00::/48"], "address_scope_id": .string(scopeID)]])
            #expect(v6.status == 400)
            #expect(try await neutron.send("DELETE", "/address-scopes/\(scopeID)").status == 409)
            #expect(try await neutron.send("DELETE", "/subnetpools/\(pool.json["subnetpool"]?["id"]?.stringValue ?? "")").status == 204)
            #expect(try await neutron.send("DELETE", "/address-scopes/\(scopeID)").status == 204)
            #expect(try await neutron.send("GET", "/address-scopes/\(scopeID)").status == 404)

            let aliases = try await neutron.send("GET", "/extensions").json["extensions"]?.arrayValue?.compactMap { $0["alias"]?.stringValue } ?? []
            for alias in ["subnet_allocation", "address-scope", "default-subnetpools", "subnetpool-prefix-ops"] {
                #expect(aliases.contains(alias), "\(alias) listed")
            }
        }
    }
}
