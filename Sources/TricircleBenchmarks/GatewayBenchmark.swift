import ArgumentParser
import Foundation
import GatewayTestHarness
import Logging
import RegionSimulator
import TricircleCore

/// What the gateway costs and saves: a routed server GET through the gateway next to the same GET sent
/// straight to the region and through nginx `proxy_pass` (wrk, same run), and a merged server list over
/// 10 and 50 pods that each answer 50 ms late (the original asked pods one after another).
struct GatewayBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway", abstract: "Routed GET vs direct vs nginx (wrk); merged lists over many slow pods.")

    @Option(help: "wrk duration per target, seconds.")
    var seconds: Int = 10

    @Option(help: "wrk connections.")
    var connections: Int = 32

    @Option(help: "wrk threads.")
    var threads: Int = 2

    @Option(help: "Pod counts for the list scenario (comma-separated; empty skips it).")
    var podCounts: String = "10,50"

    @Option(help: "Latency injected into every pod's Compute API for the list scenario, milliseconds.")
    var podLatencyMs: Int = 50

    @Option(help: "Servers per pod in the list scenario.")
    var serversPerPod: Int = 20

    @Option(help: "Sequential list requests measured per pod count.")
    var listRequests: Int = 40

    @Option(help: "Name of this run in the CSV and chart (e.g. before, after).")
    var label: String = "run"

    @Option(help: "Append the routed-GET rows to this CSV file (created with a header when missing).")
    var csv: String?

    @Option(help: "Draw every run in the CSV file as an SVG chart here (needs --csv).")
    var svg: String?

    @Option(help: "Targets of the routed GET (comma-separated among region,nginx,gateway).")
    var targets: String = "region,nginx,gateway"

    func run() async throws {
        // Log as `tricircle serve` does by default (text at info), not with swift-log's fallback handler.
        LoggingSystem.bootstrap { label in TextLogHandler(label: label) }
        try await routedGet()
        for count in podCounts.split(separator: ",").compactMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) where count > 0 {
            try await mergedList(pods: count)
        }
    }

    // MARK: routed GET

    func routedGet() async throws {
        guard let wrk = Self.which("wrk") else { throw ValidationError("wrk not found (apt-get install wrk)") }
        try await GatewayHarness.with(overrides: ["DEFAULT.debug": "false"]) { harness in
            let token = try harness.token(user: "demo")
            guard let store = harness.cloud.store(region: "RegionTwo"),
                  let nova = harness.cloud.endpoint(region: "RegionTwo", service: .compute)
            else { throw ValidationError("simulated RegionTwo did not start") }
            let ids = store.seedServers(count: 1000, projectID: token.projectID, userID: token.userID, availabilityZone: "az2")
            let pod = try await harness.pod("RegionTwo")
            for id in ids {
                try await harness.runtime.routing.record(topID: id, bottomID: id, podID: pod.podID, projectID: token.projectID, type: .server)
            }
            let id = ids[ids.count / 2]
            let gatewayURL = harness.url("compute") + "/servers/" + id
            let check = try await harness.send("GET", gatewayURL, token: token.id)
            guard check.status == 200 else { throw ValidationError("gateway GET answered \(check.status): \(check.text)") }

            let nginx = try NginxProxy(upstream: nova)
            defer { nginx.stop() }
            try await nginx.waitUntilServing()

            print("Routed GET /servers/{id}: wrk -t\(threads) -c\(connections) -d\(seconds)s, same process serves the simulated region")
            print(row(["target", "req/s", "p50", "p90", "p99"], widths: [34, 10, 10, 10, 10]))
            let chosen = Set(targets.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            let all = [
                ("region", "region directly", nova + "/servers/" + id),
                ("nginx", "nginx proxy_pass -> region", nginx.url + "/servers/" + id),
                ("gateway", "tricircle gateway (routed)", gatewayURL),
            ]
            var results: [RoutedResult] = []
            for (key, name, url) in all where chosen.contains(key) {
                let result = try Self.runWrk(wrk, url: url, token: token.id, threads: threads, connections: connections, seconds: seconds)
                print(row([name, String(format: "%.0f", result.rate), result.p50, result.p90, result.p99], widths: [34, 10, 10, 10, 10]))
                results.append(RoutedResult(
                    label: label, target: name, rate: result.rate, p50: Self.milliseconds(result.p50),
                    p90: Self.milliseconds(result.p90), p99: Self.milliseconds(result.p99)))
            }
            try record(results)
        }
    }

    /// Appends this run's rows to `--csv` and redraws `--svg` from every run the file holds.
    func record(_ results: [RoutedResult]) throws {
        guard let csv else { return }
        try RoutedResult.record(results, csv: csv, svg: svg, title: "Routed GET /v2.1/servers/{id}: wrk -t\(threads) -c\(connections), per target and run")
    }

    /// wrk's "2.31ms" / "850.00us" / "1.20s" in milliseconds (0 when unreadable).
    static func milliseconds(_ text: String) -> Double {
        for (unit, factor) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0)] where text.hasSuffix(unit) {
            return (Double(text.dropLast(unit.count)) ?? 0) * factor
        }
        return 0
    }

    struct WrkResult {
        var rate: Double
        var p50: String
        var p90: String
        var p99: String
    }

    /// `extraArguments`: e.g. ["-s", "post.lua"] for a wrk script that sends a body.
    static func runWrk(
        _ wrk: String, url: String, token: String, threads: Int, connections: Int, seconds: Int, extraArguments: [String] = []
    ) throws -> WrkResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: wrk)
        process.arguments = ["-t\(threads)", "-c\(connections)", "-d\(seconds)s", "--latency", "-H", "X-Auth-Token: \(token)"] + extraArguments + [url]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        func field(_ prefix: String) -> String {
            output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                .first { $0.hasPrefix(prefix) }?.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.map(String.init) ?? "?"
        }
        if output.contains("Non-2xx") { throw ValidationError("wrk saw errors for \(url):\n\(output)") }
        return WrkResult(rate: Double(field("Requests/sec:")) ?? 0, p50: field("50%"), p90: field("90%"), p99: field("99%"))
    }

    static func which(_ tool: String) -> String? {
        for dir in ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(tool)") {
            return "\(dir)/\(tool)"
        }
        return nil
    }

    // MARK: merged list over slow pods

    func mergedList(pods count: Int) async throws {
        let names = SimulatedCloudConfiguration.regions(count, services: [.compute, .image])
        let pods = names.map { ($0.name, $0.availabilityZone) }
        var regions = [SimulatedCloudConfiguration.Region(name: GatewayHarness.topRegion, availabilityZone: "central", services: [])]
        regions += names
        let cloudConfiguration = SimulatedCloudConfiguration(regions: regions, quotaDefaults: .unlimited)
        try await GatewayHarness.with(
            overrides: ["client.list_timeout": "5"], pods: pods, cloudConfiguration: cloudConfiguration
        ) { harness in
            let token = try harness.token(user: "demo")
            for region in names {
                _ = harness.cloud.store(region: region.name)?.seedServers(
                    count: serversPerPod, projectID: token.projectID, userID: token.userID, availabilityZone: region.availabilityZone)
                harness.cloud.setFault(FaultSettings(latencyMs: Double(podLatencyMs)), region: region.name, service: .compute)
            }
            let url = harness.url("compute") + "/servers/detail?limit=100"
            let warm = try await harness.send("GET", url, token: token.id)
            guard warm.status == 200 else { throw ValidationError("list answered \(warm.status): \(warm.text)") }
            var samples = Samples()
            var returned = 0
            for _ in 0..<listRequests {
                let start = ContinuousClock.now
                let reply = try await harness.send("GET", url, token: token.id)
                samples.add(ContinuousClock.now - start)
                guard reply.status == 200 else { throw ValidationError("list answered \(reply.status)") }
                if case .object(let body) = reply.json, case .array(let servers) = body["servers"] { returned = servers.count }
            }
            let serial = Double(count * podLatencyMs)
            print(String(format: "Merged GET /servers/detail?limit=100 over %d pods x %d ms: p50 %.1f ms, p99 %.1f ms (%d servers per page; pods asked one after another: >= %.0f ms)",
                         count, podLatencyMs, samples.percentile(0.5) / 1000, samples.percentile(0.99) / 1000, returned, serial))
        }
    }
}

/// nginx started on a free port with `proxy_pass` to one upstream, keep-alive on both sides (a fair
/// reverse-proxy baseline), in its own temporary prefix.
final class NginxProxy: @unchecked Sendable {
    let process = Process()
    let url: String
    let directory: String

    init(upstream: String) throws {
        guard let nginx = GatewayBenchmark.which("nginx") else { throw ValidationError("nginx not found (apt-get install nginx-light)") }
        guard let components = URLComponents(string: upstream), let host = components.host, let upstreamPort = components.port else {
            throw ValidationError("bad upstream \(upstream)")
        }
        let port = Int.random(in: 40000..<50000)
        directory = NSTemporaryDirectory() + "tricircle-nginx-\(port)"
        try FileManager.default.createDirectory(atPath: directory + "/logs", withIntermediateDirectories: true)
        let conf = """
            worker_processes 2;
            daemon off;
            pid \(directory)/nginx.pid;
            error_log \(directory)/logs/error.log warn;
            events { worker_connections 1024; }
            http {
                access_log off;
                client_body_temp_path \(directory)/body;
                proxy_temp_path \(directory)/proxy;
                fastcgi_temp_path \(directory)/fastcgi;
                uwsgi_temp_path \(directory)/uwsgi;
                scgi_temp_path \(directory)/scgi;
                upstream region { server \(host):\(upstreamPort); keepalive 64; }
                server {
                    listen 127.0.0.1:\(port);
                    location / {
                        proxy_pass http://region\(components.path)/;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                    }
                }
            }
            """
        try conf.write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: nginx)
        process.arguments = ["-p", directory, "-c", directory + "/nginx.conf"]
        try process.run()
        url = "http://127.0.0.1:\(port)"
    }

    func waitUntilServing() async throws {
        for _ in 0..<50 {
            if FileManager.default.fileExists(atPath: directory + "/nginx.pid") { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ValidationError("nginx did not start: see \(directory)/logs/error.log")
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}
