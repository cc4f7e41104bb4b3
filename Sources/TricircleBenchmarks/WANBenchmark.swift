import ArgumentParser
import Foundation
import GatewayTestHarness
import Logging
import NIOCore
import RegionSimulator
import Synchronization
import TricircleCore
@_spi(Benchmarks) import TricircleJobs
import TricircleStore
import TricircleTestSupport

/// A gateway on one site, its PostgreSQL on another: the same calls with 0, 20, 50 and 100 ms added each way
/// between the gateway and the database (a user-space latency proxy), with the state database round trips each
/// call made (read from the gateway's own `tricircle_store_round_trips` series).
struct WANBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wan", abstract: "Routed GET, server create, merged list and job claim with the database far away.")

    @Option(help: "Latencies added each way between gateway and database, milliseconds (comma-separated).")
    var latencies: String = "0,20,50,100"

    @Option(help: "Requests measured per call type and latency.")
    var requests: Int = 20

    @Option(help: "PostgreSQL server URL; default TRICIRCLE_TEST_POSTGRES_URL.")
    var postgres: String?

    @Option(help: "Name of this run in the CSV and chart (e.g. before, after).")
    var label: String = "run"

    @Option(help: "Append the rows to this CSV file (created with a header when missing; rows of the same label replaced).")
    var csv: String?

    @Option(help: "Draw p50 per call type against added latency, every run of the CSV file, as an SVG here (needs --csv).")
    var svg: String?

    @Flag(help: "Only print the SQL of each statement one server create sends (at the first latency), nothing timed.")
    var statements = false

    func run() async throws {
        guard let server = postgres ?? TestDatabases.postgresURL, let url = URLComponents(string: server),
              let host = url.host, let port = url.port
        else { throw ValidationError("give --postgres postgresql://user@host:port/db (or TRICIRCLE_TEST_POSTGRES_URL)") }
        setenv("TRICIRCLE_TEST_POSTGRES_URL", server, 1)
        // The gateway logs each request's statements at trace level; only those lines are printed.
        let printStatements = statements
        LoggingSystem.bootstrap { label -> any LogHandler in printStatements ? StatementLogHandler() : TextLogHandler(label: label) }
        print("Gateway <-> PostgreSQL with added latency each way (user-space proxy); \(requests) sequential calls each")
        print(row(["added", "call", "p50 ms", "p99 ms", "db round trips/call"], widths: [8, 34, 9, 9, 20]))
        var results: [WANResult] = []
        for ms in latencies.split(separator: ",").compactMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) {
            let proxy = try await LoopbackProxy.start(upstreamHost: host, upstreamPort: port, delay: .milliseconds(ms))
            do {
                results += try await measure(addedMs: ms, proxy: proxy, server: server)
            } catch {
                await proxy.stop()
                throw error
            }
            await proxy.stop()
            if statements { return }
        }
        try record(results)
    }

    /// Puts this run's rows into `--csv` (replacing an earlier run of the same label) and redraws `--svg`.
    func record(_ results: [WANResult]) throws {
        guard let csv else { return }
        let existing = (try? String(contentsOfFile: csv, encoding: .utf8)).map(WANResult.read(csv:)) ?? []
        let rows = existing.filter { $0.label != label } + results
        try ([WANResult.header] + rows.map(\.csv)).joined(separator: "\n").appending("\n").write(toFile: csv, atomically: true, encoding: .utf8)
        if let svg {
            let chart = BenchChart.latencyLinesSVG(
                rows, title: "Database far away: p50 per call against latency added each way (gateway <-> PostgreSQL)")
            try chart.write(toFile: svg, atomically: true, encoding: .utf8)
        }
    }

    func measure(addedMs: Int, proxy: LoopbackProxy, server: String) async throws -> [WANResult] {
        // A fresh database, reached through the proxy.
        var direct = try URLComponents(string: try await TestDatabases.makeURL(.postgres)).orThrow("database URL")
        direct.host = "127.0.0.1"
        direct.port = proxy.port
        let proxied = try direct.string.orThrow("proxied URL")
        let requests = requests
        let label = label
        let traced = statements
        return try await GatewayHarness.with(overrides: [
            "database.connection": proxied, "DEFAULT.debug": "false", "quota.instances": "-1", "quota.cores": "-1", "quota.ram": "-1",
        ]) { harness in
            var results: [WANResult] = []
            let token = try harness.token(user: "demo")
            let compute = harness.url("compute")
            // A server to route to, known to the routing table (warm after the first GET).
            let booted = try await harness.send("POST", compute + "/servers", token: token.id,
                                                body: #"{"server": {"name": "wan-0", "flavorRef": "1", "imageRef": "\#(try await topImage(harness, token.id))", "availability_zone": "az2"}}"#)
            guard booted.status == 202, let id = booted.json["server"]?["id"]?.stringValue else {
                throw ValidationError("boot at the top answered \(booted.status): \(booted.text)")
            }
            _ = try await harness.send("GET", compute + "/servers/" + id, token: token.id)
            let image = try await topImage(harness, token.id)

            func timed(_ call: String, route: String, method: String = "GET", _ send: () async throws -> Int) async throws {
                let before = try await roundTrips(harness, route: route, method: method)
                var samples = Samples()
                for _ in 0..<requests {
                    let start = ContinuousClock.now
                    let status = try await send()
                    guard (200..<300).contains(status) else { throw ValidationError("\(call) answered \(status)") }
                    samples.add(ContinuousClock.now - start)
                }
                let after = try await roundTrips(harness, route: route, method: method)
                let perCall = after.count > before.count ? (after.sum - before.sum) / Double(after.count - before.count) : 0
                print(row(["+\(addedMs) ms", call, String(format: "%.1f", samples.percentile(0.5) / 1000),
                           String(format: "%.1f", samples.percentile(0.99) / 1000), String(format: "%.1f", perCall)],
                          widths: [8, 34, 9, 9, 20]))
                results.append(WANResult(label: label, addedMs: addedMs, call: call, p50: samples.percentile(0.5) / 1000,
                                         p99: samples.percentile(0.99) / 1000, roundTrips: perCall))
            }
            try await timed("routed GET /servers/{id} (warm)", route: "/v2.1/servers/{id}") {
                try await harness.send("GET", compute + "/servers/" + id, token: token.id).status
            }
            try await timed("merged GET /servers/detail", route: "/v2.1/servers/detail") {
                try await harness.send("GET", compute + "/servers/detail?limit=100", token: token.id).status
            }
            var n = 0
            if traced {
                // Two creates (one per AZ, so each AZ's flavor mapping exists), then one printed: the gateway logs
                // each request's statements at trace level and StatementLogHandler prints them while `shown` is on.
                for az in ["az1", "az2", "az1"] {
                    if az == "az1", n == 2 { StatementLogHandler.shown.store(true, ordering: .relaxed) }
                    n += 1
                    let reply = try await harness.send("POST", compute + "/servers", token: token.id,
                        body: #"{"server": {"name": "wan-\#(n)", "flavorRef": "1", "imageRef": "\#(image)", "availability_zone": "\#(az)"}}"#)
                    guard reply.status == 202 else { throw ValidationError("create answered \(reply.status)") }
                }
                StatementLogHandler.shown.store(false, ordering: .relaxed)
                return results
            }
            try await timed("POST /servers (create)", route: "/v2.1/servers", method: "POST") {
                n += 1
                return try await harness.send("POST", compute + "/servers", token: token.id,
                    body: #"{"server": {"name": "wan-\#(n)", "flavorRef": "1", "imageRef": "\#(image)", "availability_zone": "az\#(n % 2 + 1)"}}"#).status
            }
            // Job claims on the gateway's own engine (every job type registered), the queue drained by its workers.
            let engine = harness.runtime.jobs
            var claims = Samples()
            let claimTrips = StoreRoundTrips()
            for _ in 0..<requests {
                let start = ContinuousClock.now
                _ = try await StoreRoundTrips.$current.withValue(claimTrips) { try await engine.claim(worker: "wan-bench") }
                claims.add(ContinuousClock.now - start)
            }
            let claimPerCall = Double(claimTrips.count) / Double(max(1, requests))
            print(row(["+\(addedMs) ms", "job claim (empty queue)", String(format: "%.1f", claims.percentile(0.5) / 1000),
                       String(format: "%.1f", claims.percentile(0.99) / 1000), String(format: "%.1f", claimPerCall)],
                      widths: [8, 34, 9, 9, 20]))
            results.append(WANResult(label: label, addedMs: addedMs, call: "job claim (empty queue)", p50: claims.percentile(0.5) / 1000,
                                     p99: claims.percentile(0.99) / 1000, roundTrips: claimPerCall))
            return results
        }
    }

    func topImage(_ harness: GatewayHarness, _ token: String) async throws -> String {
        let images = try await harness.send("GET", harness.url("image") + "/v2/images", token: token)
        return try (images.json["images"]?.arrayValue?.first?["id"]?.stringValue).orThrow("no image at the top")
    }

    /// Sum and count of `tricircle_store_round_trips` for one compute route, from the gateway's /metrics.
    func roundTrips(_ harness: GatewayHarness, route: String, method: String) async throws -> (sum: Double, count: Int) {
        let text = try await harness.send("GET", harness.origin("admin") + "/metrics", token: nil).text
        let labels = #"{api="compute",method="\#(method)",route="\#(route)"}"#
        func value(_ name: String) -> Double {
            text.split(separator: "\n").first { $0.hasPrefix(name + labels) }
                .flatMap { $0.split(separator: " ").last }.flatMap { Double($0) } ?? 0
        }
        return (value("tricircle_store_round_trips_sum"), Int(value("tricircle_store_round_trips_count")))
    }
}

extension Optional {
    func orThrow(_ what: String) throws -> Wrapped {
        guard let self else { throw ValidationError("missing \(what)") }
        return self
    }
}

/// The bench's log handler with `--statements`: every logger runs at trace level (so the gateway keeps each
/// request's SQL) and only the "store statements" lines are printed, while `shown` is on.
struct StatementLogHandler: LogHandler {
    static let shown = Atomic<Bool>(false)

    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        guard message.description == "store statements", Self.shown.load(ordering: .relaxed),
              case .array(let statements)? = metadata?["statements"] else { return }
        print("\(statements.count) statements (\(metadata?["route"].map { "\($0)" } ?? "")):")
        for (index, statement) in statements.enumerated() { print(String(format: "%3d ", index + 1) + "\(statement)") }
    }
}
