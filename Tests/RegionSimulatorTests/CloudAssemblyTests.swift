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
}
