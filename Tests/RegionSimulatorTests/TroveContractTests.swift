import Foundation
import OpenStackModels
import RegionSimulator
import Testing

/// What a real trove-api 25.1.0 answered in the contract checks (e2e/contract/database.py over
/// e2e/regions/trove.sh), pinned for the simulated Trove.
@Suite("Simulated Trove answers as trove-api 25.1.0")
struct TroveContractTests {
    @Test func limitsListTheProjectsAbsoluteLimits() async throws {
        try await withNetDBService(SimulatedDatabase()) { c in
            let open = try await c.send(.get, "/v1.0/\(c.demoProject)/limits", token: c.demo)
            #expect(open.status.code == 200)
            #expect(open.json["limits"]?.arrayValue?.first?["verb"] == "ABSOLUTE")
            #expect(open.json["limits"]?.arrayValue?.first?["max_instances"] == -1)
            // an admin's URL names the admin's project (the catalog's template works for the token's own)
            let set = try await c.send(.put, "/v1.0/$(project_id)s/mgmt/quotas/\(c.demoProject)", token: c.admin,
                                       json: #"{"quotas": {"instances": 3, "volumes": 7}}"#)
            #expect(set.status.code == 200)
            let limited = try await c.send(.get, "/v1.0/\(c.demoProject)/limits", token: c.demo).json["limits"]?.arrayValue?.first
            #expect(limited?["max_instances"] == 3)
            #expect(limited?["max_volumes"] == 7)
            #expect(limited?["max_ram"] == -1)
            #expect(limited?["max_backups"] == -1)
        }
    }

    @Test func aVersionIsShownByIdAndAnUnknownVersionIsABadRequest() async throws {
        try await withNetDBService(SimulatedDatabase()) { c in
            let base = "/v1.0/\(c.demoProject)"
            let byName = try await c.send(.get, base + "/datastores/mysql/versions/8.0.21", token: c.demo)
            let id = try #require(byName.json["version"]?["id"]?.stringValue)
            let byID = try await c.send(.get, base + "/datastores/versions/\(id)", token: c.demo)
            #expect(byID.status.code == 200)
            #expect(byID.json["version"]?["name"] == "8.0.21")
            let unknownID = try await c.send(.get, base + "/datastores/versions/00000000-0000-4000-8000-00000000dead", token: c.demo)
            #expect(unknownID.status.code == 400)
            let unknown = try await c.send(.get, base + "/datastores/mysql/versions/9.9", token: c.demo)
            #expect(unknown.status.code == 400)
            #expect(unknown.json["badRequest"]?["message"] == "Datastore version '9.9' cannot be found.")
            let create = try await c.send(.post, base + "/instances", token: c.demo, json: #"""
                {"instance": {"name": "x", "flavorRef": "1", "volume": {"size": 1}, "datastore": {"type": "mysql", "version": "9.9"}}}
                """#)
            #expect(create.status.code == 400)
            // an unknown datastore stays a 404, as in Trove
            let store = try await c.send(.get, base + "/datastores/oracle", token: c.demo)
            #expect(store.status.code == 404)
        }
    }

    @Test func anUnknownFlavorIsABadRequestOnCreateAndNotFoundOnShow() async throws {
        try await withNetDBService(SimulatedDatabase()) { c in
            let base = "/v1.0/\(c.demoProject)"
            let create = try await c.send(.post, base + "/instances", token: c.demo,
                                          json: #"{"instance": {"name": "x", "flavorRef": "99", "volume": {"size": 1}}}"#)
            #expect(create.status.code == 400)
            #expect(create.json["badRequest"]?["message"] == "Resource 99 cannot be found.")
            let show = try await c.send(.get, base + "/flavors/99", token: c.demo)
            #expect(show.status.code == 404)
            #expect(show.json["itemNotFound"]?["code"] == 404)
        }
    }

    @Test func aBuildingInstanceIsNotDeletedUntilItsStatusIsReset() async throws {
        let clock = NetDBTestClock()
        try await withNetDBService(SimulatedDatabase(), now: { clock.now }, transitionDelay: .seconds(60)) { c in
            // as admin: reset_status is an admin action in Trove
            let base = "/v1.0/$(project_id)s"
            let created = try await c.send(.post, base + "/instances", token: c.admin, json: #"""
                {"instance": {"name": "db", "flavorRef": "1", "volume": {"size": 1}}}
                """#)
            let id = try #require(created.json["instance"]?["id"]?.stringValue)
            #expect(created.json["instance"]?["operating_status"] == "")
            // Trove's brief list has no timestamps, its detail list has them
            let brief = try await c.send(.get, base + "/instances", token: c.admin).json["instances"]?.arrayValue?.first
            #expect(brief?["id"]?.stringValue == id && brief?["created"] == nil)
            let detail = try await c.send(.get, base + "/instances/detail", token: c.admin).json["instances"]?.arrayValue?.first
            #expect(detail?["created"] != nil)
            let restart = try await c.send(.post, base + "/instances/\(id)/action", token: c.admin, json: #"{"restart": {}}"#)
            #expect(restart.status.code == 422)
            #expect(restart.json["unprocessableEntity"]?["message"]
                == .string("Instance \(id) is not currently available for an action to be performed (instance status was BUILD)."))
            let refused = try await c.send(.delete, base + "/instances/\(id)", token: c.admin)
            #expect(refused.status.code == 422)
            #expect(refused.json["unprocessableEntity"]?["message"] == .string("Instance \(id) is not ready. (Status is BUILD)."))
            let reset = try await c.send(.post, base + "/instances/\(id)/action", token: c.admin, json: #"{"reset_status": {}}"#)
            #expect(reset.status.code == 202)
            #expect(reset.header("Content-Type") == "application/json")
            let deleted = try await c.send(.delete, base + "/instances/\(id)", token: c.admin)
            #expect(deleted.status.code == 202)
            #expect(deleted.header("Content-Type") == "application/json")
            let shown = try await c.send(.get, base + "/instances/\(id)", token: c.admin)
            #expect(shown.json["instance"]?["status"] == "SHUTDOWN")
        }
    }
}
