import Foundation
import GatewayTestHarness
import OpenStackModels
import RegionSimulator
import Testing
import TricircleCore

/// `nics` name top networks: made ready in the instance's region (as for a boot), the top port bound
/// to the instance, released when it is gone.
@Suite struct InstanceNetworkTests {
    @Test func nicsNameTopNetworksMadeReadyInTheInstancesRegion() async throws {
        try await GatewayHarness.with { h in
            let db = try DatabaseClient(h)
            let neutron = h.origin("network") + "/v2.0"
            let net = try await h.send("POST", neutron + "/networks", token: db.token.id, body: #"{"network": {"name": "dbnet"}}"#)
            let netID = try #require(net.json["network"]?["id"]?.stringValue)
            let subnet = try await h.send("POST", neutron + "/subnets", token: db.token.id,
                                          body: #"{"subnet": {"network_id": "\#(netID)", "cidr": "10.20.0.0/24", "ip_version": 4}}"#)
            #expect(subnet.status == 201)

            let created = try await db.create(["region_name": "RegionTwo", "nics": [["net-id": .string(netID)]]])
            #expect(created.status == 200)
            let id = try #require(created.json["instance"]?["id"]?.stringValue)
            // The top port made for it is the instance's, and the network now exists in RegionTwo.
            let ports = try await h.send("GET", neutron + "/ports?device_id=\(id)", token: db.token.id)
            #expect(ports.json["ports"]?.arrayValue?.count == 1)
            #expect(ports.json["ports"]?.arrayValue?.first?["network_id"]?.stringValue == netID)
            let admin = try h.token(user: "admin")
            let podNetworks = try await h.send("GET", (h.cloud.endpoint(region: "RegionTwo", service: .network) ?? "") + "/v2.0/networks",
                                               token: admin.id)
            #expect((podNetworks.json["networks"]?.arrayValue ?? []).contains { $0["name"]?.stringValue?.contains(netID) == true || $0["name"]?.stringValue == "dbnet" })

            // An unknown network is refused before anything is built.
            let unknown = try await db.create(["region_name": "RegionTwo", "nics": [["net-id": "nope"]], "name": "bad"])
            #expect(unknown.status == 400)

            #expect(try await db.send("DELETE", "/instances/\(id)").status == 202)
            for _ in 0..<300 where try await db.send("GET", "/instances/\(id)").status != 404 {
                try await Task.sleep(for: .milliseconds(10))
            }
            let after = try await h.send("GET", neutron + "/ports?device_id=\(id)", token: db.token.id)
            #expect(after.json["ports"]?.arrayValue?.isEmpty == true)
            #expect(try await db.direct("RegionTwo", "/instances").json["instances"]?.arrayValue?.compactMap { $0["name"]?.stringValue }.contains("bad") == false)
        }
    }
}
