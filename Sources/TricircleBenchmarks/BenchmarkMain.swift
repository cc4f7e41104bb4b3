import ArgumentParser
import Foundation

/// `tricircle-bench`: measurements that are not tests. Results go to BENCHMARKS.md by hand, with the machine.
@main
struct TricircleBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tricircle-bench",
        abstract: "Benchmarks for the Tricircle gateway (run with -c release).",
        subcommands: [RoutingBenchmark.self, JobsBenchmark.self, SimulatorBenchmark.self, GatewayBenchmark.self, ImageBenchmark.self,
                       PortAllocationBenchmark.self, ChaosBenchmark.self, WANBenchmark.self, QuotaBenchmark.self,
                       FailoverBenchmark.self, ScaleListBenchmark.self, CreateStormBenchmark.self,
                       ServiceRoutedBenchmark.self, JSONBenchmark.self])
}

/// Latency samples with percentiles.
struct Samples {
    private(set) var nanos: [UInt64] = []

    mutating func add(_ d: Duration) {
        let (s, atto) = d.components
        nanos.append(UInt64(s) * 1_000_000_000 + UInt64(atto / 1_000_000_000))
    }

    func percentile(_ p: Double) -> Double {
        guard !nanos.isEmpty else { return 0 }
        let sorted = nanos.sorted()
        let i = min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))
        return Double(sorted[i]) / 1000
    }

    /// "p50 12.3 µs  p99 45.6 µs"
    var summary: String {
        String(format: "p50 %8.1f µs  p99 %8.1f µs", percentile(0.5), percentile(0.99))
    }
}

/// Prints a table row with padded columns.
func row(_ columns: [String], widths: [Int]) -> String {
    zip(columns, widths).map { c, w in c.padding(toLength: max(w, c.count), withPad: " ", startingAt: 0) }.joined(separator: "  ")
}

/// `tricircle-bench jobs`: job engine throughput and claim latency at depth.
struct JobsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "jobs", abstract: "Jobs per second and claim latency at a deep queue.")

    @Option(help: "Jobs per throughput run.")
    var jobs: Int = 5000

    @Option(help: "Queued jobs behind the claim-latency measurement.")
    var queueDepth: Int = 100_000

    @Option(help: "Claims sampled at that depth.")
    var claims: Int = 2000

    @Option(help: "PostgreSQL server URL; default TRICIRCLE_TEST_POSTGRES_URL.")
    var postgres: String?

    func run() async throws {
        let url = postgres ?? ProcessInfo.processInfo.environment["TRICIRCLE_TEST_POSTGRES_URL"]
        try await runJobBenchmarks(postgresURL: (url ?? "").isEmpty ? nil : url, jobs: jobs, queueDepth: queueDepth, claims: claims)
    }
}
