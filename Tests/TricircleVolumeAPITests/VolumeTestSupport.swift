import Foundation
import GatewayTestHarness
import OpenStackModels
import RegionSimulator

/// A user's view of the top's Block Storage API in a harness.
struct VolumeClient {
    let harness: GatewayHarness
    let token: SimulatedToken

    init(_ harness: GatewayHarness, user: String = "demo") throws {
        self.harness = harness
        self.token = try harness.token(user: user)
    }

    /// The top's "/v3/{project}" for this user.
    var base: String { harness.url("volume", projectID: token.projectID) }

    func send(_ method: String, _ path: String, _ body: JSONValue? = nil, headers: [(String, String)] = []) async throws -> HarnessReply {
        let text = body.map { String(decoding: $0.encoded(), as: UTF8.self) }
        let url = path.hasPrefix("http") ? path : base + path
        return try await harness.send(method, url, token: token.id, body: text, headers: headers)
    }

    /// Creates a volume at the top and returns its id.
    func createVolume(name: String, zone: String?, size: Int = 1, extra: [String: JSONValue] = [:]) async throws -> String {
        var volume: [String: JSONValue] = ["name": .string(name), "size": .int(size)]
        if let zone { volume["availability_zone"] = .string(zone) }
        volume.merge(extra) { _, new in new }
        let reply = try await send("POST", "/volumes", ["volume": .object(volume)])
        guard reply.status == 202, let id = reply.json["volume"]?["id"]?.stringValue else {
            throw HarnessError("create \(name) failed: \(reply.status) \(reply.text)")
        }
        return id
    }

    /// Waits (briefly: the harness settles transitions in 20 ms) until a volume or snapshot has `status`.
    func waitFor(_ path: String, member: String, status: String) async throws {
        for _ in 0..<200 {
            let reply = try await send("GET", path)
            if reply.json[member]?["status"]?.stringValue == status { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw HarnessError("\(path) never became \(status)")
    }

    /// Every id of a merged list, page by page through the next links.
    func walk(_ path: String, collection: String) async throws -> (ids: [String], pages: Int) {
        var ids: [String] = []
        var pages = 0
        var next: String? = path
        while let url = next, pages < 100 {
            let reply = try await send("GET", url)
            guard reply.status == 200 else { throw HarnessError("list \(url): \(reply.status) \(reply.text)") }
            ids += reply.json[collection]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            next = reply.json[collection + "_links"]?.arrayValue?.first { $0["rel"] == "next" }?["href"]?.stringValue
            pages += 1
        }
        return (ids, pages)
    }
}
