import Foundation
import OpenStackModels
import RegionSimulator
import Synchronization
import Testing

/// A clock tests move by hand.
final class NetDBTestClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_700_000_000))
    var now: Date { current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

@Suite("Simulated Trove")
struct DatabaseTests {
    @Test func instanceGoesFromBuildToActiveLazilyAndActionsTransition() async throws {
        let clock = NetDBTestClock()
        try await withNetDBService(SimulatedDatabase(), now: { clock.now }, transitionDelay: .seconds(5)) { c in
            let base = "/v1.0/\(c.demoProject)"
            let created = try await c.send(.post, base + "/instances", token: c.demo, json: #"""
                {"instance": {"name": "db1", "flavorRef": "2", "volume": {"size": 2},
                              "datastore": {"type": "mysql", "version": "5.7.29"}, "availability_zone": "az1",
                              "region_name": "RegionTwo"}}
                """#)
            #expect(created.status == .ok)
            let instance = try created.decode(DatabaseInstanceEnvelope<DatabaseInstance>.self).instance
            #expect(instance.status == "BUILD")
            #expect(instance.region == "RegionTwo")
            #expect(instance.datastore == DatastoreRef(type: "mysql", version: "5.7.29"))
            let busy = try await c.send(.post, base + "/instances/\(instance.id)/action", token: c.demo, json: #"{"restart": {}}"#)
            #expect(busy.status.code == 422)
            #expect(busy.json["unprocessableEntity"]?["code"] == 422)
            clock.advance(6)
            let active = try await c.send(.get, base + "/instances/\(instance.id)", token: c.demo)
                .decode(DatabaseInstanceEnvelope<DatabaseInstance>.self).instance
            #expect(active.status == "ACTIVE")
            #expect(active.ip?.isEmpty == false)
            let resize = try await c.send(.post, base + "/instances/\(instance.id)/action", token: c.demo, json: #"{"resize": {"flavorRef": "3"}}"#)
            #expect(resize.status == .accepted)
            let resizing = try await c.send(.get, base + "/instances/\(instance.id)", token: c.demo).decode(DatabaseInstanceEnvelope<DatabaseInstance>.self).instance
            #expect(resizing.status == "RESIZE")
            clock.advance(6)
            let resized = try await c.send(.get, base + "/instances/\(instance.id)", token: c.demo).decode(DatabaseInstanceEnvelope<DatabaseInstance>.self).instance
            #expect(resized.status == "ACTIVE" && resized.flavor.id == "3")
            #expect(try await c.send(.delete, base + "/instances/\(instance.id)", token: c.demo).status == .accepted)
            clock.advance(6)
            let gone = try await c.send(.get, base + "/instances/\(instance.id)", token: c.demo)
            #expect(gone.status == .notFound)
            #expect(gone.json["itemNotFound"]?["code"] == 404)
        }
    }

    @Test func badRequestsAndOtherProjectsAreRefusedInTroveFormat() async throws {
        try await withNetDBService(SimulatedDatabase()) { c in
            let base = "/v1.0/\(c.demoProject)"
            let noFlavor = try await c.send(.post, base + "/instances", token: c.demo, json: #"{"instance": {"name": "x", "flavorRef": "99", "volume": {"size": 1}}}"#)
            #expect(noFlavor.status == .badRequest)  // trove 25.1.0: FlavorNotFound on create is a 400
            let noVolume = try await c.send(.post, base + "/instances", token: c.demo, json: #"{"instance": {"name": "x", "flavorRef": "1"}}"#)
            #expect(noVolume.json["badRequest"]?["message"] == "Volume size was not specified.")
            let badStore = try await c.send(.post, base + "/instances", token: c.demo,
                                            json: #"{"instance": {"name": "x", "flavorRef": "1", "volume": {"size": 1}, "datastore": {"type": "oracle"}}}"#)
            #expect(badStore.status == .notFound)
            let otherProject = try await c.send(.get, "/v1.0/\(c.demoProject)/instances", token: c.altDemo)
            #expect(otherProject.status == .forbidden)
            let datastores = try await c.send(.get, base + "/datastores", token: c.demo).decode(DatastoreList.self)
            #expect(datastores.datastores.contains { $0.name == "mysql" && $0.versions.contains { $0.name == "5.7.29" } })
            let flavors = try await c.send(.get, base + "/flavors", token: c.demo).decode(DatabaseFlavorList.self)
            #expect(flavors.flavors.first?.strID == "1")
        }
    }

    @Test func clusterRecordsMembersAcrossRegionsAndGrowsAndShrinks() async throws {
        let clock = NetDBTestClock()
        try await withNetDBService(SimulatedDatabase(), now: { clock.now }, transitionDelay: .seconds(2)) { c in
            let base = "/v1.0/\(c.demoProject)"
            let created = try await c.send(.post, base + "/clusters", token: c.demo, json: #"""
                {"cluster": {"name": "c1", "datastore": {"type": "mongodb", "version": "4.0.3"},
                             "instances": [{"flavorRef": "2", "volume": {"size": 1}, "region_name": "RegionOne"},
                                           {"flavorRef": "2", "volume": {"size": 1}, "region_name": "RegionTwo"}]}}
                """#).decode(DatabaseClusterEnvelope<DatabaseCluster>.self).cluster
            #expect(created.task.name == "BUILDING_INITIAL")
            #expect(created.instances.compactMap(\.region) == ["RegionOne", "RegionTwo"])
            let busy = try await c.send(.post, base + "/clusters/\(created.id)", token: c.demo,
                                        json: #"{"grow": [{"flavorRef": "2", "volume": {"size": 1}}]}"#)
            #expect(busy.status.code == 422)
            clock.advance(3)
            let grow = try await c.send(.post, base + "/clusters/\(created.id)", token: c.demo,
                                        json: #"{"grow": [{"flavorRef": "2", "volume": {"size": 1}, "region_name": "RegionThree"}]}"#)
            #expect(grow.status == .accepted)
            clock.advance(3)
            let grown = try await c.send(.get, base + "/clusters/\(created.id)", token: c.demo).decode(DatabaseClusterEnvelope<DatabaseCluster>.self).cluster
            #expect(grown.task.name == "NONE")
            #expect(grown.instances.count == 3 && grown.instances.allSatisfy { $0.status == "ACTIVE" })
            let victim = try #require(grown.instances.first?.id)
            #expect(try await c.send(.post, base + "/clusters/\(created.id)", token: c.demo, json: #"{"shrink": [{"id": "\#(victim)"}]}"#).status == .accepted)
            clock.advance(3)
            let shrunk = try await c.send(.get, base + "/clusters/\(created.id)", token: c.demo).decode(DatabaseClusterEnvelope<DatabaseCluster>.self).cluster
            #expect(shrunk.instances.count == 2 && !shrunk.instances.map(\.id).contains(victim))
            // Cluster members are hidden from the plain instance list, as in Trove.
            let list = try await c.send(.get, base + "/instances", token: c.demo).decode(DatabaseInstanceList.self)
            #expect(list.instances.isEmpty)
            let unsupported = try await c.send(.post, base + "/clusters", token: c.demo,
                                               json: #"{"cluster": {"name": "m", "datastore": {"type": "mysql"}, "instances": [{"flavorRef": "2", "volume": {"size": 1}}]}}"#)
            #expect(unsupported.status == .badRequest)
            #expect(try await c.send(.delete, base + "/clusters/\(created.id)", token: c.demo).status == .accepted)
            clock.advance(3)
            #expect(try await c.send(.get, base + "/clusters/\(created.id)", token: c.demo).status == .notFound)
        }
    }
}
