import Foundation
import OpenStackModels
import RegionSimulator
import Testing

@Suite("Simulated Nova")
struct ComputeServerTests {
    @Test("a server is BUILD, then ACTIVE after the transition delay, with its create fields echoed")
    func buildThenActive() async throws {
        let clock = ManualClock()
        try await withCloud(.testing(transition: .seconds(5), clock: clock)) { cloud, client, tokens in
            let nova = try cloud.url(.compute)
            let body = bootBody(cloud, name: "web-1", extra: ["metadata": ["role": "web"], "user_data": "aGVsbG8="])
            let created = try await client.send(.POST, nova + "/servers", token: tokens.demo, json: body)
            #expect(created.status == 202)
            #expect(created.header("x-compute-request-id") != nil)
            let id = created.json["server"]?["id"]?.stringValue ?? ""
            #expect(created.json["server"]?["adminPass"]?.stringValue != nil)
            let first = try await client.send(.GET, nova + "/servers/\(id)", token: tokens.demo)
            #expect(first.json["server"]?["status"] == "BUILD")
            clock.advance(4.9)
            #expect(try await client.send(.GET, nova + "/servers/\(id)", token: tokens.demo).json["server"]?["status"] == "BUILD")
            clock.advance(0.2)
            #expect(try await client.send(.GET, nova + "/servers/\(id)", token: tokens.demo).json["server"]?["status"] == "ACTIVE")
            let shown = try await client.send(.GET, nova + "/servers/\(id)", token: tokens.demo)
            let server = try shown.json["server"].map { try $0.decode(Server.self) }
            #expect(server?.metadata == ["role": "web"])
            #expect(server?.availabilityZone == "az1")
            #expect(server?.powerState == 1)
        }
    }

    @Test("actions follow Nova's state machine and answer 409 when the state does not allow them")
    func actionsFollowStateMachine() async throws {
        try await withCloud(.testing(transition: .milliseconds(10))) { cloud, client, tokens in
            let nova = try cloud.url(.compute)
            let id = try await client.send(.POST, nova + "/servers", token: tokens.demo, json: bootBody(cloud, name: "vm"))
                .json["server"]?["id"]?.stringValue ?? ""
            func status() async throws -> String? {
                try await client.send(.GET, nova + "/servers/\(id)", token: tokens.demo).json["server"]?["status"]?.stringValue
            }
            func act(_ body: JSONValue) async throws -> SimReply {
                try await client.send(.POST, nova + "/servers/\(id)/action", token: tokens.demo, json: body)
            }
            try await eventually { try await status() == "ACTIVE" }
            let unpause = try await act(["unpause": nil])
            #expect(unpause.status == 409)
            #expect(unpause.json["conflictingRequest"]?["code"] == 409)
            #expect(try await act(["os-stop": nil]).status == 202)
            try await eventually { try await status() == "SHUTOFF" }
            #expect(try await act(["os-start": nil]).status == 202)
            try await eventually { try await status() == "ACTIVE" }
            #expect(try await act(["resize": ["flavorRef": "2"]]).status == 202)
            try await eventually { try await status() == "VERIFY_RESIZE" }
            #expect(try await act(["confirmResize": nil]).status == 204)
            #expect(try await status() == "ACTIVE")
            #expect(try await act(["lock": nil]).status == 202)
            #expect(try await act(["pause": nil]).status == 409)
            #expect(try await act(["unlock": nil]).status == 202)
            #expect(try await act(["noSuchAction": nil]).status == 400)
        }
    }

    @Test("paging with limit and marker returns every server exactly once")
    func pagingWithoutLossOrRepeat() async throws {
        try await withCloud { cloud, client, tokens in
            let nova = try cloud.url(.compute)
            for i in 0..<23 {
                _ = try await client.send(.POST, nova + "/servers", token: tokens.demo, json: bootBody(cloud, name: "s\(i)"))
            }
            var seen: [String] = []
            var url: String? = nova + "/servers/detail?limit=5"
            while let next = url {
                let page = try await client.send(.GET, next, token: tokens.demo)
                let list = try page.json.decode(ServerList.self)
                seen += list.servers.map(\.id)
                url = Link.next(in: list.serversLinks)?.href
            }
            #expect(seen.count == 23)
            #expect(Set(seen).count == 23)
            let sorted = try await client.send(.GET, nova + "/servers?sort_key=display_name&sort_dir=asc&limit=3", token: tokens.demo)
            #expect(sorted.json["servers"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["s0", "s1", "s10"])
            let filtered = try await client.send(.GET, nova + "/servers?name=^s2", token: tokens.demo)
            #expect(Set(filtered.json["servers"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []) == ["s2", "s20", "s21", "s22"])
        }
    }

    @Test("another project's server is a 404 and missing from lists")
    func projectsAreIsolated() async throws {
        try await withCloud { cloud, client, tokens in
            let nova = try cloud.url(.compute)
            let id = try await client.send(.POST, nova + "/servers", token: tokens.demo, json: bootBody(cloud, name: "mine"))
                .json["server"]?["id"]?.stringValue ?? ""
            let other = try await client.send(.GET, nova + "/servers/\(id)", token: tokens.altDemo)
            #expect(other.status == 404)
            #expect(other.json["itemNotFound"]?["message"] == .string("Instance \(id) could not be found."))
            #expect(try await client.send(.GET, nova + "/servers", token: tokens.altDemo).json["servers"] == [])
            #expect(try await client.send(.DELETE, nova + "/servers/\(id)", token: tokens.altDemo).status == 404)
            let all = try await client.send(.GET, nova + "/servers?all_tenants=1", token: tokens.admin)
            #expect(all.json["servers"]?.arrayValue?.count == 1)
            let noToken = try await client.send(.GET, nova + "/servers")
            #expect(noToken.status == 401)
            #expect(noToken.json["error"]?["code"] == 401)
        }
    }

    @Test("microversions are negotiated and out-of-range versions answer 406")
    func microversions() async throws {
        try await withCloud { cloud, client, tokens in
            let nova = try cloud.url(.compute)
            let ok = try await client.send(.GET, nova + "/flavors", token: tokens.demo, headers: [("OpenStack-API-Version", "compute 2.60")])
            #expect(ok.status == 200)
            #expect(ok.header("OpenStack-API-Version") == "compute 2.60")
            #expect(ok.header("X-OpenStack-Nova-API-Version") == "2.60")
            let latest = try await client.send(.GET, nova + "/flavors", token: tokens.demo, headers: [("X-OpenStack-Nova-API-Version", "latest")])
            #expect(latest.header("X-OpenStack-Nova-API-Version") == SimulatedCompute.maxVersion.description)
            let tooNew = try await client.send(.GET, nova + "/flavors", token: tokens.demo, headers: [("OpenStack-API-Version", "compute 2.999")])
            #expect(tooNew.status == 406)
            #expect(tooNew.json["computeFault"]?["code"] == 406)
            let bad = try await client.send(.GET, nova + "/flavors", token: tokens.demo, headers: [("OpenStack-API-Version", "compute two")])
            #expect(bad.status == 400)
            let root = try await client.send(.GET, nova)
            #expect(root.json["version"]?["version"] == .string(SimulatedCompute.maxVersion.description))
            let volume = try await client.send(.GET, try cloud.url(.volume) + "/volumes", token: tokens.demo, headers: [("OpenStack-API-Version", "volume 4.0")])
            #expect(volume.status == 406)
        }
    }

    @Test("keypairs belong to their user and flavors hide private ones")
    func keypairsAndFlavors() async throws {
        try await withCloud { cloud, client, tokens in
            let nova = try cloud.url(.compute)
            let created = try await client.send(.POST, nova + "/os-keypairs", token: tokens.demo, json: ["keypair": ["name": "k1"]])
            #expect(created.status == 200)
            #expect(created.json["keypair"]?["private_key"]?.stringValue != nil)
            #expect(try await client.send(.POST, nova + "/os-keypairs", token: tokens.demo, json: ["keypair": ["name": "k1"]]).status == 409)
            #expect(try await client.send(.GET, nova + "/os-keypairs/k1", token: tokens.altDemo).status == 404)
            let boot = try await client.send(.POST, nova + "/servers", token: tokens.demo, json: bootBody(cloud, name: "x", extra: ["key_name": "nope"]))
            #expect(boot.status == 400)
            let flavor = try await client.send(
                .POST, nova + "/flavors", token: tokens.admin,
                json: ["flavor": ["name": "secret", "ram": 64, "vcpus": 1, "disk": 1, "os-flavor-access:is_public": false]])
            #expect(flavor.status == 200)
            #expect(try await client.send(.POST, nova + "/flavors", token: tokens.demo, json: ["flavor": ["name": "x", "ram": 1, "vcpus": 1, "disk": 1]]).status == 403)
            let names = try await client.send(.GET, nova + "/flavors", token: tokens.demo).json["flavors"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names.contains("m1.tiny"))
            #expect(!names.contains("secret"))
            let zones = try await client.send(.GET, nova + "/os-availability-zone", token: tokens.demo)
            #expect(zones.json["availabilityZoneInfo"]?.arrayValue?.first?["zoneName"] == "az1")
        }
    }
}
