import Foundation
import GatewayTestHarness
import OpenStackModels
import RegionSimulator
import TricircleComputeAPI
import TricircleCore
import TricircleGateway

/// A user's view of the top's Compute API in a harness.
struct ComputeClient {
    let harness: GatewayHarness
    let token: SimulatedToken

    init(_ harness: GatewayHarness, user: String = "demo") throws {
        self.harness = harness
        self.token = try harness.token(user: user)
    }

    /// The top's "/v2.1".
    var base: String { harness.url("compute") }

    func send(_ method: String, _ path: String, _ body: JSONValue? = nil, version: String? = nil) async throws -> HarnessReply {
        let text = body.map { String(decoding: $0.encoded(), as: UTF8.self) }
        let url = path.hasPrefix("http") ? path : base + path
        var headers: [(String, String)] = []
        if let version { headers.append(("OpenStack-API-Version", "compute \(version)")) }
        return try await harness.send(method, url, token: token.id, body: text, headers: headers)
    }

    /// A call straight to a region's Nova (not through the gateway), to see what the pod holds.
    func direct(_ region: String, _ path: String, version: String? = nil) async throws -> HarnessReply {
        guard let endpoint = harness.cloud.endpoint(region: region, service: .compute) else { throw HarnessError("no compute in \(region)") }
        var headers: [(String, String)] = []
        if let version { headers.append(("OpenStack-API-Version", "compute \(version)")) }
        return try await harness.send("GET", endpoint + path, token: token.id, headers: headers)
    }

    /// An image a boot in `az` can use: the home image when the image provisioner copies it, else the
    /// pod's own seeded image (the simulated Nova checks images against its own region's Glance).
    func image(for az: String) async throws -> String {
        let region = GatewayHarness.bottomRegions.first { $0.1 == az }?.0 ?? "RegionOne"
        let compute = harness.assembly.frontEnds.compactMap { $0 as? ComputeFrontEnd }.first
        let home = GatewayHarness.bottomRegions[0].0
        let regionForImage = compute?.provisioners.image == nil ? region : home
        guard let id = harness.cloud.store(region: regionForImage)?.seededImageID else { throw HarnessError("no store for \(region)") }
        return id
    }

    /// Boots a server at the top in `az` and returns its id.
    func boot(_ name: String, az: String?, extra: [String: JSONValue] = [:]) async throws -> String {
        var server: [String: JSONValue] = ["name": .string(name), "flavorRef": "1", "imageRef": .string(try await image(for: az ?? "az1"))]
        if let az { server["availability_zone"] = .string(az) }
        server.merge(extra) { _, new in new }
        let reply = try await send("POST", "/servers", ["server": .object(server)])
        guard reply.status == 202, let id = reply.json["server"]?["id"]?.stringValue else {
            throw HarnessError("boot \(name) failed: \(reply.status) \(reply.text)")
        }
        return id
    }

    /// Waits (briefly: the harness settles transitions in 20 ms) until a server has `status`.
    func waitFor(_ id: String, status: String) async throws {
        for _ in 0..<300 {
            let reply = try await send("GET", "/servers/\(id)")
            if reply.json["server"]?["status"]?.stringValue == status { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw HarnessError("server \(id) never became \(status)")
    }

    /// Every id of a merged list, page by page through the next links.
    func walk(_ path: String, version: String? = nil) async throws -> (ids: [String], pages: Int) {
        var ids: [String] = []
        var pages = 0
        var next: String? = path
        while let url = next, pages < 100 {
            let reply = try await send("GET", url, version: version)
            guard reply.status == 200 else { throw HarnessError("list \(url): \(reply.status) \(reply.text)") }
            ids += reply.json["servers"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            next = reply.json["servers_links"]?.arrayValue?.first { $0["rel"] == "next" }?["href"]?.stringValue
            pages += 1
        }
        return (ids, pages)
    }
}
