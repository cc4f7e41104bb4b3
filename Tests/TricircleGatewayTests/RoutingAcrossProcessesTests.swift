import Foundation
import Testing
import TricircleCore
import TricircleGateway
import TricircleStore
import TricircleTestSupport

/// Two routing services on one store, as two gateway processes: one's cache must not hide the pod copies
/// the other made.
@Suite("Routing across processes")
struct RoutingAcrossProcessesTests {
    @Test("a network copy made by one process is among every copy, and found in its pod, by another that cached the older rows",
          arguments: TestDatabases.backends)
    func copiesMadeElsewhereAreSeen(backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let pods = PodStore(store: store)
            let one = try await pods.create(regionName: "RegionOne", azName: "az1")
            let two = try await pods.create(regionName: "RegionTwo", azName: "az2")
            let a = RoutingService(store: store), b = RoutingService(store: store)
            _ = try await a.ensure(topID: "net", type: .network, podID: one.podID, projectID: "p",
                                   findExisting: { nil }, create: { "net-in-RegionOne" })
            // The other process reads (and caches) the one copy there is.
            #expect(try await b.resolve(topID: "net", type: .network, projectID: nil).map(\.podID) == [one.podID])
            #expect(try await b.resolve(topID: "net", type: .network, podID: one.podID, projectID: nil) != nil)
            _ = try await a.ensure(topID: "net", type: .network, podID: two.podID, projectID: "p",
                                   findExisting: { nil }, create: { "net-in-RegionTwo" })
            // A sync run there must reach both copies; a boot there finds the copy in RegionTwo.
            #expect(Set(try await b.resolve(topID: "net", type: .network, projectID: nil).map(\.podID)) == [one.podID, two.podID])
            #expect(try await b.resolve(topID: "net", type: .network, podID: two.podID, projectID: "p")?.bottomID == "net-in-RegionTwo")
            #expect(try await b.resolve(topID: "net", type: .network, podID: two.podID, projectID: "other") == nil)
        }
    }

    @Test("a server's one row is served from the cache: a delete elsewhere is seen once the cache entry is dropped",
          arguments: TestDatabases.backends)
    func singlePodRowsAreCached(backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { store in
            let pod = try await PodStore(store: store).create(regionName: "RegionOne", azName: "az1")
            let a = RoutingService(store: store), b = RoutingService(store: store)
            try await a.record(topID: "srv", bottomID: "srv", podID: pod.podID, projectID: "p", type: .server)
            #expect(try await b.resolveOne(topID: "srv", type: .server, projectID: "p") != nil)
            try await a.forget(topID: "srv", type: .server)
            // Within [routing] cache_time the other process still routes to the pod (which answers 404) ...
            #expect(try await b.resolveOne(topID: "srv", type: .server, projectID: "p") != nil)
            // ... and a front-end that got the pod's 404 drops the entry.
            b.invalidate(topID: "srv", type: .server)
            #expect(try await b.resolveOne(topID: "srv", type: .server, projectID: "p") == nil)
        }
    }
}
