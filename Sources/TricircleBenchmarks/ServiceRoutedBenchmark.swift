import ArgumentParser
import Foundation
import GatewayTestHarness
import Logging
import RegionSimulator
import TricircleCore

/// The routed-GET table of `tricircle-bench gateway` for Block Storage and Networking: a volume GET (routed to
/// the volume's region) and a port create (made at the top, where Networking allocates addresses) through the
/// gateway, next to the same call sent straight to the simulated region and through nginx `proxy_pass` (wrk).
struct ServiceRoutedBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "services", abstract: "Volume GET and port create: region directly vs nginx vs the gateway (wrk).")

    @Option(help: "wrk duration per target, seconds.")
    var seconds: Int = 8

    @Option(help: "wrk connections.")
    var connections: Int = 32

    @Option(help: "wrk threads.")
    var threads: Int = 2

    @Option(help: "Targets (comma-separated among region,nginx,gateway).")
    var targets: String = "region,nginx,gateway"

    @Option(help: "Calls (comma-separated among volume-get,port-create).")
    var calls: String = "volume-get,port-create"

    @Option(help: "Name of this run in the CSV and chart.")
    var label: String = "run"

    @Option(help: "Append the rows to this CSV file.")
    var csv: String?

    @Option(help: "Draw every run in the CSV file as an SVG chart here.")
    var svg: String?

    func run() async throws {
        LoggingSystem.bootstrap { label in TextLogHandler(label: label) }
        guard let wrk = GatewayBenchmark.which("wrk") else { throw ValidationError("wrk not found (apt-get install wrk)") }
        let chosen = Set(targets.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        let wanted = Set(calls.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        let overrides = ["DEFAULT.debug": "false", "quota.port": "-1", "quota.volumes": "-1", "quota.gigabytes": "-1"]
        let results: [RoutedResult] = try await GatewayHarness.with(overrides: overrides) { harness in
            let token = try harness.token(user: "demo")
            var results: [RoutedResult] = []
            print("wrk -t\(threads) -c\(connections) -d\(seconds)s per target; the simulated regions run in this process; load \(ProcessStack.loadAverage)")
            print(row(["call / target", "req/s", "p50", "p90", "p99"], widths: [44, 10, 10, 10, 10]))
            func measure(_ call: String, _ targetsAndURLs: [(String, String, String)], extra: [String]) throws {
                for (key, name, url) in targetsAndURLs where chosen.contains(key) {
                    let result = try GatewayBenchmark.runWrk(
                        wrk, url: url, token: token.id, threads: threads, connections: connections, seconds: seconds, extraArguments: extra)
                    let target = "\(call): \(name)"
                    print(row([target, String(format: "%.0f", result.rate), result.p50, result.p90, result.p99], widths: [44, 10, 10, 10, 10]))
                    results.append(RoutedResult(
                        label: label, target: target, rate: result.rate, p50: GatewayBenchmark.milliseconds(result.p50),
                        p90: GatewayBenchmark.milliseconds(result.p90), p99: GatewayBenchmark.milliseconds(result.p99)))
                }
            }

            if wanted.contains("volume-get") {
                guard let cinder = harness.cloud.endpoint(region: "RegionTwo", service: .volume) else {
                    throw ValidationError("simulated RegionTwo has no Cinder")
                }
                let volumes = harness.url("volume", projectID: token.projectID) + "/volumes"
                let made = try await harness.send("POST", volumes, token: token.id, body: #"{"volume": {"size": 1, "name": "bench-vol", "availability_zone": "az2"}}"#)
                guard made.status == 202, let id = made.json["volume"]?["id"]?.stringValue else {
                    throw ValidationError("volume create through the gateway answered \(made.status): \(made.text)")
                }
                let nginx = try NginxProxy(upstream: cinder)
                defer { nginx.stop() }
                try await nginx.waitUntilServing()
                let check = try await harness.send("GET", volumes + "/" + id, token: token.id)
                guard check.status == 200 else { throw ValidationError("gateway volume GET answered \(check.status)") }
                let path = "/\(token.projectID)/volumes/\(id)"
                try measure("GET volume", [
                    ("region", "region directly", cinder + path),
                    ("nginx", "nginx proxy_pass -> region", nginx.url + path),
                    ("gateway", "tricircle gateway (routed)", volumes + "/" + id),
                ], extra: [])
            }

            if wanted.contains("port-create") {
                guard let neutron = harness.cloud.endpoint(region: "RegionOne", service: .network) else {
                    throw ValidationError("simulated RegionOne has no Neutron")
                }
                let top = harness.url("network")
                func network(at base: String) async throws -> String {
                    let net = try await harness.send("POST", base + "/v2.0/networks", token: token.id, body: #"{"network": {"name": "bench-ports"}}"#)
                    guard net.status == 201, let id = net.json["network"]?["id"]?.stringValue else {
                        throw ValidationError("network create at \(base) answered \(net.status): \(net.text)")
                    }
                    // A /16: room for every port wrk makes in one run.
                    let subnet = #"{"subnet": {"network_id": "\#(id)", "cidr": "10.90.0.0/16", "ip_version": 4}}"#
                    let made = try await harness.send("POST", base + "/v2.0/subnets", token: token.id, body: subnet)
                    guard made.status == 201 else { throw ValidationError("subnet create at \(base) answered \(made.status): \(made.text)") }
                    return id
                }
                let topNetwork = try await network(at: top)
                let podNetwork = try await network(at: neutron)
                let nginx = try NginxProxy(upstream: neutron)
                defer { nginx.stop() }
                try await nginx.waitUntilServing()
                func script(_ networkID: String) throws -> String {
                    let path = NSTemporaryDirectory() + "tricircle-bench-port-\(networkID).lua"
                    try """
                        wrk.method = "POST"
                        wrk.body = '{"port": {"network_id": "\(networkID)"}}'
                        wrk.headers["Content-Type"] = "application/json"
                        """.write(toFile: path, atomically: true, encoding: .utf8)
                    return path
                }
                let podScript = try script(podNetwork), topScript = try script(topNetwork)
                defer {
                    try? FileManager.default.removeItem(atPath: podScript)
                    try? FileManager.default.removeItem(atPath: topScript)
                }
                try measure("POST port", [
                    ("region", "region directly", neutron + "/v2.0/ports"),
                    ("nginx", "nginx proxy_pass -> region", nginx.url + "/v2.0/ports"),
                ], extra: ["-s", podScript])
                try measure("POST port", [("gateway", "tricircle gateway (at the top)", top + "/v2.0/ports")], extra: ["-s", topScript])
            }
            return results
        }
        guard let csv else { return }
        try RoutedResult.record(results, csv: csv, svg: svg, title: "Volume GET and port create: wrk -t\(threads) -c\(connections), per target and run")
    }
}
