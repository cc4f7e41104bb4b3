import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OpenStackModels
import RegionSimulator
import Synchronization

/// An HTTP answer from a simulated service.
struct SimReply: Sendable {
    let status: Int
    let headers: HTTPHeaders
    let body: [UInt8]

    var json: JSONValue { (try? JSONValue(data: Data(body))) ?? .null }
    var text: String { String(decoding: body, as: UTF8.self) }
    func header(_ name: String) -> String? { headers.first(name: name) }
}

/// Tokens of the seeded users.
struct SimTokens: Sendable {
    let admin: String
    let demo: String
    let altDemo: String
    let demoProject: String
    let altProject: String
}

/// AsyncHTTPClient over loopback, for the simulator's listeners.
struct SimHTTPClient: Sendable {
    let http: HTTPClient

    func send(
        _ method: HTTPMethod, _ url: String, token: String? = nil, json: JSONValue? = nil, bytes: [UInt8]? = nil,
        headers: [(String, String)] = [], timeout: TimeAmount = .seconds(10)
    ) async throws -> SimReply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "X-Auth-Token", value: token) }
        request.headers.add(name: "Accept", value: "application/json")
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: Array(json.encoded())))
        }
        if let bytes {
            request.headers.add(name: "Content-Type", value: "application/octet-stream")
            request.body = .bytes(ByteBuffer(bytes: bytes))
        }
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        let response = try await http.execute(request, timeout: timeout)
        let body = try await response.body.collect(upTo: 64 << 20)
        return SimReply(status: Int(response.status.code), headers: response.headers, body: Array(body.readableBytesView))
    }
}

extension SimulatedCloudConfiguration {
    /// One region, fast transitions, unlimited quotas: what most tests want.
    static func testing(
        regions: [Region] = [Region(name: "RegionOne", availabilityZone: "az1", services: [.compute, .volume, .image])],
        transition: Duration = .milliseconds(30), clock: ManualClock? = nil
    ) -> SimulatedCloudConfiguration {
        let now: @Sendable () -> Date
        if let clock { now = { clock.now } } else { now = { Date() } }
        return SimulatedCloudConfiguration(regions: regions, transitionDelay: transition, quotaDefaults: .unlimited, now: now)
    }
}

/// A clock tests advance by hand, so status transitions are stepped, not waited for.
final class ManualClock: Sendable {
    private let value = Mutex(Date(timeIntervalSince1970: 1_750_000_000))
    var now: Date { value.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { value.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// Runs `body` against a freshly started cloud on ephemeral loopback ports.
func withCloud(
    _ configuration: SimulatedCloudConfiguration = .testing(),
    _ body: @escaping @Sendable (SimulatedCloud, SimHTTPClient, SimTokens) async throws -> Void
) async throws {
    let http = HTTPClient(eventLoopGroupProvider: .singleton)
    do {
        try await SimulatedCloud.withRunning(configuration) { cloud in
            let identity = cloud.identity
            guard let admin = identity.issueToken(userName: "admin", password: "secret", projectName: "admin"),
                let demo = identity.issueToken(userName: "demo", password: "demopass", projectName: "demo"),
                let alt = identity.issueToken(userName: "alt_demo", password: "altpass", projectName: "alt_demo")
            else { throw SimTestError.noToken }
            let tokens = SimTokens(
                admin: admin.id, demo: demo.id, altDemo: alt.id, demoProject: demo.projectID, altProject: alt.projectID)
            try await body(cloud, SimHTTPClient(http: http), tokens)
        }
    } catch {
        try? await http.shutdown()
        throw error
    }
    try await http.shutdown()
}

enum SimTestError: Error { case noToken, noEndpoint, timedOut }

extension SimulatedCloud {
    /// The endpoint or a test failure.
    func url(_ service: SimulatedCloudConfiguration.ServiceKind, region: String = "RegionOne") throws -> String {
        guard let url = endpoint(region: region, service: service) else { throw SimTestError.noEndpoint }
        return url
    }
}

/// Polls `check` until it returns true (every 10 ms, at most `attempts` times).
func eventually(attempts: Int = 300, _ check: () async throws -> Bool) async throws {
    for _ in 0..<attempts {
        if try await check() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    throw SimTestError.timedOut
}

/// `{"server": {...}}` for a minimal boot in the seeded region (no `networks`: before 2.37 that is Nova's
/// "the one available network, if any"; the string "auto" would be refused there, as in Nova).
func bootBody(_ cloud: SimulatedCloud, name: String, region: String = "RegionOne", extra: [String: JSONValue] = [:]) -> JSONValue {
    let image = cloud.store(region: region)?.seededImageID ?? ""
    var server: [String: JSONValue] = ["name": .string(name), "imageRef": .string(image), "flavorRef": "1"]
    for (key, value) in extra { server[key] = value }
    return ["server": .object(server)]
}
