import ArgumentParser
import Foundation
import GatewayTestHarness
import OpenStackModels
import TricircleCore
import TricircleStore
import TricircleTestSupport

/// `tricircle-bench ports`: port creates through the top's Networking API (central IP and MAC allocation,
/// one transaction per port), one at a time and many at once, on an empty subnet and on one that already
/// holds many ports (the allocator must not slow down as the subnet fills).
struct PortAllocationBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ports", abstract: "Ports/s at the top's Neutron: sequential and concurrent creates, empty and filled subnets.")

    @Option(help: "Ports created per measurement.")
    var ports: Int = 1000

    @Option(help: "Ports in flight in the concurrent measurement.")
    var concurrency: Int = 50

    @Option(help: "Ports already in the subnet before measuring (comma-separated, one run each).")
    var prefill: String = "0,5000"

    @Option(help: "Prefix length of the subnet (IPv4).")
    var prefix: Int = 16

    @Option(help: "Backends (comma-separated): sqlite, postgres (needs TRICIRCLE_TEST_POSTGRES_URL).")
    var backends: String = "sqlite"

    func run() async throws {
        let chosen = backends.split(separator: ",").compactMap { StoreBackend(rawValue: $0.trimmingCharacters(in: .whitespaces)) }
        let fills = prefill.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        print("Port creates at the top (POST /v2.0/ports, one /\(prefix) subnet, \(ports) ports per run)")
        print(row(["backend", "prefilled", "mode", "ports/s", "latency"], widths: [9, 10, 14, 9, 34]))
        for backend in chosen {
            for fill in fills {
                try await measure(backend: backend, prefilled: fill)
            }
        }
    }

    func measure(backend: StoreBackend, prefilled: Int) async throws {
        try await GatewayHarness.with(backend: backend, overrides: ["DEFAULT.debug": "false"]) { harness in
            let demo = try harness.token(user: "demo")
            let admin = try harness.token(user: "admin")
            let base = harness.url("network") + "/v2.0"
            @Sendable func post(_ path: String, _ body: JSONValue, token: String) async throws -> JSONValue {
                let reply = try await harness.send("POST", base + path, token: token, body: String(decoding: body.encoded(), as: UTF8.self))
                guard reply.status == 201 else { throw ValidationError("POST \(path) answered \(reply.status): \(reply.text)") }
                return reply.json
            }
            // The default port quota (500) would stop the run: unlimited for the benchmark's project.
            let quota = try await harness.send("PUT", base + "/quotas/\(demo.projectID)", token: admin.id,
                                               body: #"{"quota": {"port": -1}}"#)
            guard quota.status == 200 else { throw ValidationError("quota update answered \(quota.status): \(quota.text)") }
            let network = try await post("/networks", ["network": ["name": "bench"]], token: demo.id)
            let networkID = network["network"]?["id"] ?? .null
            _ = try await post("/subnets", ["subnet": [
                "network_id": networkID, "cidr": .string("10.0.0.0/\(prefix)"), "ip_version": 4,
            ]], token: demo.id)
            let create: @Sendable () async throws -> Duration = {
                let clock = ContinuousClock()
                let start = clock.now
                _ = try await post("/ports", ["port": ["network_id": networkID]], token: demo.id)
                return clock.now - start
            }
            // Prefill concurrently (not measured).
            try await Self.run(prefilled, concurrency: concurrency, create)

            for (mode, width) in [("1 at a time", 1), ("\(concurrency) at once", concurrency)] {
                let clock = ContinuousClock()
                let start = clock.now
                let samples = try await Self.run(ports, concurrency: width, create)
                let elapsed = clock.now - start
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                print(row([backend.rawValue, "\(prefilled)", mode, String(format: "%.0f", Double(ports) / seconds), samples.summary],
                          widths: [9, 10, 14, 9, 34]))
            }
        }
    }

    /// Runs `count` creates with at most `concurrency` in flight; their latencies.
    @discardableResult
    static func run(_ count: Int, concurrency: Int, _ create: @escaping @Sendable () async throws -> Duration) async throws -> Samples {
        var samples = Samples()
        guard count > 0 else { return samples }
        try await withThrowingTaskGroup(of: Duration.self) { group in
            var started = 0
            while started < min(concurrency, count) {
                group.addTask { try await create() }
                started += 1
            }
            while let latency = try await group.next() {
                samples.add(latency)
                if started < count {
                    group.addTask { try await create() }
                    started += 1
                }
            }
        }
        return samples
    }
}
