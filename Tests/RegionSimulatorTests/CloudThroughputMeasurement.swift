import AsyncHTTPClient
import Foundation
import NIOCore
import OpenStackModels
import RegionSimulator
import Testing

/// Not a test: a measurement of how many requests per second one simulator process serves.
/// Run with `SIM_MEASURE=1 swift test --filter CloudThroughputMeasurement` (release: add `-c release`).
@Suite("Simulator throughput (measurement)", .enabled(if: ProcessInfo.processInfo.environment["SIM_MEASURE"] != nil))
struct CloudThroughputMeasurement {
    @Test("requests per second for show-server and list with 10k servers in a region")
    func measure() async throws {
        let servers = Int(ProcessInfo.processInfo.environment["SIM_SERVERS"] ?? "") ?? 10_000
        let seconds = Double(ProcessInfo.processInfo.environment["SIM_SECONDS"] ?? "") ?? 3
        let concurrency = Int(ProcessInfo.processInfo.environment["SIM_CONCURRENCY"] ?? "") ?? 32
        try await withCloud(.testing()) { cloud, client, tokens in
            guard let store = cloud.store(region: "RegionOne"),
                let demo = cloud.identity.validate(token: tokens.demo)
            else { throw SimTestError.noToken }
            let ids = store.seedServers(count: servers, projectID: demo.projectID, userID: demo.userID, availabilityZone: "az1")
            let nova = try cloud.url(.compute)
            let scenarios: [(String, @Sendable (Int) -> String)] = [
                ("GET /servers/{id}", { i in nova + "/servers/" + ids[i % ids.count] }),
                ("GET /servers?limit=100", { _ in nova + "/servers?limit=100" }),
                ("GET /servers/detail?limit=100", { _ in nova + "/servers/detail?limit=100" }),
                ("GET /servers/detail?limit=100&marker=mid", { _ in nova + "/servers/detail?limit=100&marker=\(ids[ids.count / 2])" }),
                ("GET /servers/detail?name=seed-99$", { _ in nova + "/servers/detail?name=seed-99$" }),
            ]
            var lines: [String] = []
            for (name, url) in scenarios {
                let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
                let start = ContinuousClock.now
                let total = try await withThrowingTaskGroup(of: Int.self) { group in
                    for worker in 0..<concurrency {
                        group.addTask {
                            var done = 0
                            while ContinuousClock.now < deadline {
                                let reply = try await client.send(.GET, url(worker &* 7919 &+ done), token: tokens.demo)
                                if reply.status != 200 { throw SimTestError.timedOut }
                                done += 1
                            }
                            return done
                        }
                    }
                    return try await group.reduce(0, +)
                }
                let elapsed = ContinuousClock.now - start
                let secondsTaken = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                lines.append(String(format: "%@: %.0f req/s (%d requests, %d clients)", name, Double(total) / secondsTaken, total, concurrency))
            }
            print("SIM-MEASURE servers=\(servers)\n" + lines.joined(separator: "\n"))
        }
    }

    @Test("startup time of 100 regions with every service (500 listeners)")
    func hundredRegions() async throws {
        let start = ContinuousClock.now
        let config = SimulatedCloudConfiguration(regions: SimulatedCloudConfiguration.regions(100), quotaDefaults: .unlimited)
        try await SimulatedCloud.withRunning(config) { cloud in
            let ready = ContinuousClock.now - start
            guard let store = cloud.store(region: "Region100") else { throw SimTestError.noEndpoint }
            let seedStart = ContinuousClock.now
            for index in 1...100 {
                let name = index <= 10 ? SimulatedCloudConfiguration.regions(100)[index - 1].name : "Region\(index)"
                cloud.store(region: name)?.seedServers(count: 10_000, projectID: "p", userID: "u", availabilityZone: "az\(index)")
            }
            _ = store
            let rss = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8))?
                .split(separator: "\n").first { $0.hasPrefix("VmRSS") } ?? "VmRSS unknown"
            print("SIM-MEASURE 100 regions ready in \(ready); seeding 1M servers took \(ContinuousClock.now - seedStart); \(rss)")
        }
    }
}
