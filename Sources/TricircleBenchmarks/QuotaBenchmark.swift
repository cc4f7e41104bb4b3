import ArgumentParser
import Foundation
import GatewayTestHarness
import OpenStackModels
import TricircleCore
import TricircleStore

/// What enforcing one quota per project at the top costs a boot: servers booted through the gateway (over
/// the simulated regions, az1 and az2 alternating, a few at a time) with `[quota] enforce` on and off.
/// With it on, every boot takes a reservation (a transaction under the project's quota lock) and commits it.
struct QuotaBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quota", abstract: "Boots per second through the gateway with quota enforcement on and off.")

    @Option(help: "Servers booted per run.")
    var boots: Int = 200

    @Option(help: "Boots in flight at once.")
    var concurrency: Int = 8

    @Option(help: "State database: sqlite or postgres (postgres needs TRICIRCLE_TEST_POSTGRES_URL).")
    var backend: String = "sqlite"

    func run() async throws {
        guard let store = StoreBackendName(rawValue: backend)?.backend else { throw ValidationError("backend is sqlite or postgres") }
        print(row(["enforce", "backend", "boots", "in flight", "boots/s", "p50 ms", "p99 ms"], widths: [8, 8, 6, 9, 8, 8, 8]))
        for enforce in [false, true] {
            let (rate, samples) = try await measure(enforce: enforce, backend: store)
            print(row([enforce ? "on" : "off", backend, "\(boots)", "\(concurrency)", String(format: "%.1f", rate),
                       String(format: "%.1f", samples.percentile(0.5) / 1000), String(format: "%.1f", samples.percentile(0.99) / 1000)],
                      widths: [8, 8, 6, 9, 8, 8, 8]))
        }
    }

    func measure(enforce: Bool, backend: StoreBackend) async throws -> (Double, Samples) {
        try await GatewayHarness.with(backend: backend, overrides: ["DEFAULT.debug": "false", "quota.enforce": enforce ? "true" : "false"]) { harness in
            let token = try harness.token(user: "demo")
            let admin = try harness.token(user: "admin")
            let compute = harness.url("compute")
            // Limits high enough that nothing is refused, at the top and in each region: the cost measured is the check.
            let limits = #"{"quota_set": {"instances": 100000, "cores": 100000, "ram": 100000000}}"#
            _ = try await harness.send("PUT", compute + "/os-quota-sets/\(token.projectID)", token: admin.id, body: limits)
            for (region, _) in GatewayHarness.bottomRegions {
                guard let nova = harness.cloud.endpoint(region: region, service: .compute) else { continue }
                _ = try await harness.send("PUT", nova + "/os-quota-sets/\(token.projectID)", token: admin.id, body: limits)
            }
            // The home region's image: the gateway copies it to az2's region on the first boot there.
            guard let home = harness.cloud.store(region: GatewayHarness.bottomRegions[0].0)?.seededImageID else {
                throw ValidationError("no image in the home region")
            }
            let images = [home, home]
            // One warm-up boot per AZ (flavor catalog, image copies, the project's network at the top).
            for (index, zone) in ["az1", "az2"].enumerated() {
                _ = try await harness.send("POST", compute + "/servers", token: token.id,
                                           body: Self.body(name: "warm\(index)", image: images[index], zone: zone))
            }
            let clock = ContinuousClock()
            let started = clock.now
            // `concurrency` workers, each booting every concurrency-th server in turn.
            let (boots, concurrency) = (boots, concurrency)
            let samples = try await withThrowingTaskGroup(of: [Duration].self) { group in
                for worker in 0..<min(concurrency, boots) {
                    group.addTask {
                        var durations: [Duration] = []
                        for index in stride(from: worker, to: boots, by: concurrency) {
                            let begin = clock.now
                            let reply = try await harness.send(
                                "POST", compute + "/servers", token: token.id,
                                body: Self.body(name: "b\(index)", image: images[index % 2], zone: index % 2 == 0 ? "az1" : "az2"))
                            guard reply.status == 202 else { throw ValidationError("boot \(index): \(reply.status) \(reply.text.prefix(200))") }
                            durations.append(clock.now - begin)
                        }
                        return durations
                    }
                }
                var samples = Samples()
                for try await durations in group { for duration in durations { samples.add(duration) } }
                return samples
            }
            let elapsed = clock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            return (Double(boots) / seconds, samples)
        }
    }

    static func body(name: String, image: String, zone: String) -> String {
        String(decoding: JSONValue.object(["server": [
            "name": .string(name), "flavorRef": "1", "imageRef": .string(image), "availability_zone": .string(zone),
        ]]).encoded(), as: UTF8.self)
    }
}

/// `--backend` values.
enum StoreBackendName: String {
    case sqlite, postgres

    var backend: StoreBackend { self == .sqlite ? .sqlite : .postgres }
}
