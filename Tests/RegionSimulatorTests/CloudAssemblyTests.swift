import Foundation
import Hummingbird
import OpenStackModels
import RegionSimulator
import Testing

@Suite("Simulated cloud assembly")
struct CloudAssemblyTests {
    @Test("every simulated service's routes validate (no clashing captures)")
    func routersValidate() throws {
        let store = RegionStore(regionName: "RegionOne")
        let context = SimulatedRegionContext(regionName: "RegionOne", availabilityZone: "az1", identity: SimulatedIdentity())
        let services: [any SimulatedService] = [
            SimulatedCompute(store: store), SimulatedBlockStorage(store: store), SimulatedImage(store: store),
            SimulatedNetworking(), SimulatedDatabase(),
        ]
        for service in services {
            #expect(throws: Never.self, "\(service.serviceType)") { try service.makeRouter(context: context).validate() }
        }
        #expect(throws: Never.self, "identity") { try SimulatedIdentity().makeRouter().validate() }
    }

    @Test("the default cloud registers every region's services in the Keystone catalog")
    func catalogListsEveryRegionAndService() async throws {
        try await withCloud(SimulatedCloudConfiguration(transitionDelay: .milliseconds(10))) { cloud, client, _ in
            let auth = try JSONValue(encoding: AuthTokenRequest.password(userName: "demo", password: "demopass", projectName: "demo"))
            let reply = try await client.send(.POST, cloud.identityURL + "/auth/tokens", json: auth)
            #expect(reply.status == 201)
            var found: Set<String> = []
            for entry in reply.json["token"]?["catalog"]?.arrayValue ?? [] {
                for endpoint in entry["endpoints"]?.arrayValue ?? [] where endpoint["interface"] == "public" {
                    found.insert("\(endpoint["region"]?.stringValue ?? "")/\(entry["type"]?.stringValue ?? "")")
                }
            }
            for region in ["RegionOne", "RegionTwo"] {
                for service in ["compute", "volumev3", "image", "network", "database"] {
                    #expect(found.contains("\(region)/\(service)"), "\(region)/\(service)")
                }
            }
            // Each region answers with its own availability zone.
            let zones = try await client.send(.GET, try cloud.url(.compute, region: "RegionTwo") + "/os-availability-zone", token: reply.header("X-Subject-Token"))
            #expect(zones.json["availabilityZoneInfo"]?.arrayValue?.first?["zoneName"] == "az2")
        }
    }
}
