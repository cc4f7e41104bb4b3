import ArgumentParser
import Foundation
import GatewayTestHarness
import NIOCore
import RegionSimulator
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

    func run() async throws {
        guard let server = postgres ?? TestDatabases.postgresURL, let url = URLComponents(string: server),
              let host = url.host, let port = url.port
        else { throw ValidationError("give --postgres postgresql://user@host:port/db (or TRICIRCLE_TEST_POSTGRES_URL)") }
        setenv("TRICIRCLE_TEST_POSTGRES_URL", server, 1)
        print("Gateway <-> PostgreSQL with added latency each way (user-space proxy); \(requests) sequential calls each")
        print(row(["added", "call", "p50 ms", "p99 ms", "db round trips/call"], widths: [8, 34, 9, 9, 20]))
        for ms in latencies.split(separator: ",").compactMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) {
            let proxy = try await LatencyProxy.start(upstreamHost: host, upstreamPort: port, delay: .milliseconds(Int64(ms)))
            do {
                try await measure(addedMs: ms, proxy: proxy, server: server)
            } catch {
                await proxy.stop()
                throw error
            }
            await proxy.stop()
        }
    }

    func measure(addedMs: Int, proxy: LatencyProxy, server: String) async throws {
        // A fresh database, reached through the proxy.
        var direct = try URLComponents(string: try await TestDatabases.makeURL(.postgres)).orThrow("database URL")
        direct.host = "127.0.0.1"
        direct.port = proxy.port
        let proxied = try direct.string.orThrow("proxied URL")
        let requests = requests
        try await GatewayHarness.with(overrides: [
            "database.connection": proxied, "DEFAULT.debug": "false", "quota.instances": "-1", "quota.cores": "-1", "quota.ram": "-1",
        ]) { harness in
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

            func timed(_ label: String, route: String, method: String = "GET", _ call: () async throws -> Int) async throws {
                let before = try await roundTrips(harness, route: route, method: method)
                var samples = Samples()
                for _ in 0..<requests {
                    let start = ContinuousClock.now
                    let status = try await call()
                    guard (200..<300).contains(status) else { throw ValidationError("\(label) answered \(status)") }
                    samples.add(ContinuousClock.now - start)
                }
                let after = try await roundTrips(harness, route: route, method: method)
                let perCall = after.count > before.count ? (after.sum - before.sum) / Double(after.count - before.count) : 0
                print(row(["+\(addedMs) ms", label, String(format: "%.1f", samples.percentile(0.5) / 1000),
                           String(format: "%.1f", samples.percentile(0.99) / 1000), String(format: "%.1f", perCall)],
                          widths: [8, 34, 9, 9, 20]))
            }
            try await timed("routed GET /servers/{id} (warm)", route: "/v2.1/servers/{id}") {
                try await harness.send("GET", compute + "/servers/" + id, token: token.id).status
            }
            try await timed("merged GET /servers/detail", route: "/v2.1/servers/detail") {
                try await harness.send("GET", compute + "/servers/detail?limit=100", token: token.id).status
            }
            var n = 0
            try await timed("POST /servers (create)", route: "/v2.1/servers", method: "POST") {
                n += 1
                return try await harness.send("POST", compute + "/servers", token: token.id,
                    body: #"{"server": {"name": "wan-\#(n)", "flavorRef": "1", "imageRef": "\#(image)", "availability_zone": "az\#(n % 2 + 1)"}}"#).status
            }
            // Job claims on the gateway's own engine (every job type registered), the queue drained by its workers.
            let engine = harness.runtime.jobs
            var claims = Samples()
            for _ in 0..<requests {
                let start = ContinuousClock.now
                _ = try await engine.claim(worker: "wan-bench")
                claims.add(ContinuousClock.now - start)
            }
            print(row(["+\(addedMs) ms", "job claim (empty queue)", String(format: "%.1f", claims.percentile(0.5) / 1000),
                       String(format: "%.1f", claims.percentile(0.99) / 1000), "-"], widths: [8, 34, 9, 9, 20]))
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
