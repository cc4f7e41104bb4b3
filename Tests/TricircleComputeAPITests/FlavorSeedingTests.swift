import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleComputeAPI
import TricircleCore
import TricircleGateway
import TricircleStore
import TricircleTestSupport

@Suite("The top flavor catalog follows the regions' flavors")
struct FlavorSeedingTests {
    /// Deletes every flavor of a region (straight to its Nova).
    static func emptyRegion(_ admin: CatalogClient, _ region: String) async throws {
        let listed = try await admin.pod(region, "GET", "/flavors?is_public=None")
        let ids = (try listed.decode(JSONValue.self)["flavors"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
        for id in ids { _ = try await admin.pod(region, "DELETE", "/flavors/\(id)") }
    }

    static func createInRegion(_ admin: CatalogClient, _ region: String, id: String, name: String, ram: Int) async throws {
        let body: JSONValue = ["flavor": ["id": .string(id), "name": .string(name), "ram": .int(ram), "vcpus": 1, "disk": 1]]
        let reply = try await admin.pod(region, "POST", "/flavors", body: body)
        #expect(reply.status == 200)
    }

    static func names(_ reply: HarnessReply) -> Set<String> {
        Set((reply.json["flavors"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
    }

    @Test("a gateway started before any flavor exists lists the regions' flavors once they are made",
          arguments: TestDatabases.backends)
    func emptyRegionsAtFirst(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let admin = try CatalogClient(harness, user: "admin")
            let demo = try CatalogClient(harness)
            for region in ["RegionOne", "RegionTwo"] { try await Self.emptyRegion(admin, region) }
            let before = try await demo.send("GET", "/flavors")
            #expect(before.status == 200)
            #expect(before.json["flavors"] == [])

            try await Self.createInRegion(admin, "RegionOne", id: "1", name: "m1.tiny", ram: 512)
            try await Self.createInRegion(admin, "RegionTwo", id: "1", name: "m1.tiny", ram: 512)
            try await Self.createInRegion(admin, "RegionTwo", id: "2", name: "m1.small", ram: 2048)
            let after = try await demo.send("GET", "/flavors")
            #expect(Self.names(after) == ["m1.tiny", "m1.small"])
        }
    }

    @Test("a flavor made in a region after the catalog was filled shows at the top; one deleted at the top stays deleted",
          arguments: TestDatabases.backends)
    func newInRegionLater(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let admin = try CatalogClient(harness, user: "admin")
            let demo = try CatalogClient(harness)
            let first = try await demo.send("GET", "/flavors")
            #expect(Self.names(first).contains("m1.tiny"))
            #expect(!Self.names(first).contains("m1.huge"))

            try await Self.createInRegion(admin, "RegionTwo", id: "h1", name: "m1.huge", ram: 65536)
            let shown = try await demo.send("GET", "/flavors/h1")
            #expect(shown.status == 200)
            #expect(shown.json["flavor"]?["ram"]?.intValue == 65536)
            #expect(Self.names(try await demo.send("GET", "/flavors")).contains("m1.huge"))

            #expect(try await admin.send("DELETE", "/flavors/1").status == 202)
            #expect(try await demo.send("GET", "/flavors/1").status == 404)
            #expect(!Self.names(try await demo.send("GET", "/flavors")).contains("m1.tiny"))
        }
    }
}
