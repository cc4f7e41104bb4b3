import ArgumentParser
import Foundation
import Logging
import TricircleCore
import TricircleGateway
import TricircleStore
import TricircleTestSupport

/// Routed-lookup cost with N routing rows, on SQLite and PostgreSQL: straight from the database and through
/// the routing service's cache.
struct RoutingBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "routing", abstract: "Routed-lookup cost with 1k and 1M rows.")

    @Option(help: "Row counts to measure, comma-separated.")
    var rows: String = "1000,1000000"

    @Option(help: "Lookups per measurement.")
    var lookups: Int = 20000

    @Option(help: "PostgreSQL server URL (a new database is created on it); default TRICIRCLE_TEST_POSTGRES_URL.")
    var postgres: String?

    func run() async throws {
        let counts = rows.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        var backends: [StoreBackend] = [.sqlite]
        if let url = postgres ?? TestDatabases.postgresURL {
            setenv("TRICIRCLE_TEST_POSTGRES_URL", url, 1)
            backends.append(.postgres)
        }
        print(row(["backend", "rows", "fill", "db lookup", "db lookups/s", "cached lookup", "cached lookups/s"],
                  widths: [8, 9, 8, 32, 12, 32, 14]))
        for backend in backends {
            for count in counts {
                let store = try await TestDatabases.makeStore(backend)
                let fillStart = ContinuousClock.now
                let pod = try await PodStore(store: store).create(regionName: "RegionBench", azName: "az1")
                try await fill(store: store, podID: pod.podID, count: count)
                let fillTime = ContinuousClock.now - fillStart
                let service = RoutingService(store: store, cacheTime: .seconds(600), cacheSize: 2_000_000)
                let db = try await measure(count: count) { id in
                    _ = try await service.routings.lookup(topID: id, resourceType: .server, projectID: "p")
                }
                let cached = try await measure(count: count) { id in
                    _ = try await service.resolve(topID: id, type: .server, projectID: "p")
                }
                print(row([backend.rawValue, "\(count)", String(format: "%.1fs", fillTime.seconds),
                           db.samples.summary, String(format: "%.0f", db.rate),
                           cached.samples.summary, String(format: "%.0f", cached.rate)],
                          widths: [8, 9, 8, 32, 12, 32, 14]))
                try await store.close()
            }
        }
    }

    /// Inserts `count` server rows in large multi-row statements (the benchmark's set-up, not measured).
    func fill(store: StateStore, podID: String, count: Int) async throws {
        let batch = 500
        let now = Timestamp.now()
        var start = 0
        while start < count {
            let range = start..<min(count, start + batch)
            try await store.transaction { db in
                var values: [String] = []
                values.reserveCapacity(range.count)
                for i in range {
                    values.append("('r\(i)', 'srv-\(i)', 'srv-\(i)', '\(podID)', 'p', 'server', '\(now)', '\(now)')")
                }
                // Built from integers and a generated uuid only, so raw SQL is safe here.
                try await db.raw("""
                    INSERT INTO resource_routings (id, top_id, bottom_id, pod_id, project_id, resource_type, created_at, updated_at)
                    VALUES \(unsafeRaw: values.joined(separator: ","))
                    """).run()
            }
            start = range.upperBound
        }
    }

    /// Looks up random existing ids; returns latency samples and sequential lookups per second.
    func measure(count: Int, _ body: (String) async throws -> Void) async throws -> (samples: Samples, rate: Double) {
        var samples = Samples()
        var generator = SystemRandomNumberGenerator()
        // Warm the cache and connections with the same ids we measure, so "cached" means cached.
        let ids = (0..<lookups).map { _ in "srv-\(Int.random(in: 0..<count, using: &generator))" }
        for id in ids.prefix(min(ids.count, 2 * count)) { try await body(id) }
        let clock = ContinuousClock()
        let total = try await clock.measure {
            for id in ids {
                let t = clock.now
                try await body(id)
                samples.add(clock.now - t)
            }
        }
        return (samples, Double(lookups) / total.seconds)
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
