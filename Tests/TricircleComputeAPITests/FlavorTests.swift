import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleComputeAPI
import TricircleCore
import TricircleGateway
import TricircleStore
import TricircleTestSupport

@Suite("Compute flavors at the top")
struct FlavorTests {
    @Test("the empty catalog is seeded from the first pod; lists page by limit and marker without loss or repeat")
    func seededAndPaged() async throws {
        try await GatewayHarness.with { harness in
            let demo = try CatalogClient(harness)
            let all = try await demo.send("GET", "/flavors/detail")
            #expect(all.status == 200)
            let flavors = all.json["flavors"]?.arrayValue ?? []
            let tiny = flavors.first { $0["id"] == "1" }
            #expect(tiny?["name"] == "m1.tiny")
            #expect(tiny?["ram"]?.intValue == 512)
            #expect(tiny?["swap"] == "")
            #expect(tiny?["links"]?.at(0)?["href"]?.stringValue?.hasPrefix(harness.origin("compute") + "/v2.1/flavors/") == true)
            #expect(flavors.count == 12)
            var seen: [String] = []
            var path = "/flavors?limit=5"
            var pages = 0
            while pages < 10 {
                let page = try await demo.send("GET", path)
                #expect(page.status == 200)
                seen += (page.json["flavors"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
                pages += 1
                guard let next = page.json["flavors_links"]?.at(0)?["href"]?.stringValue,
                      let query = URLComponents(string: next)?.percentEncodedQuery else { break }
                path = "/flavors?" + query
            }
            #expect(seen == flavors.compactMap { $0["id"]?.stringValue }.sorted())
            #expect(Set(seen).count == seen.count)
            let sorted = try await demo.send("GET", "/flavors/detail?sort_key=memory_mb&sort_dir=desc&minRam=4096")
            #expect(sorted.json["flavors"]?.arrayValue?.compactMap { $0["ram"]?.intValue } == [16384, 8192, 4096, 4096])
            let badMarker = try await demo.send("GET", "/flavors?marker=nope")
            #expect(badMarker.status == 400)
            #expect(badMarker.json["badRequest"]?["code"]?.intValue == 400)
            #expect(try await demo.send("GET", "/flavors?unknown=1").status == 200)
            #expect(try await demo.send("GET", "/flavors?unknown=1", version: "2.75").status == 400)
            let badSort = try await demo.send("GET", "/flavors?sort_key=evil;drop")
            #expect(badSort.status == 400)
        }
    }

    @Test("admins create and delete flavors with Nova's validation; duplicates are 409; users get 403")
    func createAndDelete() async throws {
        try await GatewayHarness.with { harness in
            let admin = try CatalogClient(harness, user: "admin")
            let demo = try CatalogClient(harness)
            let body: JSONValue = ["flavor": ["name": "g1.custom", "ram": 1024, "vcpus": 2, "disk": 10, "id": "g1", "description": "for tests"]]
            let forbidden = try await demo.send("POST", "/flavors", body)
            #expect(forbidden.status == 403)
            #expect(forbidden.json["forbidden"] != nil)
            let tooOld = try await admin.send("POST", "/flavors", body)
            #expect(tooOld.status == 400)
            let created = try await admin.send("POST", "/flavors", body, version: "2.61")
            #expect(created.status == 200)
            #expect(created.json["flavor"]?["description"] == "for tests")
            #expect(created.json["flavor"]?["extra_specs"] == .object([:]))
            #expect(created.header("OpenStack-API-Version") == "compute 2.61")
            let sameID = try await admin.send("POST", "/flavors", ["flavor": ["name": "other", "ram": 1, "vcpus": 1, "disk": 0, "id": "g1"]])
            #expect(sameID.status == 409)
            #expect(sameID.json["conflictingRequest"]?["message"] == "Flavor with ID g1 already exists.")
            let sameName = try await admin.send("POST", "/flavors", ["flavor": ["name": "g1.custom", "ram": 1, "vcpus": 1, "disk": 0]])
            #expect(sameName.status == 409)
            for bad: JSONValue in [
                ["flavor": ["name": "x", "ram": 0, "vcpus": 1, "disk": 0]],
                ["flavor": ["name": " x", "ram": 1, "vcpus": 1, "disk": 0]],
                ["flavor": ["name": "x", "ram": 1, "vcpus": "many", "disk": 0]],
                ["flavor": ["name": "x", "ram": 1, "vcpus": 1]],
                ["flavor": ["name": "x", "ram": 1, "vcpus": 1, "disk": 0, "surprise": true]],
                ["flavor": ["name": "x", "ram": 1, "vcpus": 1, "disk": 0, "id": "a/b"]],
                ["nothing": 1],
            ] {
                let reply = try await admin.send("POST", "/flavors", bad)
                #expect(reply.status == 400, "\(bad)")
                #expect(reply.json["badRequest"] != nil)
            }
            let auto = try await admin.send("POST", "/flavors", ["flavor": ["name": "auto-id", "ram": "256", "vcpus": "1", "disk": "0", "id": "auto"]])
            #expect(auto.status == 200)
            #expect(Identifier.isUUIDLike(auto.json["flavor"]?["id"]?.stringValue ?? ""))
            let described = try await admin.send("PUT", "/flavors/g1", ["flavor": ["description": "changed"]], version: "2.55")
            #expect(described.json["flavor"]?["description"] == "changed")
            #expect(try await demo.send("GET", "/flavors/g1").status == 200)
            #expect(try await demo.send("DELETE", "/flavors/g1").status == 403)
            #expect(try await admin.send("DELETE", "/flavors/g1").status == 202)
            let gone = try await demo.send("GET", "/flavors/g1")
            #expect(gone.status == 404)
            #expect(gone.json["itemNotFound"]?["message"] == "Flavor g1 could not be found.")
        }
    }

    @Test("private flavors are seen only by projects given access; extra specs are read by users and changed by admins")
    func accessAndExtraSpecs() async throws {
        try await GatewayHarness.with { harness in
            let admin = try CatalogClient(harness, user: "admin")
            let demo = try CatalogClient(harness)
            _ = try await admin.send("POST", "/flavors", ["flavor": ["name": "secret", "ram": 64, "vcpus": 1, "disk": 0, "id": "p1", "os-flavor-access:is_public": false]])
            #expect(try await demo.send("GET", "/flavors/p1").status == 404)
            #expect(try await admin.send("GET", "/flavors?is_public=false").json["flavors"]?.arrayValue?.count == 1)
            let added = try await admin.send("POST", "/flavors/p1/action", ["addTenantAccess": ["tenant": .string(demo.projectID)]])
            #expect(added.json["flavor_access"]?.at(0)?["tenant_id"]?.stringValue == demo.projectID)
            #expect(try await admin.send("POST", "/flavors/p1/action", ["addTenantAccess": ["tenant": .string(demo.projectID)]]).status == 409)
            #expect(try await demo.send("GET", "/flavors/p1").status == 200)
            #expect(try await demo.send("GET", "/flavors").json["flavors"]?.arrayValue?.contains { $0["id"] == "p1" } == true)
            #expect(try await admin.send("POST", "/flavors/1/action", ["addTenantAccess": ["tenant": "x"]]).status == 409)
            #expect(try await admin.send("GET", "/flavors/1/os-flavor-access").status == 404)
            #expect(try await admin.send("POST", "/flavors/p1/action", ["removeTenantAccess": ["tenant": .string(demo.projectID)]]).status == 200)
            #expect(try await demo.send("GET", "/flavors/p1").status == 404)

            let specs = try await admin.send("POST", "/flavors/1/os-extra_specs", ["extra_specs": ["hw:cpu_policy": "dedicated", "quota:vif": 5]])
            #expect(specs.json["extra_specs"]?["quota:vif"] == "5")
            #expect(try await demo.send("POST", "/flavors/1/os-extra_specs", ["extra_specs": ["a": "b"]]).status == 403)
            #expect(try await demo.send("GET", "/flavors/1/os-extra_specs/hw:cpu_policy").json["hw:cpu_policy"] == "dedicated")
            #expect(try await admin.send("PUT", "/flavors/1/os-extra_specs/hw:cpu_policy", ["other": "x"]).status == 400)
            #expect(try await admin.send("PUT", "/flavors/1/os-extra_specs/hw:cpu_policy", ["hw:cpu_policy": "shared"]).status == 200)
            #expect(try await demo.send("GET", "/flavors/1", version: "2.61").json["flavor"]?["extra_specs"]?["hw:cpu_policy"] == "shared")
            #expect(try await demo.send("GET", "/flavors/1").json["flavor"]?["extra_specs"] == nil)
            #expect(try await admin.send("POST", "/flavors/1/os-extra_specs", ["extra_specs": ["bad key!": "x"]]).status == 400)
            #expect(try await admin.send("DELETE", "/flavors/1/os-extra_specs/quota:vif").status == 200)
            #expect(try await admin.send("DELETE", "/flavors/1/os-extra_specs/quota:vif").status == 404)
        }
    }

    @Test("boots map flavors by id, then name, then the closest larger one, else create it in the pod by a job; admins pin",
          arguments: TestDatabases.backends)
    func mapping(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let admin = try CatalogClient(harness, user: "admin")
            let demo = try CatalogClient(harness)
            let mapper = try #require(harness.catalog?.flavorMapping)
            let pod = try await harness.pod("RegionTwo")
            #expect(try await mapper.bottomFlavor("1", in: pod, context: demo.podContext) == "1")
            // Same name, different id.
            _ = try await admin.send("DELETE", "/flavors/2")
            _ = try await admin.send("POST", "/flavors", ["flavor": ["name": "m1.small", "ram": 2048, "vcpus": 1, "disk": 20, "id": "small-top"]])
            #expect(try await mapper.bottomFlavor("small-top", in: pod, context: demo.podContext) == "2")
            // No id or name match: the smallest pod flavor at least as large (m1.medium: 4096 MiB, 2 vCPUs, 40 GB).
            _ = try await admin.send("POST", "/flavors", ["flavor": ["name": "odd", "ram": 3000, "vcpus": 2, "disk": 30, "id": "odd"]])
            #expect(try await mapper.bottomFlavor("odd", in: pod, context: demo.podContext) == "3")
            // Nothing large enough: created in the pod by a job, once.
            _ = try await admin.send("POST", "/flavors", ["flavor": ["name": "huge", "ram": 1_000_000, "vcpus": 128, "disk": 5000, "id": "huge"]])
            async let first = mapper.bottomFlavor("huge", in: pod, context: demo.podContext)
            async let second = mapper.bottomFlavor("huge", in: pod, context: demo.podContext)
            let (a, b) = try await (first, second)
            #expect(a == "huge" && b == "huge")
            let inPod = try await admin.pod("RegionTwo", "GET", "/flavors/huge")
            #expect(inPod.status == 200)
            let podFlavors = try await admin.pod("RegionTwo", "GET", "/flavors/detail?is_public=None")
            #expect((try podFlavors.decode(JSONValue.self))["flavors"]?.arrayValue?.filter { $0["name"] == "huge" }.count == 1)
            // Unknown flavors are the client's mistake.
            await #expect(throws: APIError.self) { try await mapper.bottomFlavor("nope", in: pod, context: demo.podContext) }

            // The admin API shows the recorded mappings and pins one, which boots then use.
            let adminToken = admin.token
            let listed = try await harness.send("GET", harness.origin("admin") + "/v1.0/flavor-mappings?pod_id=\(pod.podID)", token: adminToken)
            #expect(listed.status == 200)
            let rows = listed.json["flavor_mappings"]?.arrayValue ?? []
            #expect(Set(rows.compactMap { $0["top_flavor_id"]?.stringValue }) == ["1", "small-top", "odd", "huge"])
            let pin = try await harness.send(
                "POST", harness.origin("admin") + "/v1.0/flavor-mappings", token: adminToken,
                body: #"{"flavor_mapping": {"top_flavor_id": "odd", "pod_id": "\#(pod.podID)", "bottom_flavor_id": "4"}}"#)
            #expect(pin.status == 200)
            #expect(pin.json["flavor_mapping"]?["pinned"] == true)
            #expect(try await mapper.bottomFlavor("odd", in: pod, context: demo.podContext) == "4")
            let badPin = try await harness.send(
                "POST", harness.origin("admin") + "/v1.0/flavor-mappings", token: adminToken,
                body: #"{"flavor_mapping": {"top_flavor_id": "missing", "pod_id": "\#(pod.podID)", "bottom_flavor_id": "4"}}"#)
            #expect(badPin.status == 400)
            let demoAdmin = try await harness.send("GET", harness.origin("admin") + "/v1.0/flavor-mappings", token: demo.token)
            #expect(demoAdmin.status == 403)
        }
    }
}
