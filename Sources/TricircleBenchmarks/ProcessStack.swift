import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import OpenStackClient
import RegionSimulator
import TricircleCore
import TricircleStore
import TricircleTestSupport

/// The simulated regions as a `tricircle sim` process and the gateway as a `tricircle serve` process on SQLite,
/// so the gateway's CPU and memory are its own (the bench process only sends requests and reads /proc).
final class ProcessStack: Sendable {
    static let topRegion = "CentralRegion"

    let directory: String
    let simPort: Int
    let gatewayPort: Int
    let regions: [SimulatedCloudConfiguration.Region]
    let http: HTTPClient
    let sim: SpawnedProcess
    let gateway: GatewayProcess

    var keystoneURL: String { "http://127.0.0.1:\(simPort)/v3" }
    /// "compute" -> http://127.0.0.1:<gatewayPort - 1>/v2.1 and so on, as the sandbox lays the ports out.
    func gatewayURL(_ api: String, projectID: String = "") -> String {
        switch api {
        case "compute": return "http://127.0.0.1:\(gatewayPort - 1)/v2.1"
        case "volume": return "http://127.0.0.1:\(gatewayPort - 2)/v3/\(projectID)"
        case "network": return "http://127.0.0.1:\(gatewayPort - 3)"
        case "image": return "http://127.0.0.1:\(gatewayPort - 4)"
        default: return "http://127.0.0.1:\(gatewayPort)/v1.0"
        }
    }

    private init(directory: String, simPort: Int, gatewayPort: Int, regions: [SimulatedCloudConfiguration.Region],
                 http: HTTPClient, sim: SpawnedProcess, gateway: GatewayProcess) {
        self.directory = directory
        self.simPort = simPort
        self.gatewayPort = gatewayPort
        self.regions = regions
        self.http = http
        self.sim = sim
        self.gateway = gateway
    }

    /// Starts `tricircle sim` (`regions` bottom regions after CentralRegion, with `simArguments`), waits until it
    /// printed "Ready." (seeding is done by then), registers the pods in a new SQLite state database, lets `prepare`
    /// write what else the top should hold, then starts `tricircle serve` on it and waits until it answers.
    static func start(
        executable: String, label: String, regions count: Int, services: String, simPort: Int, gatewayPort: Int,
        simArguments: [String] = [], config: String = "", http: HTTPClient,
        prepare: @Sendable (StateStore, [Pod], _ demoProjectID: String) async throws -> Void = { _, _, _ in }
    ) async throws -> ProcessStack {
        let directory = try emptyDirectory(NSTemporaryDirectory() + "tricircle-bench-\(label)-\(ProcessInfo.processInfo.processIdentifier)")
        let regions = SimulatedCloudConfiguration.regions(count)
        let sim = try SpawnedProcess(
            path: executable,
            arguments: ["sim", "--regions", "\(count)", "--base-port", "\(simPort)", "--top-region", topRegion,
                        "--unlimited-quotas", "--services", services] + simArguments,
            output: directory + "/sim.log")
        do {
            try await waitForLine("Ready.", in: directory + "/sim.log", process: sim, seconds: 900)
            let databaseURL = "sqlite://\(directory)/tricircle.sqlite"
            let keystoneURL = "http://127.0.0.1:\(simPort)/v3"
            try await TestDatabases.withStore(url: databaseURL) { store in
                try await store.migrate()
                let podStore = PodStore(store: store)
                _ = try await podStore.create(regionName: topRegion, azName: "")
                var pods: [Pod] = []
                for region in regions {
                    pods.append(try await podStore.create(regionName: region.name, azName: region.availabilityZone, podAZName: region.availabilityZone))
                }
                let demo = try await token(http: http, keystoneURL: keystoneURL, user: "demo", password: "demopass")
                try await prepare(store, pods, demo.projectID)
            }
            let configPath = try GatewayConfigFile.write(
                directory: directory, databaseURL: databaseURL, keystoneURL: keystoneURL, gatewayPort: gatewayPort,
                topRegion: topRegion, imageHomeRegion: regions.first?.name ?? topRegion, extra: config)
            let gateway = GatewayProcess(
                executable: executable, arguments: ["serve", "--config-file", configPath], log: directory + "/gateway.log",
                readyURL: "http://127.0.0.1:\(gatewayPort - 1)/", http: http)
            try await gateway.start()
            return ProcessStack(directory: directory, simPort: simPort, gatewayPort: gatewayPort, regions: regions,
                                http: http, sim: sim, gateway: gateway)
        } catch {
            kill(sim.pid, SIGTERM)
            _ = await sim.wait()
            throw error
        }
    }

    /// Stops the gateway and the simulator (SIGTERM, then waits for both).
    func stop() async {
        await gateway.stop()
        kill(sim.pid, SIGTERM)
        _ = await sim.wait()
    }

    static func waitForLine(_ line: String, in path: String, process: SpawnedProcess, seconds: Int) async throws {
        let deadline = ContinuousClock.now.advanced(by: .seconds(seconds))
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), text.contains(line) { return }
            if process.exited { throw ValidationError("tricircle sim exited while starting; see \(path)") }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ValidationError("tricircle sim did not print \(line) within \(seconds) s; see \(path)")
    }

    /// Resident memory of the gateway process, MiB (VmRSS in /proc).
    var gatewayRSS: Double { Self.rss(pid: gateway.pid) }

    static func rss(pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return 0 }
        return kilobytes / 1024
    }

    /// A token of the simulated Keystone: (id, project id).
    func token(user: String = "demo", password: String = "demopass") async throws -> (id: String, projectID: String) {
        try await Self.token(http: http, keystoneURL: keystoneURL, user: user, password: password)
    }

    static func token(http: HTTPClient, keystoneURL: String, user: String, password: String) async throws -> (id: String, projectID: String) {
        let body = #"{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "\#(user)", "domain": {"id": "default"}, "password": "\#(password)"}}}, "scope": {"project": {"name": "\#(user)", "domain": {"id": "default"}}}}}"#
        var request = HTTPClientRequest(url: keystoneURL + "/auth/tokens")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await http.execute(request, timeout: .seconds(10))
        let data = try await response.body.collect(upTo: 4 << 20)
        guard let id = response.headers["X-Subject-Token"].first,
              let object = try JSONSerialization.jsonObject(with: Data(buffer: data)) as? [String: Any],
              let project = (object["token"] as? [String: Any])?["project"] as? [String: Any],
              let projectID = project["id"] as? String
        else { throw ValidationError("simulated Keystone refused \(user): \(response.status)") }
        return (id, projectID)
    }

    /// Every region's service URLs, from the simulator's `/sim/endpoints`.
    func endpoints() async throws -> [String: [String: String]] {
        let (status, data) = try await Self.send(http, "GET", "http://127.0.0.1:\(simPort)/sim/endpoints", token: nil)
        guard status == 200, let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let regions = object["regions"] as? [String: [String: String]]
        else { throw ValidationError("/sim/endpoints answered \(status)") }
        return regions
    }

    /// One request: status and body.
    static func send(_ http: HTTPClient, _ method: String, _ url: String, token: String?, body: String? = nil) async throws -> (Int, Data) {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        if let token { request.headers.add(name: "X-Auth-Token", value: token) }
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await http.execute(request, timeout: .seconds(120))
        let data = try await response.body.collect(upTo: 256 << 20)
        return (Int(response.status.code), Data(buffer: data))
    }

    func send(_ method: String, _ url: String, token: String?, body: String? = nil) async throws -> (Int, Data) {
        try await Self.send(http, method, url, token: token, body: body)
    }

    /// The bench's HTTP client: enough connections per host for hundreds of calls at once.
    static func makeHTTPClient() -> HTTPClient {
        HTTPClient(eventLoopGroupProvider: .singleton,
                   configuration: SharedHTTPClient.configuration(connectTimeout: .seconds(30), maxConnectionsPerHost: 600))
    }

    /// The `tricircle` executable next to this one unless given.
    static func executable(_ given: String?) throws -> String {
        let path = given ?? (URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path + "/tricircle")
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw ValidationError("no tricircle executable at \(path) (swift build --product tricircle, or --tricircle PATH)")
        }
        return path
    }

    /// `path`, emptied (what an earlier run left there removed) or made; returns it.
    static func emptyDirectory(_ path: String) throws -> String {
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The 1-minute load average now (the machine is shared: every figure is read next to it).
    static var loadAverage: String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
    }
}

/// Appends rows to a CSV file (header written when the file is new) and returns every row it holds.
enum BenchCSV {
    @discardableResult
    static func append(_ path: String, header: String, rows: [[String]]) throws -> [[String]] {
        var text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        if text.isEmpty { text = header + "\n" }
        if !text.hasSuffix("\n") { text += "\n" }
        for row in rows { text += row.map(RoutedResult.quoted).joined(separator: ",") + "\n" }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return text.split(separator: "\n").dropFirst().map { RoutedResult.splitCSV(String($0)) }
    }
}
