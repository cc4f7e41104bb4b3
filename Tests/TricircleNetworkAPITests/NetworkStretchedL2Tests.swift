import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleCore
import TricircleGateway
import TricircleJobs
import TricircleStore
import TricircleTestSupport

/// Networks stretched over regions: VXLAN networks get shadow ports in the pods where a port does not
/// live, VLAN networks keep the top's segment in every pod, local networks stay in one region.
@Suite("Networks stretched over regions (L2)")
struct NetworkStretchedL2Tests {
    @Test("vxlan in az1 and az2: each pod holds its real port and a shadow of the other (same MAC and IP as the top); a third boot adds shadows; deletes remove them; the network delete leaves nothing",
          arguments: TestDatabases.backends)
    func vxlanShadowPorts(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let l2 = try L2Client(harness)
            let (networkID, _) = try await l2.neutron.networkWithSubnet("10.60.0.0/24")
            let top = try await l2.neutron.send("GET", "/networks/\(networkID)")
            let vni = try #require(top.json["network"]?["provider:segmentation_id"]?.intValue)
            #expect(top.json["network"]?["provider:network_type"] == "vxlan")

            let vm1 = try await l2.boot(networkID, az: "az1")
            let vm2 = try await l2.boot(networkID, az: "az2")
            let port1 = try await l2.topPort(of: vm1)
            let port2 = try await l2.topPort(of: vm2)

            // The same VNI in both pods.
            for region in ["RegionOne", "RegionTwo"] {
                let copy = try await l2.neutron.direct(region, "/networks?name=\(networkID)")
                #expect(copy.json["networks"]?.at(0)?["provider:segmentation_id"]?.intValue == vni, "VNI in \(region)")
                #expect(copy.json["networks"]?.at(0)?["provider:network_type"] == "vxlan")
            }
            // Each pod: its own real port and the other's shadow, with the top's MAC and address.
            try await l2.waitForShadows(networkID, in: "RegionOne", of: [port2])
            try await l2.waitForShadows(networkID, in: "RegionTwo", of: [port1])
            try await l2.expectMirrors(port2, in: "RegionOne")
            try await l2.expectMirrors(port1, in: "RegionTwo")
            #expect(try await l2.realPorts(networkID, in: "RegionOne").map(\.name) == [port1.id])
            #expect(try await l2.realPorts(networkID, in: "RegionTwo").map(\.name) == [port2.id])

            // The placements view lists the shadow with the real copy, with its state.
            let placements = try await l2.admin("GET", harness.url("network") + "/v2.0/tricircle/placements/port/\(port1.id)")
            let rows = placements.json["placements"]?.arrayValue ?? []
            #expect(rows.count == 2)
            #expect(rows.first { $0["region"] == "RegionOne" }?["shadow"] == false)
            let shadowRow = rows.first { $0["region"] == "RegionTwo" }
            #expect(shadowRow?["shadow"] == true)
            #expect(shadowRow?["state"]?.stringValue != "MISSING")
            #expect(shadowRow?["state"]?.stringValue != nil)

            // A third boot (az1): RegionTwo gets its shadow too; RegionOne has no shadow of its own ports.
            let vm3 = try await l2.boot(networkID, az: "az1")
            let port3 = try await l2.topPort(of: vm3)
            try await l2.waitForShadows(networkID, in: "RegionTwo", of: [port1, port3])
            try await l2.waitForShadows(networkID, in: "RegionOne", of: [port2])
            try await l2.expectMirrors(port3, in: "RegionTwo")

            // Deleting vm2 removes its shadow in RegionOne; the other shadows stay.
            try await l2.deleteServer(vm2)
            try await l2.waitForShadows(networkID, in: "RegionOne", of: [])
            try await l2.waitForShadows(networkID, in: "RegionTwo", of: [port1, port3])
            // The routing row goes right after the pod's delete answered.
            #expect(try await l2.shadowRowsGone(port2.id))

            try await l2.deleteServer(vm1)
            try await l2.deleteServer(vm3)
            try await l2.waitForShadows(networkID, in: "RegionTwo", of: [])

            // The network at the top goes, and no pod keeps anything of it.
            #expect(try await l2.neutron.send("DELETE", "/networks/\(networkID)").status == 204)
            for region in ["RegionOne", "RegionTwo"] {
                #expect(try await l2.neutron.direct(region, "/networks?name=\(networkID)").json["networks"] == [], "network left in \(region)")
                #expect(try await l2.neutron.direct(region, "/ports?device_owner=compute:shadow").json["ports"] == [], "shadow left in \(region)")
                for port in [port1, port2, port3] {
                    #expect(try await l2.neutron.direct(region, "/ports?name=\(port.id)").json["ports"] == [])
                }
            }
            for port in [port1, port2, port3] {
                #expect(try await l2.shadowRowsGone(port.id))
            }
        }
    }

    @Test("the shadow job converges: runs again, after a lost routing row, a duplicate or a shadow deleted behind its back, it leaves exactly one shadow per port and pod",
          arguments: TestDatabases.backends)
    func shadowJobConverges(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let l2 = try L2Client(harness)
            let (networkID, subnetID) = try await l2.neutron.networkWithSubnet("10.61.0.0/24")
            let vm1 = try await l2.boot(networkID, az: "az1")
            _ = try await l2.boot(networkID, az: "az2")
            let port1 = try await l2.topPort(of: vm1)
            try await l2.waitForShadows(networkID, in: "RegionTwo", of: [port1])

            // Twice more, nothing changes.
            for _ in 0..<2 { try await l2.runShadowJob(networkID) }
            try await l2.waitForShadows(networkID, in: "RegionTwo", of: [port1])
            let first = try #require(try await l2.shadows(networkID, in: "RegionTwo").first?.id)
            // The real port is bound by now (the server is ACTIVE): its shadow's profile names its host.
            let real = try #require(try await l2.realPorts(networkID, in: "RegionOne").first)
            #expect(!real.host.isEmpty)
            #expect(try await l2.shadows(networkID, in: "RegionTwo").first?.profile?["host"]?.stringValue == real.host)

            // A run that died after the pod's create and before its row: the row is gone, a second shadow is there.
            let pod = try await harness.pod("RegionTwo")
            let rows = try await harness.runtime.routing.routings.lookup(topID: port1.id, resourceType: .shadowPort, projectID: nil)
            #expect(rows.count == 1)
            #expect(rows.first?.bottomID == first)
            for row in rows { _ = try await harness.runtime.routing.routings.delete(row.id) }
            let bottomNetwork = try #require(try await l2.neutron.direct("RegionTwo", "/networks?name=\(networkID)").json["networks"]?.at(0)?["id"]?.stringValue)
            let duplicate = try await l2.direct("POST", "RegionTwo", "/ports", ["port": [
                "name": .string("shadow_\(port1.id)"), "network_id": .string(bottomNetwork), "device_owner": "compute:shadow",
                "project_id": .string(l2.neutron.token.projectID),
            ]])
            #expect(duplicate.status == 201)
            try await l2.runShadowJob(networkID)
            let after = try await l2.shadows(networkID, in: "RegionTwo")
            #expect(after.count == 1)
            let recorded = try await harness.runtime.routing.routings.lookup(topID: port1.id, resourceType: .shadowPort, projectID: nil)
            #expect(recorded.count == 1)
            #expect(recorded.first?.podID == pod.podID)
            #expect(recorded.first?.bottomID == after.first?.id)
            try await l2.expectMirrors(port1, in: "RegionTwo")

            // A shadow deleted in the pod behind the gateway's back is made again.
            let gone = try #require(after.first?.id)
            #expect(try await l2.direct("DELETE", "RegionTwo", "/ports/\(gone)").status == 204)
            try await l2.runShadowJob(networkID)
            let remade = try await l2.shadows(networkID, in: "RegionTwo")
            #expect(remade.count == 1)
            #expect(remade.first?.id != gone)
            #expect(try await harness.runtime.routing.routings.lookup(topID: port1.id, resourceType: .shadowPort, projectID: nil)
                .map(\.bottomID) == [remade.first?.id])
            try await l2.expectMirrors(port1, in: "RegionTwo")

            // A new address for the port at the top: its shadow follows. (One no port holds: the allocator
            // places the pods' gateway and DHCP reservations anywhere in the pool.)
            let taken = Set((try await l2.neutron.send("GET", "/ports?network_id=\(networkID)").json["ports"]?.arrayValue ?? [])
                .flatMap { $0["fixed_ips"]?.arrayValue ?? [] }.compactMap { $0["ip_address"]?.stringValue })
            let target = try #require((200...250).map { "10.61.0.\($0)" }.first { !taken.contains($0) })
            let moved = try await l2.neutron.send("PUT", "/ports/\(port1.id)", ["port": [
                "fixed_ips": [["subnet_id": .string(subnetID), "ip_address": .string(target)]],
            ]])
            #expect(moved.status == 200)
            var followed = false
            for _ in 0..<500 where !followed {
                followed = try await l2.shadows(networkID, in: "RegionTwo").map(\.addresses) == [[target]]
                if !followed { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(followed)
            try await l2.expectMirrors(try await l2.topPort(of: vm1), in: "RegionTwo")
        }
    }

    @Test("a client's port booted in az1 keeps its shadow in RegionTwo after its server goes (it still holds its address) and loses it when the port is deleted at the top",
          arguments: TestDatabases.backends)
    func userPortShadowGoesWithThePort(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let l2 = try L2Client(harness)
            let (networkID, _) = try await l2.neutron.networkWithSubnet("10.65.0.0/24")
            let mine = try await l2.neutron.create("ports", "port", ["network_id": .string(networkID), "name": "mine"])
            let portID = try #require(mine["id"]?.stringValue)
            let vm1 = try await l2.boot(port: portID, az: "az1")
            _ = try await l2.boot(networkID, az: "az2")
            let port = try await l2.topPort(of: vm1)
            #expect(port.id == portID)
            try await l2.waitForShadows(networkID, in: "RegionTwo", of: [port])
            try await l2.expectMirrors(port, in: "RegionTwo")

            try await l2.deleteServer(vm1)
            // Unbound, the port still lives in RegionOne with its address: the shadow stays.
            try await l2.runShadowJob(networkID)
            try await l2.waitForShadows(networkID, in: "RegionTwo", of: [port])

            #expect(try await l2.neutron.send("DELETE", "/ports/\(portID)").status == 204)
            #expect(try await l2.neutron.direct("RegionTwo", "/ports?name=shadow_\(portID)").json["ports"] == [])
            #expect(try await l2.neutron.direct("RegionOne", "/ports?name=\(portID)").json["ports"] == [])
            #expect(try await harness.runtime.routing.routings.lookup(topID: portID, resourceType: .shadowPort, projectID: nil).isEmpty)
        }
    }

    @Test("vlan keeps its segmentation id and physical network in both pods, flat its physical network, with no shadow ports", arguments: TestDatabases.backends)
    func vlanKeepsSegment(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let l2 = try L2Client(harness)
            let networkID = try await l2.providerNetwork(["provider:network_type": "vlan", "provider:segmentation_id": 321,
                                                          "provider:physical_network": "physnet1"], cidr: "10.62.0.0/24")
            let vm1 = try await l2.boot(networkID, az: "az1")
            let vm2 = try await l2.boot(networkID, az: "az2")
            for region in ["RegionOne", "RegionTwo"] {
                let copy = try await l2.neutron.direct(region, "/networks?name=\(networkID)")
                #expect(copy.json["networks"]?.at(0)?["provider:network_type"] == "vlan")
                #expect(copy.json["networks"]?.at(0)?["provider:segmentation_id"] == 321, "VLAN id in \(region)")
                #expect(copy.json["networks"]?.at(0)?["provider:physical_network"] == "physnet1")
            }
            // No shadow job for a vlan network: after both boots finished, neither pod has a shadow.
            try await l2.runShadowJob(networkID)
            #expect(try await l2.shadows(networkID, in: "RegionOne").isEmpty)
            #expect(try await l2.shadows(networkID, in: "RegionTwo").isEmpty)
            _ = (vm1, vm2)

            // Flat: the same physical network in both pods, no segmentation id.
            let flatID = try await l2.providerNetwork(["provider:network_type": "flat", "provider:physical_network": "physflat"],
                                                      cidr: "10.66.0.0/24")
            _ = try await l2.boot(flatID, az: "az1")
            _ = try await l2.boot(flatID, az: "az2")
            for region in ["RegionOne", "RegionTwo"] {
                let copy = try await l2.neutron.direct(region, "/networks?name=\(flatID)")
                #expect(copy.json["networks"]?.at(0)?["provider:network_type"] == "flat")
                #expect(copy.json["networks"]?.at(0)?["provider:physical_network"] == "physflat", "physnet in \(region)")
            }
            #expect(try await l2.shadows(flatID, in: "RegionOne").isEmpty)
            #expect(try await l2.shadows(flatID, in: "RegionTwo").isEmpty)
        }
    }

    @Test("a vlan network whose segment a second region cannot give: that region's boot is a 409 naming it, and nothing of the boot is left",
          arguments: TestDatabases.backends)
    func vlanSegmentTakenInSecondRegion(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let l2 = try L2Client(harness)
            let networkID = try await l2.providerNetwork(["provider:network_type": "vlan", "provider:segmentation_id": 322,
                                                          "provider:physical_network": "physnet1"], cidr: "10.63.0.0/24")
            _ = try await l2.boot(networkID, az: "az1")
            // RegionTwo's fabric already uses VLAN 322 on physnet1 for a network of its own.
            let own = try await l2.direct("POST", "RegionTwo", "/networks", ["network": [
                "name": "theirs", "provider:network_type": "vlan", "provider:segmentation_id": 322, "provider:physical_network": "physnet1",
            ]])
            #expect(own.status == 201)
            let refused = try await l2.bootReply(networkID, az: "az2")
            #expect(refused.status == 409)
            let message = refused.json["conflictingRequest"]?["message"]?.stringValue ?? refused.text
            #expect(message.contains("RegionTwo"))
            #expect(refused.json["conflictingRequest"]?["code"] == 409)
            // No copy, no port: neither in RegionTwo nor at the top.
            #expect(try await l2.neutron.direct("RegionTwo", "/networks?name=\(networkID)").json["networks"] == [])
            #expect(try await l2.neutron.send("GET", "/ports?network_id=\(networkID)&device_owner=compute:az2").json["ports"] == [])
        }
    }

    @Test("a local network stays in its first region: a boot in the second is a 400 naming the network and the region holding it",
          arguments: TestDatabases.backends)
    func localStaysInOneRegion(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let l2 = try L2Client(harness)
            let networkID = try await l2.providerNetwork(["provider:network_type": "local"], cidr: "10.64.0.0/24")
            _ = try await l2.boot(networkID, az: "az1")
            let refused = try await l2.bootReply(networkID, az: "az2")
            #expect(refused.status == 400)
            let message = refused.json["badRequest"]?["message"]?.stringValue ?? refused.text
            #expect(message.contains(networkID))
            #expect(message.contains("RegionOne"))
            #expect(try await l2.neutron.direct("RegionTwo", "/networks?name=\(networkID)").json["networks"] == [])
            #expect(try await l2.neutron.send("GET", "/ports?network_id=\(networkID)&device_owner=compute:az2").json["ports"] == [])
            // A second boot in its own region is fine.
            _ = try await l2.boot(networkID, az: "az1")
            // Hints naming two zones are refused for a local network.
            let twoZones = try await l2.admin("POST", harness.url("network") + "/v2.0/networks", ["network": [
                "name": "local2", "provider:network_type": "local", "availability_zone_hints": ["az1", "az2"],
            ]])
            #expect(twoZones.status == 400)
            #expect(twoZones.json["NeutronError"]?["type"] == "InvalidInput")
        }
    }

    @Test("first boots of a new local network in az1 and az2 at once: one region gets it, the other's boot is a 400",
          arguments: TestDatabases.backends)
    func localRaceHasOneWinner(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let l2 = try L2Client(harness)
            let networkID = try await l2.providerNetwork(["provider:network_type": "local"], cidr: "10.67.0.0/24")
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for az in ["az1", "az2"] { group.addTask { try await l2.bootReply(networkID, az: az).status } }
                var out: [Int] = []
                for try await status in group { out.append(status) }
                return out.sorted()
            }
            #expect(statuses == [202, 400])
        }
    }
}

/// A port as a pod's Neutron shows it.
struct PodPort: Sendable {
    var id: String
    var name: String
    var mac: String
    var owner: String
    var host: String
    var addresses: [String]
    var profile: JSONValue?

    init(_ item: JSONValue) {
        id = item["id"]?.stringValue ?? ""
        name = item["name"]?.stringValue ?? ""
        mac = item["mac_address"]?.stringValue ?? ""
        owner = item["device_owner"]?.stringValue ?? ""
        host = item["binding:host_id"]?.stringValue ?? ""
        addresses = item["fixed_ips"]?.arrayValue?.compactMap { $0["ip_address"]?.stringValue } ?? []
        profile = item["binding:profile"]
    }
}

/// The stretched-L2 tests' view: boots through the top's Compute API, the pods' Neutron asked directly.
struct L2Client {
    let harness: GatewayHarness
    let neutron: NeutronClient
    let adminToken: String

    init(_ harness: GatewayHarness) throws {
        self.harness = harness
        self.neutron = try NeutronClient(harness)
        self.adminToken = try harness.token(user: "admin").id
    }

    func admin(_ method: String, _ url: String, _ body: JSONValue? = nil) async throws -> HarnessReply {
        try await harness.send(method, url, token: adminToken, body: body.map { String(decoding: $0.encoded(), as: UTF8.self) })
    }

    /// A call straight to a region's Neutron (`/v2.0` + path) as the admin.
    func direct(_ method: String, _ region: String, _ path: String, _ body: JSONValue? = nil) async throws -> HarnessReply {
        guard let endpoint = harness.cloud.endpoint(region: region, service: .network) else { throw HarnessError("no network in \(region)") }
        return try await admin(method, endpoint + "/v2.0" + path, body)
    }

    /// A network with provider attributes (made by the admin for the test user's project) and one subnet.
    func providerNetwork(_ provider: [String: JSONValue], cidr: String) async throws -> String {
        var member = provider
        member["name"] = "stretched"
        member["project_id"] = .string(neutron.token.projectID)
        let reply = try await admin("POST", neutron.base + "/networks", ["network": .object(member)])
        guard reply.status == 201, let id = reply.json["network"]?["id"]?.stringValue else {
            throw HarnessError("network create: \(reply.status) \(reply.text)")
        }
        _ = try await neutron.create("subnets", "subnet", ["network_id": .string(id), "cidr": .string(cidr), "ip_version": 4])
        return id
    }

    func compute(_ method: String, _ path: String, _ body: JSONValue? = nil) async throws -> HarnessReply {
        try await harness.send(method, harness.url("compute") + path, token: neutron.token.id,
                               body: body.map { String(decoding: $0.encoded(), as: UTF8.self) })
    }

    func bootReply(_ networkID: String, az: String) async throws -> HarnessReply {
        try await bootReply(networks: [["uuid": .string(networkID)]], az: az)
    }

    func bootReply(networks: JSONValue, az: String) async throws -> HarnessReply {
        let image = try #require(harness.cloud.store(region: "RegionOne")?.seededImageID)
        return try await compute("POST", "/servers", ["server": [
            "name": "vm", "flavorRef": "1", "imageRef": .string(image), "availability_zone": .string(az), "networks": networks,
        ]])
    }

    /// Boots on the network in `az` and waits until the server is ACTIVE; returns its id.
    func boot(_ networkID: String, az: String) async throws -> String {
        try await waitActive(try await bootReply(networkID, az: az))
    }

    /// Boots on a top port in `az` and waits until the server is ACTIVE; returns its id.
    func boot(port: String, az: String) async throws -> String {
        try await waitActive(try await bootReply(networks: [["port": .string(port)]], az: az))
    }

    func waitActive(_ reply: HarnessReply) async throws -> String {
        guard reply.status == 202, let id = reply.json["server"]?["id"]?.stringValue else {
            throw HarnessError("boot failed: \(reply.status) \(reply.text)")
        }
        for _ in 0..<500 {
            if try await compute("GET", "/servers/\(id)").json["server"]?["status"] == "ACTIVE" { return id }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw HarnessError("server \(id) never became ACTIVE")
    }

    /// Deletes a server and waits until the top answers 404 for it.
    func deleteServer(_ id: String) async throws {
        #expect(try await compute("DELETE", "/servers/\(id)").status == 204)
        for _ in 0..<500 {
            if try await compute("GET", "/servers/\(id)").status == 404 { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw HarnessError("server \(id) never went")
    }

    /// The top's port of a server (its only one).
    func topPort(of serverID: String) async throws -> NeutronPort {
        let reply = try await neutron.send("GET", "/ports?device_id=\(serverID)")
        let ports = reply.json["ports"]?.arrayValue ?? []
        guard ports.count == 1, let port = ports.first else { throw HarnessError("server \(serverID) has \(ports.count) ports") }
        return try JSONDecoder().decode(NeutronPort.self, from: port.encoded())
    }

    func podPorts(_ networkID: String, in region: String, query: String = "") async throws -> [PodPort] {
        guard let bottom = try await neutron.direct(region, "/networks?name=\(networkID)").json["networks"]?.at(0)?["id"]?.stringValue else {
            return []
        }
        return try await neutron.direct(region, "/ports?network_id=\(bottom)" + query).json["ports"]?.arrayValue?.map(PodPort.init) ?? []
    }

    func shadows(_ networkID: String, in region: String) async throws -> [PodPort] {
        try await podPorts(networkID, in: region, query: "&device_owner=compute:shadow")
    }

    /// The pod's copies of top ports booted there (not shadows, not the DHCP port).
    func realPorts(_ networkID: String, in region: String) async throws -> [PodPort] {
        try await podPorts(networkID, in: region).filter { $0.owner != "network:dhcp" && $0.owner != "compute:shadow" }
    }

    /// Waits until the pod's shadows are exactly those of `ports` (by name); fails the test otherwise.
    func waitForShadows(_ networkID: String, in region: String, of ports: [NeutronPort]) async throws {
        let wanted = ports.map { "shadow_\($0.id)" }.sorted()
        var seen: [String] = []
        for _ in 0..<500 {
            seen = try await shadows(networkID, in: region).map(\.name).sorted()
            if seen == wanted { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("shadows in \(region): \(seen), wanted \(wanted)")
    }

    /// The pod's shadow of `port` has the top's MAC and addresses and says where the port lives.
    func expectMirrors(_ port: NeutronPort, in region: String) async throws {
        let shadows = try await neutron.direct(region, "/ports?name=shadow_\(port.id)").json["ports"]?.arrayValue?.map(PodPort.init) ?? []
        #expect(shadows.count == 1, "one shadow of \(port.id) in \(region)")
        guard let shadow = shadows.first else { return }
        #expect(shadow.mac == port.macAddress)
        #expect(shadow.addresses == port.fixedIPs.compactMap(\.ipAddress))
        #expect(shadow.profile?["top_port_id"]?.stringValue == port.id)
        #expect(shadow.profile?["region"]?.stringValue != region)
        #expect(shadow.profile?["region"]?.stringValue?.hasPrefix("Region") == true)
    }

    /// Waits until no `shadow_port` row is left for a port; false if one stays.
    func shadowRowsGone(_ portID: String) async throws -> Bool {
        for _ in 0..<500 {
            if try await harness.runtime.routing.routings.lookup(topID: portID, resourceType: .shadowPort, projectID: nil).isEmpty { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    /// Queues the network's shadow job and waits for it to succeed.
    func runShadowJob(_ networkID: String) async throws {
        let job = try await harness.runtime.jobs.submit(type: "shadow_port_setup", projectID: neutron.token.projectID,
                                                         resource: ["network_id": networkID])
        for _ in 0..<500 {
            let now = try await harness.runtime.jobs.get(job.id)
            if now.status == .success { return }
            if now.status == .failed { throw HarnessError("shadow job failed: \(now.lastError ?? "")") }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw HarnessError("shadow job \(job.id) did not finish")
    }
}
