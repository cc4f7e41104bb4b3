import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import RegionSimulator

/// How much one simulator process serves: requests/s on a region with many servers, and the start-up and
/// memory cost of 100 regions with 10k servers each.
struct SimulatorBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "simulator", abstract: "Simulator throughput and scale.")

    @Option(help: "Servers seeded in the measured region.")
    var servers: Int = 10_000

    @Option(help: "Seconds per scenario.")
    var seconds: Double = 3

    @Option(help: "Concurrent clients.")
    var concurrency: Int = 32

    @Option(help: "Regions for the scale run (0 skips it).")
    var regions: Int = 100

    @Option(help: "Servers per region in the scale run.")
    var serversPerRegion: Int = 10_000

    func run() async throws {
        let config = SimulatedCloudConfiguration(
            regions: [.init(name: "RegionOne", availabilityZone: "az1", services: [.compute])], quotaDefaults: .unlimited)
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await SimulatedCloud.withRunning(config) { cloud in
                guard let demo = cloud.identity.issueToken(userName: "demo", password: "demopass", projectName: "demo"),
                      let store = cloud.store(region: "RegionOne"),
                      let nova = cloud.endpoint(region: "RegionOne", service: .compute)
                else { throw ValidationError("simulator did not start") }
                let token = demo.id
                let ids = store.seedServers(count: servers, projectID: demo.projectID, userID: demo.userID, availabilityZone: "az1")
                let scenarios: [(String, @Sendable (Int) -> String)] = [
                    ("GET /servers/{id}", { i in nova + "/servers/" + ids[i % ids.count] }),
                    ("GET /servers?limit=100", { _ in nova + "/servers?limit=100" }),
                    ("GET /servers/detail?limit=100", { _ in nova + "/servers/detail?limit=100" }),
                    ("GET /servers/detail?limit=100&marker=<middle>", { _ in nova + "/servers/detail?limit=100&marker=\(ids[ids.count / 2])" }),
                ]
                print("Simulated Nova, \(servers) servers in one region, \(concurrency) clients, \(seconds) s each")
                for (name, url) in scenarios {
                    let rate = try await measure(http: http, token: token, url: url)
                    print(row([name, String(format: "%.0f req/s", rate)], widths: [48, 14]))
                }
            }
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
        if regions > 0 { try await scale() }
    }

    /// Sends requests from `concurrency` clients for `seconds`; returns requests per second.
    func measure(http: HTTPClient, token: String, url: @escaping @Sendable (Int) -> String) async throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start.advanced(by: .milliseconds(Int(seconds * 1000)))
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var done = 0
                    while clock.now < deadline {
                        var request = HTTPClientRequest(url: url(worker &* 7919 &+ done))
                        request.headers.add(name: "X-Auth-Token", value: token)
                        let response = try await http.execute(request, timeout: .seconds(30))
                        _ = try await response.body.collect(upTo: 64 << 20)
                        guard response.status == .ok else { throw ValidationError("status \(response.status)") }
                        done += 1
                    }
                    return done
                }
            }
            return try await group.reduce(0, +)
        }
        return Double(total) / (clock.now - start).seconds
    }

    /// Start-up time and resident memory of `regions` regions with every service and seeded servers.
    func scale() async throws {
        let start = ContinuousClock.now
        let names = SimulatedCloudConfiguration.regions(regions)
        let config = SimulatedCloudConfiguration(regions: names, quotaDefaults: .unlimited)
        try await SimulatedCloud.withRunning(config) { cloud in
            let ready = ContinuousClock.now - start
            let seedStart = ContinuousClock.now
            for region in names {
                _ = cloud.store(region: region.name)?.seedServers(
                    count: serversPerRegion, projectID: "p", userID: "u", availabilityZone: region.availabilityZone)
            }
            let seeded = ContinuousClock.now - seedStart
            let rss = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8))?
                .split(separator: "\n").first { $0.hasPrefix("VmRSS") }.map(String.init) ?? "VmRSS unknown"
            print("\(regions) regions x 5 services (\(regions * 5 + 1) listeners) ready in \(String(format: "%.2f", ready.seconds)) s; "
                  + "\(regions * serversPerRegion) servers seeded in \(String(format: "%.1f", seeded.seconds)) s; \(rss)")
        }
    }
}
