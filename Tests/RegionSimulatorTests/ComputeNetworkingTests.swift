import Foundation
import NIOHTTP1
import OpenStackModels
import RegionSimulator
import Testing

/// One region serving Nova and Neutron, so servers and ports meet.
func withNovaAndNeutron(
    transition: Duration = .milliseconds(10), clock: ManualClock? = nil,
    _ body: @escaping @Sendable (SimulatedCloud, NovaNeutron) async throws -> Void
) async throws {
    let regions = [SimulatedCloudConfiguration.Region(name: "RegionOne", availabilityZone: "az1", services: [.compute, .network, .image])]
    try await withCloud(.testing(regions: regions, transition: transition, clock: clock)) { cloud, client, tokens in
        try await body(cloud, NovaNeutron(
            nova: try cloud.url(.compute), neutron: try cloud.url(.network) + "/v2.0", client: client, tokens: tokens,
            image: cloud.store(region: "RegionOne")?.seededImageID ?? ""))
    }
}

/// Calls to one region's Nova (at a microversion) and Neutron as the demo user.
struct NovaNeutron: Sendable {
    let nova: String
    let neutron: String
    let client: SimHTTPClient
    let tokens: SimTokens
    let image: String

    func compute(_ method: HTTPMethod, _ path: String, _ body: JSONValue? = nil, version: String = "2.79", token: String? = nil) async throws -> SimReply {
        try await client.send(method, nova + path, token: token ?? tokens.demo, json: body, headers: [("OpenStack-API-Version", "compute \(version)")])
    }

    func network(_ method: HTTPMethod, _ path: String, _ body: JSONValue? = nil, token: String? = nil) async throws -> SimReply {
        try await client.send(method, neutron + path, token: token ?? tokens.demo, json: body)
    }

    /// A network named `name` with one IPv4 subnet; returns its id.
    func makeNetwork(_ name: String, cidr: String) async throws -> String {
        let network = try await network(.POST, "/networks", ["network": ["name": .string(name)]])
        let id = try #require(network.json["network"]?["id"]?.stringValue)
        let subnet = try await self.network(.POST, "/subnets", ["subnet": ["network_id": .string(id), "cidr": .string(cidr), "ip_version": 4]])
        #expect(subnet.status == 201)
        return id
    }

    func boot(_ name: String, networks: JSONValue?, version: String = "2.79") async throws -> SimReply {
        var server: [String: JSONValue] = ["name": .string(name), "imageRef": .string(image), "flavorRef": "1"]
        if let networks { server["networks"] = networks }
        return try await compute(.POST, "/servers", ["server": .object(server)], version: version)
    }

    func portsOf(_ server: String) async throws -> [JSONValue] {
        try await network(.GET, "/ports?device_id=\(server)").json["ports"]?.arrayValue ?? []
    }

    func serverCount() async throws -> Int {
        try await compute(.GET, "/servers").json["servers"]?.arrayValue?.count ?? -1
    }
}

@Suite("Simulated Nova with the region's Neutron")
struct ComputeNetworkingTests {
    @Test("a boot on a network makes a Neutron port for the server; addresses are keyed by network name; delete removes the port")
    func bootCreatesPort() async throws {
        try await withNovaAndNeutron { _, c in
            let net = try await c.makeNetwork("net-a", cidr: "10.1.0.0/24")
            let booted = try await c.boot("vm", networks: [["uuid": .string(net), "tag": "nic1"]])
            #expect(booted.status == 202)
            let id = try #require(booted.json["server"]?["id"]?.stringValue)

            let ports = try await c.portsOf(id)
            #expect(ports.count == 1)
            let port = try #require(ports.first)
            #expect(port["device_owner"] == "compute:az1")
            #expect(port["network_id"]?.stringValue == net)
            let ip = try #require(port["fixed_ips"]?.nth(0)?["ip_address"]?.stringValue)
            #expect(ip.hasPrefix("10.1.0."))
            let mac = try #require(port["mac_address"]?.stringValue)

            let shown = try await c.compute(.GET, "/servers/\(id)")
            let entry = shown.json["server"]?["addresses"]?["net-a"]?.nth(0)
            #expect(entry?["addr"]?.stringValue == ip)
            #expect(entry?["version"] == 4)
            #expect(entry?["OS-EXT-IPS:type"] == "fixed")
            #expect(entry?["OS-EXT-IPS-MAC:mac_addr"]?.stringValue == mac)

            let interfaces = try await c.compute(.GET, "/servers/\(id)/os-interface")
            let interface = interfaces.json["interfaceAttachments"]?.nth(0)
            #expect(interface?["port_id"] == port["id"])
            #expect(interface?["tag"] == "nic1")
            #expect(interface?["fixed_ips"]?.nth(0)?["ip_address"]?.stringValue == ip)
            // Before 2.70 there is no tag field.
            let old = try await c.compute(.GET, "/servers/\(id)/os-interface", version: "2.69")
            #expect(old.json["interfaceAttachments"]?.nth(0)?.objectValue?.keys.contains("tag") == false)

            #expect(try await c.compute(.DELETE, "/servers/\(id)").status == 204)
            #expect(try await c.portsOf(id).isEmpty)
        }
    }

    @Test("a given port is bound to the server and only unbound on delete; a port in use is 409 and nothing is created")
    func givenPortBoundAndUnbound() async throws {
        try await withNovaAndNeutron { _, c in
            let net = try await c.makeNetwork("net-b", cidr: "10.2.0.0/24")
            let made = try await c.network(.POST, "/ports", ["port": ["network_id": .string(net), "name": "mine"]])
            let portID = try #require(made.json["port"]?["id"]?.stringValue)
            let first = try await c.boot("a", networks: [["port": .string(portID)]])
            #expect(first.status == 202)
            let serverA = try #require(first.json["server"]?["id"]?.stringValue)
            let bound = try await c.network(.GET, "/ports/\(portID)")
            #expect(bound.json["port"]?["device_id"]?.stringValue == serverA)
            #expect(bound.json["port"]?["device_owner"] == "compute:az1")

            let before = try await c.serverCount()
            let second = try await c.boot("b", networks: [["port": .string(portID)]])
            #expect(second.status == 409)
            #expect(second.json["conflictingRequest"]?["message"]?.stringValue == "Port \(portID) is still in use.")
            #expect(try await c.serverCount() == before)

            #expect(try await c.compute(.DELETE, "/servers/\(serverA)").status == 204)
            let unbound = try await c.network(.GET, "/ports/\(portID)")
            #expect(unbound.status == 200)
            #expect(unbound.json["port"]?["device_id"] == "")
            #expect(unbound.json["port"]?["device_owner"] == "")
        }
    }

    @Test("unknown networks and ports are 400s, ambiguous auto is 409, strings before 2.37 are refused, none boots without a port")
    func bootRefusalsAsNova() async throws {
        try await withNovaAndNeutron { _, c in
            let bogus = "00000000-0000-4000-8000-00000000dead"
            let badNet = try await c.boot("x", networks: [["uuid": .string(bogus)]])
            #expect(badNet.status == 400)
            #expect(badNet.json["badRequest"]?["message"]?.stringValue == "Network \(bogus) could not be found.")
            let badPort = try await c.boot("x", networks: [["port": .string(bogus)]])
            #expect(badPort.status == 400)
            #expect(badPort.json["badRequest"]?["message"]?.stringValue == "Port \(bogus) could not be found.")
            #expect(try await c.boot("x", networks: "auto", version: "2.1").status == 400)

            // Another project's network is not found either.
            let alien = try await c.network(.POST, "/networks", ["network": ["name": "alien"]], token: c.tokens.altDemo)
            let alienID = try #require(alien.json["network"]?["id"]?.stringValue)
            #expect(try await c.boot("x", networks: [["uuid": .string(alienID)]]).status == 400)

            let none = try await c.boot("bare", networks: "none")
            #expect(none.status == 202)
            let bareID = try #require(none.json["server"]?["id"]?.stringValue)
            #expect(try await c.compute(.GET, "/servers/\(bareID)").json["server"]?["addresses"] == [:])

            // One network: auto uses it. Two: Nova cannot choose.
            let only = try await c.makeNetwork("only", cidr: "10.3.0.0/24")
            let auto = try await c.boot("auto", networks: "auto")
            let autoID = try #require(auto.json["server"]?["id"]?.stringValue)
            #expect(try await c.portsOf(autoID).first?["network_id"]?.stringValue == only)
            _ = try await c.makeNetwork("second", cidr: "10.4.0.0/24")
            let ambiguous = try await c.boot("x", networks: "auto")
            #expect(ambiguous.status == 409)
            #expect(ambiguous.json["conflictingRequest"]?["message"] == "Multiple possible networks found, use a Network ID to be more specific.")
            #expect(try await c.serverCount() == 2)
        }
    }

    @Test("50 parallel boots on one network get 50 ports with distinct addresses; deleting them frees every port")
    func parallelBootsGetDistinctPorts() async throws {
        try await withNovaAndNeutron { _, c in
            let net = try await c.makeNetwork("busy", cidr: "10.6.0.0/24")
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        let reply = try await c.boot("vm-\(index)", networks: [["uuid": .string(net)]])
                        return reply.json["server"]?["id"]?.stringValue ?? ""
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(Set(ids).count == 50)
            #expect(!ids.contains(""))
            let ports = try await c.network(.GET, "/ports?network_id=\(net)&device_owner=compute:az1").json["ports"]?.arrayValue ?? []
            #expect(ports.count == 50)
            #expect(Set(ports.compactMap { $0["device_id"]?.stringValue }) == Set(ids))
            #expect(Set(ports.compactMap { $0["fixed_ips"]?.nth(0)?["ip_address"]?.stringValue }).count == 50)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for id in ids { group.addTask { _ = try await c.compute(.DELETE, "/servers/\(id)") } }
                try await group.waitForAll()
            }
            #expect(try await c.network(.GET, "/ports?network_id=\(net)&device_owner=compute:az1").json["ports"] == [])
        }
    }

    @Test("os-interface attach creates or binds a real port with its tag; detach deletes Nova's port")
    func interfaceAttachDetach() async throws {
        try await withNovaAndNeutron { _, c in
            let net = try await c.makeNetwork("net-c", cidr: "10.5.0.0/24")
            let id = try #require(try await c.boot("vm", networks: "none").json["server"]?["id"]?.stringValue)
            try await eventually { try await c.compute(.GET, "/servers/\(id)").json["server"]?["status"] == "ACTIVE" }

            let attached = try await c.compute(.POST, "/servers/\(id)/os-interface", ["interfaceAttachment": ["net_id": .string(net), "tag": "data"]])
            #expect(attached.status == 200)
            let portID = try #require(attached.json["interfaceAttachment"]?["port_id"]?.stringValue)
            #expect(attached.json["interfaceAttachment"]?["tag"] == "data")
            #expect(try await c.portsOf(id).map { $0["id"]?.stringValue } == [portID])
            #expect(try await c.compute(.GET, "/servers/\(id)").json["server"]?["addresses"]?["net-c"]?.arrayValue?.count == 1)

            let other = try #require(try await c.boot("other", networks: "none").json["server"]?["id"]?.stringValue)
            try await eventually { try await c.compute(.GET, "/servers/\(other)").json["server"]?["status"] == "ACTIVE" }
            let inUse = try await c.compute(.POST, "/servers/\(other)/os-interface", ["interfaceAttachment": ["port_id": .string(portID)]])
            #expect(inUse.status == 409)
            let unknown = try await c.compute(.POST, "/servers/\(other)/os-interface", ["interfaceAttachment": ["net_id": "00000000-0000-4000-8000-00000000dead"]])
            #expect(unknown.status == 404)

            #expect(try await c.compute(.DELETE, "/servers/\(id)/os-interface/\(portID)").status == 202)
            #expect(try await c.portsOf(id).isEmpty)
            #expect(try await c.network(.GET, "/ports/\(portID)").status == 404)
            #expect(try await c.compute(.GET, "/servers/\(id)/os-interface").json["interfaceAttachments"] == [])
        }
    }

    @Test("a delete shows task_state deleting until its transition ends, stretched by transition_factor")
    func deleteIsTransitional() async throws {
        let clock = ManualClock()
        try await withNovaAndNeutron(transition: .seconds(5), clock: clock) { cloud, c in
            let id = try #require(try await c.boot("vm", networks: "none").json["server"]?["id"]?.stringValue)
            clock.advance(6)
            #expect(try await c.compute(.GET, "/servers/\(id)").json["server"]?["status"] == "ACTIVE")
            cloud.setFault(FaultSettings(transitionFactor: 2), region: "RegionOne", service: .compute)

            #expect(try await c.compute(.DELETE, "/servers/\(id)").status == 204)
            let deleting = try await c.compute(.GET, "/servers/\(id)")
            #expect(deleting.status == 200)
            #expect(deleting.json["server"]?["OS-EXT-STS:task_state"] == "deleting")
            #expect(deleting.json["server"]?["status"] == "ACTIVE")
            #expect(try await c.serverCount() == 1)
            // Actions wait for the delete; a second delete is accepted.
            #expect(try await c.compute(.POST, "/servers/\(id)/action", ["os-stop": nil]).status == 409)
            #expect(try await c.compute(.DELETE, "/servers/\(id)").status == 204)

            clock.advance(9)  // factor 2: 10 s in all
            #expect(try await c.compute(.GET, "/servers/\(id)").json["server"]?["OS-EXT-STS:task_state"] == "deleting")
            clock.advance(1.1)
            // Finished but not yet purged: real Nova's show answers status DELETED for a while (lists drop it).
            let finished = try await c.compute(.GET, "/servers/\(id)")
            #expect(finished.status == 200)
            #expect(finished.json["server"]?["status"] == "DELETED")
            #expect(try await c.serverCount() == 0)
            clock.advance(10.1)
            let gone = try await c.compute(.GET, "/servers/\(id)")
            #expect(gone.status == 404)
            #expect(gone.json["itemNotFound"]?["message"]?.stringValue == "Instance \(id) could not be found.")
            #expect(try await c.serverCount() == 0)
            #expect(try await c.compute(.DELETE, "/servers/\(id)").status == 404)
        }
    }

    @Test("fields real Nova sends: trusted_image_certificates null from 2.63, keypair deleted_at/updated_at, no maxImageMeta from 2.39")
    func contractFields() async throws {
        try await withNovaAndNeutron { _, c in
            let id = try #require(try await c.boot("vm", networks: "none").json["server"]?["id"]?.stringValue)
            let shown = try await c.compute(.GET, "/servers/\(id)")
            #expect(shown.json["server"]?.objectValue?["trusted_image_certificates"] == .null)
            let listed = try await c.compute(.GET, "/servers/detail?limit=1")
            #expect(listed.json["servers"]?.nth(0)?.objectValue?["trusted_image_certificates"] == .null)
            let early = try await c.compute(.GET, "/servers/\(id)", version: "2.62")
            #expect(early.json["server"]?.objectValue?["trusted_image_certificates"] == nil)

            #expect(try await c.compute(.POST, "/os-keypairs", ["keypair": ["name": "k"]]).status == 201)
            let keypair = try await c.compute(.GET, "/os-keypairs/k").json["keypair"]?.objectValue
            #expect(keypair?["deleted_at"] == .null)
            #expect(keypair?["updated_at"] == .null)

            let limits = try await c.compute(.GET, "/limits").json["limits"]?["absolute"]?.objectValue
            #expect(limits?["maxImageMeta"] == nil)
            #expect(limits?["maxTotalInstances"] != nil)
            let oldLimits = try await c.compute(.GET, "/limits", version: "2.38").json["limits"]?["absolute"]?.objectValue
            #expect(oldLimits?["maxImageMeta"] == 128)
        }
    }
}

extension JSONValue {
    /// Element `index` of an array value.
    func nth(_ index: Int) -> JSONValue? {
        guard let items = arrayValue, items.indices.contains(index) else { return nil }
        return items[index]
    }
}
