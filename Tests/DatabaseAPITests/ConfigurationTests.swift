import Foundation
import GatewayTestHarness
import OpenStackModels
import RegionSimulator
import Testing
import TricircleCore
@testable import TricircleDatabaseAPI

/// Configuration groups at the top: kept by one region (`region_name`, else the home region), found by id,
/// merged and paged lists, attach only to instances of the same region, parameters and volume types.
@Suite struct ConfigurationTests {
    func create(_ db: DatabaseClient, name: String, region: String? = nil, values: JSONValue = ["max_connections": 200]) async throws -> HarnessReply {
        var configuration: [String: JSONValue] = ["name": .string(name), "values": values, "datastore": mysql8]
        if let region { configuration["region_name"] = .string(region) }
        let body = String(decoding: try JSONEncoder().encode(JSONValue.object(["configuration": .object(configuration)])), as: UTF8.self)
        return try await db.send("POST", "/configurations", body: body)
    }

    @Test func aGroupIsKeptByTheNamedRegionAndAttachesOnlyToThatRegionsInstances() async throws {
        try await GatewayHarness.with { h in
            let images = DatastoreImages(h: h)
            try await images.register(try await images.imageID(region: "RegionOne"), data: "the mysql guest image", region: "RegionOne")
            let db = try DatabaseClient(h)
            let made = try await create(db, name: "tuned", region: "RegionTwo")
            #expect(made.status == 200)
            let id = try #require(made.json["configuration"]?["id"]?.stringValue)
            #expect(made.json["configuration"]?["values"]?["max_connections"]?.intValue == 200)
            #expect(made.json["configuration"]?["datastore_version_name"]?.stringValue == "8.0.21")
            // RegionTwo's Trove keeps it, RegionOne's does not.
            #expect(try await db.direct("RegionTwo", "/configurations/\(id)").status == 200)
            #expect(try await db.direct("RegionOne", "/configurations/\(id)").status == 404)
            #expect(try await db.send("GET", "/configurations/\(id)").json["configuration"]?["name"]?.stringValue == "tuned")

            let near = try await db.createdID(["datastore": mysql8, "availability_zone": "az1"])
            let far = try await db.createdID(["datastore": mysql8, "availability_zone": "az2"])
            try await db.waitFor(near, status: "ACTIVE")
            try await db.waitFor(far, status: "ACTIVE")
            let refused = try await db.send("PUT", "/instances/\(near)", body: #"{"instance": {"configuration": "\#(id)"}}"#)
            #expect(refused.status == 400)
            #expect(refused.json["badRequest"]?["message"]?.stringValue?.contains("region RegionTwo") == true)
            #expect(refused.json["badRequest"]?["message"]?.stringValue?.contains("region RegionOne") == true)
            // An instance created with another region's group is refused before anything is built.
            let createdElsewhere = try await db.create(["datastore": mysql8, "availability_zone": "az1", "configuration": .string(id)])
            #expect(createdElsewhere.status == 400)

            let attached = try await db.send("PUT", "/instances/\(far)", body: #"{"instance": {"configuration": "\#(id)"}}"#)
            #expect(attached.status == 202)
            #expect(try await db.send("GET", "/instances/\(far)").json["instance"]?["configuration"]?["id"]?.stringValue == id)
            let users = try await db.send("GET", "/configurations/\(id)/instances")
            #expect(users.json["instances"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [far])
            // Attached: Trove refuses the delete (400 InstanceAssignedToConfiguration).
            let busy = try await db.send("DELETE", "/configurations/\(id)")
            #expect(busy.status == 400)
            #expect(busy.json["badRequest"]?["message"]?.stringValue?.hasPrefix("A configuration group cannot be deleted") == true)

            let detached = try await db.send("PUT", "/instances/\(far)", body: #"{"instance": {"configuration": null}}"#)
            #expect(detached.status == 202)
            #expect(try await db.send("GET", "/instances/\(far)").json["instance"]?["configuration"] == nil)
            #expect(try await db.send("DELETE", "/configurations/\(id)").status == 202)
            let gone = try await db.send("GET", "/configurations/\(id)")
            #expect(gone.status == 404)
            #expect(gone.json["itemNotFound"]?["message"]?.stringValue == "Configuration group with ID \(id) could not be found.")
        }
    }

    @Test func createUpdateAndBadInputAnswerAsTrove() async throws {
        try await GatewayHarness.with { h in
            let db = try DatabaseClient(h)
            // No region named: the home region (RegionOne in the harness).
            let made = try await create(db, name: "home")
            let id = try #require(made.json["configuration"]?["id"]?.stringValue)
            #expect(try await db.direct("RegionOne", "/configurations/\(id)").status == 200)

            let unknownRegion = try await create(db, name: "x", region: "Nowhere")
            #expect(unknownRegion.status == 400)
            #expect(unknownRegion.json["badRequest"]?["message"]?.stringValue?.contains("RegionOne, RegionTwo") == true)
            let unsupported = try await create(db, name: "x", values: ["no_such_thing": 1])
            #expect(unsupported.status == 422)
            #expect(unsupported.json["unprocessableEntity"]?["message"]?.stringValue
                == "The configuration parameter no_such_thing is not supported for this datastore: mysql 8.0.21.")
            let tooMany = try await create(db, name: "x", values: ["max_connections": 100_001])
            #expect(tooMany.json["unprocessableEntity"]?["message"]?.stringValue
                == "The value for the configuration parameter max_connections is greater than the maximum allowed: 100000")
            let wrongType = try await create(db, name: "x", values: ["max_connections": "many"])
            #expect(wrongType.status == 422)
            let noValues = try await db.send("POST", "/configurations", body: #"{"configuration": {"name": "x", "datastore": {"type": "mysql"}}}"#)
            #expect(noValues.status == 400)
            #expect(noValues.json["badRequest"]?["message"]?.stringValue == "Validation error: configuration 'values' is a required property")

            // PATCH sets the values it names, PUT replaces them all.
            #expect(try await db.send("PATCH", "/configurations/\(id)", body: #"{"configuration": {"values": {"wait_timeout": 60}}}"#).status == 200)
            var shown = try await db.send("GET", "/configurations/\(id)").json["configuration"]
            #expect(shown?["values"]?["max_connections"]?.intValue == 200)
            #expect(shown?["values"]?["wait_timeout"]?.intValue == 60)
            #expect(try await db.send("PUT", "/configurations/\(id)", body: #"{"configuration": {"name": "renamed", "values": {"autocommit": 0}}}"#).status == 202)
            shown = try await db.send("GET", "/configurations/\(id)").json["configuration"]
            #expect(shown?["name"]?.stringValue == "renamed")
            #expect(shown?["values"]?.objectValue?.keys.sorted() == ["autocommit"])

            // Another project sees none of it.
            let other = try DatabaseClient(h, user: "alt_demo")
            #expect(try await other.send("GET", "/configurations/\(id)").status == 404)
            #expect(try await other.send("GET", "/configurations").json["configurations"]?.arrayValue?.isEmpty == true)
        }
    }

    @Test func theListMergesBothRegionsByIdAndPagesWithNextLinks() async throws {
        try await GatewayHarness.with(overrides: ["client.list_timeout": "0.5"]) { h in
            let db = try DatabaseClient(h)
            var ids: [String] = []
            for (index, region) in ["RegionOne", "RegionTwo", "RegionOne", "RegionTwo", "RegionTwo"].enumerated() {
                let made = try await create(db, name: "group-\(index)", region: region)
                ids.append(try #require(made.json["configuration"]?["id"]?.stringValue))
            }
            let all = try await db.send("GET", "/configurations")
            #expect(all.json["configurations"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ids.sorted())
            #expect(all.json["links"] == nil)
            var walked: [String] = []
            var next: String? = "/configurations?limit=2"
            while let page = next {
                let reply = try await db.send("GET", page)
                #expect(reply.status == 200)
                walked += reply.json["configurations"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
                next = reply.json["links"]?.arrayValue?.first { $0["rel"]?.stringValue == "next" }?["href"]?.stringValue
                if let link = next { #expect(link.hasPrefix(h.origin("database"))) }
            }
            #expect(walked == ids.sorted())

            // A region that does not answer is left out; the other's groups are still listed.
            h.cloud.setFault(FaultSettings(blackHole: true), region: "RegionTwo", service: .database)
            let partial = try await db.send("GET", "/configurations")
            #expect(partial.status == 200)
            #expect(partial.json["configurations"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [ids[0], ids[2]].sorted())
        }
    }

    @Test func parametersAndVolumeTypesComeFromTheRegions() async throws {
        try await GatewayHarness.with { h in
            let db = try DatabaseClient(h)
            let list = try await db.send("GET", "/datastores/mysql/versions/8.0.21/parameters")
            #expect(list.status == 200)
            let names = list.json["configuration-parameters"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names.contains("max_connections"))
            let one = try await db.send("GET", "/datastores/mysql/versions/8.0.21/parameters/max_connections")
            #expect(one.json["type"]?.stringValue == "integer")
            #expect(one.json["max"]?.intValue == 100_000)
            #expect(one.json["restart_required"] == .bool(false))
            let versionID = try #require(one.json["datastore_version_id"]?.stringValue)
            #expect(try await db.send("GET", "/datastores/versions/\(versionID)/parameters/max_connections").json["name"]?.stringValue == "max_connections")
            let missing = try await db.send("GET", "/datastores/mysql/versions/8.0.21/parameters/nope")
            #expect(missing.status == 404)
            #expect(missing.json["itemNotFound"]?["message"]?.stringValue == "Resource nope cannot be found.")
            #expect(try await db.send("GET", "/datastores/nosql/versions/1/parameters").status == 404)

            let types = try await db.send("GET", "/datastores/mysql/versions/8.0.21/volume-types")
            #expect(types.status == 200)
            // Both regions have the same two type names: listed once each.
            #expect(types.json["volume_types"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["__DEFAULT__", "lvmdriver-1"])
        }
    }
}
