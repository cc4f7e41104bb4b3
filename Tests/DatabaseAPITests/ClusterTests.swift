import Foundation
import GatewayTestHarness
import OpenStackModels
import RegionSimulator
import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport
@testable import TricircleDatabaseAPI

/// A top cluster over one pod cluster per region: create across regions, grow into a region, shrink,
/// delete, and a region that refuses its part leaving nothing behind.
@Suite struct ClusterTests {
    static let mariadb: JSONValue = ["type": "mariadb", "version": "10.4"]

    func prepare(_ h: GatewayHarness) async throws -> DatabaseClient {
        let images = DatastoreImages(h: h)
        let imageID = try await images.imageID(region: "RegionOne", datastore: "mariadb", version: "10.4")
        try await images.register(imageID, data: "the mariadb guest image", region: "RegionOne", name: "trove-mariadb")
        return try DatabaseClient(h)
    }

    func create(_ db: DatabaseClient, _ members: [JSONValue]) async throws -> HarnessReply {
        let body: JSONValue = ["cluster": ["name": "products", "datastore": Self.mariadb, "instances": .array(members)]]
        return try await db.send("POST", "/clusters", body: String(decoding: try JSONEncoder().encode(body), as: UTF8.self))
    }

    static func member(_ placement: [String: JSONValue], size: Int = 1) -> JSONValue {
        var spec: [String: JSONValue] = ["flavorRef": "2", "volume": ["size": .number(Double(size))]]
        spec.merge(placement) { _, new in new }
        return .object(spec)
    }

    func waitIdle(_ db: DatabaseClient, _ id: String) async throws -> JSONValue {
        for _ in 0..<300 {
            let shown = try await db.send("GET", "/clusters/\(id)")
            if shown.json["cluster"]?["task"]?["name"]?.stringValue == "NONE" { return shown.json }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw HarnessError("cluster \(id) never became idle")
    }

    @Test(arguments: TestDatabases.backends) func membersInTwoRegionsAreBuiltThereAndShownAsOneCluster(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { h in
            let db = try await prepare(h)
            let reply = try await create(db, [
                Self.member(["region_name": "RegionOne"]), Self.member(["region": "RegionOne"]), Self.member(["availability_zone": "az2"]),
            ])
            #expect(reply.status == 200)
            let id = try #require(reply.json["cluster"]?["id"]?.stringValue)
            #expect(reply.json["cluster"]?["task"]?["name"]?.stringValue == "BUILDING_INITIAL")
            let regions = reply.json["cluster"]?["instances"]?.arrayValue?.compactMap { $0["region"]?.stringValue }.sorted()
            #expect(regions == ["RegionOne", "RegionOne", "RegionTwo"])
            #expect(try await db.direct("RegionOne", "/clusters").json["clusters"]?.arrayValue?.first?["instances"]?.arrayValue?.count == 2)
            #expect(try await db.direct("RegionTwo", "/clusters").json["clusters"]?.arrayValue?.first?["instances"]?.arrayValue?.count == 1)
            let idle = try await waitIdle(db, id)
            #expect(idle["cluster"]?["id"]?.stringValue == id)
            #expect(try await db.send("GET", "/clusters").json["clusters"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [id])
            // A member is routed by its own id too.
            let member = try #require(idle["cluster"]?["instances"]?.arrayValue?.first { $0["region"]?.stringValue == "RegionTwo" }?["id"]?.stringValue)
            #expect(try await db.send("GET", "/instances/\(member)").json["instance"]?["region"]?.stringValue == "RegionTwo")
        }
    }

    @Test(arguments: TestDatabases.backends) func growIntoANewRegionShrinkAndDeleteEveryPart(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { h in
            let db = try await prepare(h)
            let reply = try await create(db, [Self.member(["region_name": "RegionOne"]), Self.member(["region_name": "RegionOne"])])
            let id = try #require(reply.json["cluster"]?["id"]?.stringValue)
            _ = try await waitIdle(db, id)
            #expect(try await db.direct("RegionTwo", "/clusters").json["clusters"]?.arrayValue?.isEmpty == true)

            let grow = try await db.send("POST", "/clusters/\(id)", body: #"{"grow": [{"flavorRef": "2", "volume": {"size": 1}, "region_name": "RegionTwo"}]}"#)
            #expect(grow.status == 202)
            let grown = try await waitIdle(db, id)
            let members = grown["cluster"]?["instances"]?.arrayValue ?? []
            #expect(members.count == 3)
            #expect(try await db.direct("RegionTwo", "/clusters").json["clusters"]?.arrayValue?.count == 1)

            let inTwo = try #require(members.first { $0["region"]?.stringValue == "RegionTwo" }?["id"]?.stringValue)
            #expect(try await db.send("POST", "/clusters/\(id)", body: #"{"shrink": [{"id": "\#(inTwo)"}]}"#).status == 202)
            for _ in 0..<300 where try await db.direct("RegionTwo", "/clusters").json["clusters"]?.arrayValue?.isEmpty != true {
                try await Task.sleep(for: .milliseconds(10))
            }
            let shrunk = try await waitIdle(db, id)
            #expect(shrunk["cluster"]?["instances"]?.arrayValue?.compactMap { $0["region"]?.stringValue } == ["RegionOne", "RegionOne"])
            let all = shrunk["cluster"]?["instances"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            let shrinkAll = #"{"shrink": [\#(all.map { #"{"id": "\#($0)"}"# }.joined(separator: ","))]}"#
            #expect(try await db.send("POST", "/clusters/\(id)", body: shrinkAll).status == 400)
            #expect(try await db.send("POST", "/clusters/\(id)", body: #"{"shrink": [{"id": "nope"}]}"#).status == 400)

            #expect(try await db.send("DELETE", "/clusters/\(id)").status == 202)
            for _ in 0..<300 where try await db.send("GET", "/clusters/\(id)").status != 404 {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(try await db.send("GET", "/clusters/\(id)").status == 404)
            #expect(try await db.direct("RegionOne", "/clusters").json["clusters"]?.arrayValue?.isEmpty == true)
            #expect(try await db.send("GET", "/clusters").json["clusters"]?.arrayValue?.isEmpty == true)
        }
    }

    @Test func aRegionRefusingItsPartLeavesNoOrphan() async throws {
        try await GatewayHarness.with { h in
            let db = try await prepare(h)
            let reply = try await create(db, [Self.member(["region_name": "RegionOne"]), Self.member(["region_name": "RegionTwo"], size: 0)])
            #expect(reply.status == 400)
            #expect(reply.json["badRequest"] != nil)
            // RegionOne's part was built first and is deleted again; nothing is recorded at the top.
            for _ in 0..<300 where try await db.direct("RegionOne", "/clusters").json["clusters"]?.arrayValue?.isEmpty != true {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(try await db.direct("RegionOne", "/clusters").json["clusters"]?.arrayValue?.isEmpty == true)
            #expect(try await db.send("GET", "/clusters").json["clusters"]?.arrayValue?.isEmpty == true)
        }
    }

    @Test func partsTasksAddUpToOneClusterTask() {
        #expect(ClusterParts.task([.none, .none]) == .none)
        #expect(ClusterParts.task([.buildingInitial, .buildingInitial]) == .buildingInitial)
        // A new region's part still building while the others are idle: the cluster is growing.
        #expect(ClusterParts.task([.none, .buildingInitial]) == .growingCluster)
        #expect(ClusterParts.task([.shrinkingCluster, .none]) == .shrinkingCluster)
        #expect(ClusterParts.task([.growingCluster, .deleting]) == .deleting)
    }

    @Test func aBusyClusterRefusesChangesWithTroves422() async throws {
        // Transitions far in the future: the cluster stays BUILDING_INITIAL for the whole test.
        var regions = [SimulatedCloudConfiguration.Region(name: GatewayHarness.topRegion, availabilityZone: "central", services: [])]
        regions += GatewayHarness.bottomRegions.map { SimulatedCloudConfiguration.Region(name: $0.0, availabilityZone: $0.1) }
        let slow = SimulatedCloudConfiguration(regions: regions, transitionDelay: .seconds(600))
        try await GatewayHarness.with(cloudConfiguration: slow) { h in
            let db = try await prepare(h)
            let reply = try await create(db, [Self.member(["region_name": "RegionOne"]), Self.member(["region_name": "RegionTwo"])])
            let id = try #require(reply.json["cluster"]?["id"]?.stringValue)
            let grow = try await db.send("POST", "/clusters/\(id)", body: #"{"grow": [{"flavorRef": "2", "volume": {"size": 1}}]}"#)
            #expect(grow.status == 422)
            #expect(grow.json["unprocessableEntity"]?["message"]?.stringValue?.contains("BUILDING_INITIAL") == true)
            let member = try #require(reply.json["cluster"]?["instances"]?.arrayValue?.first?["id"]?.stringValue)
            #expect(try await db.send("POST", "/clusters/\(id)", body: #"{"shrink": [{"id": "\#(member)"}]}"#).status == 422)
            // Nothing changed in either region.
            #expect(try await db.direct("RegionOne", "/clusters").json["clusters"]?.arrayValue?.first?["instances"]?.arrayValue?.count == 1)
        }
    }

    @Test func clusterMembersAsPythonTroveclientSendsThemArePlaced() async throws {
        try await GatewayHarness.with { h in
            let db = try await prepare(h)
            // `--instance flavor=2,volume=1,region=RegionTwo`: the size as a string, the spec's `region` key.
            let body = #"{"cluster": {"name": "c1", "datastore": {"type": "mariadb", "version": "10.4"}, "instances": [{"flavorRef": "2", "volume": {"size": "1"}, "region": "RegionOne"}, {"flavorRef": "2", "volume": {"size": "1"}, "region": "RegionTwo"}]}}"#
            let reply = try await db.send("POST", "/clusters", body: body)
            #expect(reply.status == 200)
            #expect(reply.json["cluster"]?["instances"]?.arrayValue?.compactMap { $0["region"]?.stringValue }.sorted() == ["RegionOne", "RegionTwo"])
        }
    }
}
