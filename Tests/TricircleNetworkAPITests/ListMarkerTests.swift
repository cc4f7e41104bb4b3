import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleStore
import TricircleTestSupport

/// A list `marker` naming something the caller cannot see answers exactly as an unknown marker, so lists
/// do not tell that another project's resource exists (issue 12, item 2).
@Suite("Networking list markers do not leak existence")
struct ListMarkerTests {
    @Test("another project's network, subnet, port, router or security group as marker: the unknown marker's 404; shared ones page on", arguments: TestDatabases.backends)
    func markerOfAnotherProject(_ backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let demo = try NeutronClient(harness)
            let (network, subnet) = try await demo.networkWithSubnet("10.7.0.0/24", name: "demo-net")
            let port = try await demo.create("ports", "port", ["network_id": .string(network)])["id"]?.stringValue ?? ""
            let router = try await demo.create("routers", "router", ["name": "demo-router"])["id"]?.stringValue ?? ""
            let group = try await demo.create("security-groups", "security_group", ["name": "demo-sg"])["id"]?.stringValue ?? ""
            let alt = try NeutronClient(harness, user: "alt_demo")
            let unknown = UUID().uuidString.lowercased()
            for (collection, id) in [("networks", network), ("subnets", subnet), ("ports", port), ("routers", router), ("security-groups", group)] {
                let hidden = try await alt.send("GET", "/\(collection)?limit=1&marker=\(id)")
                let missing = try await alt.send("GET", "/\(collection)?limit=1&marker=\(unknown)")
                #expect(missing.status == 404, "\(collection): \(missing.text)")
                #expect(hidden.status == missing.status, "\(collection): \(hidden.text)")
                // The same body, but for the id it names.
                let renamed = try JSONValue(data: Data(hidden.text.replacingOccurrences(of: id, with: unknown).utf8))
                #expect(renamed == missing.json, "\(collection): \(hidden.text)")
                // The owner pages on from it as before.
                #expect(try await demo.send("GET", "/\(collection)?limit=1&marker=\(id)").status == 200, "\(collection)")
            }
            // Another project's shared network is visible, so it is a marker to page from.
            let admin = try NeutronClient(harness, user: "admin")
            let shared = try await admin.create("networks", "network", ["name": "public-ish", "shared": true])["id"]?.stringValue ?? ""
            let fromShared = try await alt.send("GET", "/networks?limit=1&marker=\(shared)")
            #expect(fromShared.status == 200, "\(fromShared.text)")
        }
    }
}
