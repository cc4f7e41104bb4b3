import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OpenStackClient
import OpenStackModels
import RegionSimulator
import TricircleCore
import TricircleGateway
import TricircleServer
import TricircleStore
import TricircleTestSupport

/// The whole gateway over a simulated cloud on loopback, for front-end tests: simulated Keystone,
/// `CentralRegion` (the top: the gateway's own endpoints are registered there), `RegionOne`/az1 and
/// `RegionTwo`/az2 as pods, every front-end and two job workers running.
public final class GatewayHarness: Sendable {
    public let cloud: SimulatedCloud
    public let assembly: GatewayAssembly
    /// An HTTP client for the test's own requests.
    public let http: HTTPClient
    /// Front-end name ("admin", "compute", ...) -> bound port.
    public let ports: [String: Int]

    public var runtime: GatewayRuntime { assembly.runtime }

    /// The top region's name.
    public static let topRegion = "CentralRegion"
    /// The bottom regions and their AZs.
    public static let bottomRegions = [("RegionOne", "az1"), ("RegionTwo", "az2")]

    init(cloud: SimulatedCloud, assembly: GatewayAssembly, http: HTTPClient, ports: [String: Int]) {
        self.cloud = cloud
        self.assembly = assembly
        self.http = http
        self.ports = ports
    }

    /// "http://127.0.0.1:<port>" of a front-end.
    public func origin(_ frontEnd: String) -> String { "http://127.0.0.1:\(ports[frontEnd] ?? 0)" }

    /// The catalog URL of a front-end as clients see it (e.g. ".../v2.1" for compute).
    public func url(_ frontEnd: String, projectID: String? = nil) -> String {
        let path = assembly.frontEnds.first { $0.name == frontEnd }?.catalogPath ?? ""
        let filled = projectID.map { path.replacingOccurrences(of: "$(project_id)s", with: $0) } ?? path
        return origin(frontEnd) + filled
    }

    /// A project-scoped token from the simulated Keystone (users: admin/secret, demo/demopass, alt_demo/altpass).
    public func token(user: String = "demo", password: String? = nil, project: String? = nil) throws -> SimulatedToken {
        let passwords = ["admin": "secret", "demo": "demopass", "alt_demo": "altpass", "tricircle": "servicepass"]
        guard let token = cloud.identity.issueToken(
            userName: user, password: password ?? passwords[user] ?? "", projectName: project ?? (user == "tricircle" ? "service" : user))
        else { throw HarnessError("simulated Keystone refused \(user)") }
        return token
    }

    /// The pod registered for a region.
    public func pod(_ region: String) async throws -> Pod {
        guard let pod = try await runtime.pods.get(regionName: region) else { throw HarnessError("no pod for \(region)") }
        return pod
    }

    /// Sends a request and returns status, headers and body text.
    public func send(
        _ method: String, _ url: String, token: String?, body: String? = nil, headers: [(String, String)] = []
    ) async throws -> HarnessReply {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        if let token { request.headers.add(name: "X-Auth-Token", value: token) }
        request.headers.add(name: "Accept", value: "application/json")
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        if let body {
            if request.headers["Content-Type"].isEmpty { request.headers.add(name: "Content-Type", value: "application/json") }
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await http.execute(request, timeout: .seconds(60))
        let collected = try await response.body.collect(upTo: 64 << 20)
        return HarnessReply(status: Int(response.status.code), headers: response.headers, body: collected)
    }

    /// Runs `body` with a fresh harness on `backend`, then stops everything.
    /// `overrides` are extra config values ("client.list_timeout": "0.5").
    /// `pods` are the bottom regions and their AZs (default RegionOne/az1, RegionTwo/az2); a given
    /// `cloudConfiguration` must contain them and the top region.
    public static func with<T: Sendable>(
        backend: StoreBackend = .sqlite, overrides: [String: String] = [:],
        pods: [(String, String)] = bottomRegions,
        cloudConfiguration: SimulatedCloudConfiguration? = nil,
        _ body: @Sendable (GatewayHarness) async throws -> T
    ) async throws -> T {
        var regions = [SimulatedCloudConfiguration.Region(name: topRegion, availabilityZone: "central", services: [])]
        regions += pods.map { SimulatedCloudConfiguration.Region(name: $0.0, availabilityZone: $0.1) }
        var configuration = cloudConfiguration ?? SimulatedCloudConfiguration(regions: regions, transitionDelay: .milliseconds(20))
        // Reboots and rebuilds as quick as every other transition: tests wait for ACTIVE, not for a sandbox's seconds.
        if cloudConfiguration == nil { configuration.restartDelay = .milliseconds(20) }
        // Tests fire many requests at once (50 parallel port creates): enough connections that none waits
        // for the pool on a loaded machine.
        let http = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: SharedHTTPClient.configuration(connectTimeout: .seconds(60), maxConnectionsPerHost: 128))
        defer { _ = http.shutdown() }
        return try await SimulatedCloud.withRunning(configuration) { cloud in
            var values: [String: String] = [
                "DEFAULT.bind_host": "127.0.0.1",
                "keystone_authtoken.auth_url": cloud.identityURL,
                "database.connection": try await TestDatabases.makeURL(backend),
                "client.top_region_name": topRegion,
                "image.home_region": pods.first?.0 ?? topRegion,
                "job.workers": "2",
                "job.poll_interval": "0.05",
                "job.backoff_base_seconds": "0.05",
            ]
            for key in ["admin_port", "compute_port", "volume_port", "image_port", "network_port", "database_port"] {
                values["gateway." + key] = "0"
            }
            values.merge(overrides) { _, new in new }
            let config = try TricircleConfig.defaults(overrides: values)
            let assembly = try await GatewayAssembly.start(config: config)
            for region in [topRegion] where try await assembly.runtime.pods.get(regionName: region) == nil {
                _ = try await assembly.runtime.pods.create(regionName: region, azName: "")
            }
            for (region, az) in pods {
                _ = try await assembly.runtime.pods.create(regionName: region, azName: az, podAZName: az)
            }
            let listening = AsyncStream<(String, Int)>.makeStream()
            let expected = Set(["admin"] + assembly.frontEnds.map(\.name))
            do {
                let result: T? = try await withThrowingTaskGroup(of: T?.self) { group -> T? in
                    group.addTask {
                        try await assembly.run(components: .all) { name, port in listening.continuation.yield((name, port)) }
                        return nil
                    }
                    var ports: [String: Int] = [:]
                    for await (name, port) in listening.stream {
                        ports[name] = port
                        if expected.isSubset(of: Set(ports.keys)) { break }
                    }
                    for frontEnd in assembly.frontEnds {
                        let path = frontEnd.catalogPath
                        for serviceType in frontEnd.catalogServiceTypes {
                            for interface in ["public", "internal", "admin"] {
                                cloud.identity.setEndpoint(
                                    region: topRegion, serviceType: serviceType, serviceName: "tricircle-" + frontEnd.name,
                                    interface: interface, url: "http://127.0.0.1:\(ports[frontEnd.name] ?? 0)" + path)
                            }
                        }
                    }
                    let harness = GatewayHarness(cloud: cloud, assembly: assembly, http: http, ports: ports)
                    defer { group.cancelAll() }
                    return try await body(harness)
                }
                await assembly.shutdown()
                guard let result else { throw HarnessError("gateway stopped early") }
                return result
            } catch {
                await assembly.shutdown()
                throw error
            }
        }
    }
}

/// A reply to `GatewayHarness.send`.
public struct HarnessReply: Sendable {
    public let status: Int
    public let headers: HTTPHeaders
    public let body: ByteBuffer

    /// The body as text.
    public var text: String { String(buffer: body) }

    /// The body parsed as JSON (null when it is not JSON).
    public var json: JSONValue { (try? body.withUnsafeReadableBytes({ try JSONValue(bytes: $0) })) ?? .null }

    /// The first value of a header.
    public func header(_ name: String) -> String? { headers[name].first }
}

/// A harness set-up failure.
public struct HarnessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
