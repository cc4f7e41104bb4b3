import ArgumentParser
import AsyncHTTPClient
import Foundation
import Synchronization

/// Hundreds of server creates sent at once through the gateway (`tricircle serve`, its own process) over two
/// simulated regions (`tricircle sim`): every create must be answered 202, and each pod must hold exactly one
/// server per create and one copy of the top network; creates/s and the gateway's memory under the load and idle.
struct CreateStormBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create-storm", abstract: "N concurrent server creates through the gateway: errors, duplicates in the pods, creates/s, RSS.")

    @Option(help: "Server creates sent at once.")
    var creates: Int = 500

    @Option(help: "The tricircle executable (default: next to this one).")
    var tricircle: String?

    @Option(help: "Simulated Keystone's port; the regions' services take the ports after it.")
    var simPort: Int = 27000

    @Option(help: "The gateway's admin port; its front-ends take the ports below it.")
    var gatewayPort: Int = 31899

    @Option(help: "Name of this run in the CSV.")
    var label: String = "run"

    @Option(help: "Append the row to this CSV file.")
    var csv: String?

    @Option(help: "Draw creates/s and memory per run from the CSV here.")
    var svg: String?

    static let header = "label,creates,answered_202,errors,duplicates_in_pods,servers_in_pods,creates_per_s,p50_ms,p99_ms,rss_idle_start_mib,rss_peak_mib,rss_idle_after_mib,load_avg"

    func run() async throws {
        let executable = try ProcessStack.executable(tricircle)
        let http = ProcessStack.makeHTTPClient()
        let stack = try await ProcessStack.start(
            executable: executable, label: "creates", regions: 2, services: "compute,image,network,volumev3",
            simPort: simPort, gatewayPort: gatewayPort, simArguments: ["--transition-ms", "200"],
            config: """
                [quota]
                instances = -1
                cores = -1
                ram = -1
                port = -1
                network = -1
                subnet = -1
                """, http: http)
        let row: [String]
        do {
            row = try await measure(stack)
            await stack.stop()
            try? await http.shutdown()
        } catch {
            await stack.stop()
            try? await http.shutdown()
            throw error
        }
        guard let csv else { return }
        let all = try BenchCSV.append(csv, header: Self.header, rows: [row])
        if let svg {
            let results = all.filter { $0.count >= 13 }.flatMap { r -> [RoutedResult] in
                [RoutedResult(label: r[0], target: "\(r[1]) creates: creates/s (p50/p99 of a create)", rate: Double(r[6]) ?? 0,
                              p50: Double(r[7]) ?? 0, p90: 0, p99: Double(r[8]) ?? 0)]
            }
            try BenchChart.routedGetSVG(results, title: "Concurrent server creates through the gateway over two simulated regions")
                .write(toFile: svg, atomically: true, encoding: .utf8)
        }
    }

    func measure(_ stack: ProcessStack) async throws -> [String] {
        let token = try await stack.token()
        let compute = stack.gatewayURL("compute"), network = stack.gatewayURL("network")
        // The top network and subnet, made through the gateway as a user would.
        let (netStatus, netData) = try await stack.send("POST", network + "/v2.0/networks", token: token.id, body: #"{"network": {"name": "storm-net"}}"#)
        guard netStatus == 201, let netID = ((try JSONSerialization.jsonObject(with: netData) as? [String: Any])?["network"] as? [String: Any])?["id"] as? String
        else { throw ValidationError("network create answered \(netStatus)") }
        let subnet = #"{"subnet": {"network_id": "\#(netID)", "cidr": "10.88.0.0/16", "ip_version": 4, "name": "storm-sub"}}"#
        let (subStatus, _) = try await stack.send("POST", network + "/v2.0/subnets", token: token.id, body: subnet)
        guard subStatus == 201 else { throw ValidationError("subnet create answered \(subStatus)") }
        let (imageStatus, imageData) = try await stack.send("GET", stack.gatewayURL("image") + "/v2/images", token: token.id)
        guard imageStatus == 200, let image = (((try JSONSerialization.jsonObject(with: imageData) as? [String: Any])?["images"] as? [[String: Any]])?.first)?["id"] as? String
        else { throw ValidationError("no image at the top (\(imageStatus))") }
        try await Task.sleep(for: .seconds(2))
        let idleStart = stack.gatewayRSS
        let load = ProcessStack.loadAverage
        print("\(creates) creates at once over RegionOne/az1 and RegionTwo/az2; gateway RSS idle \(String(format: "%.1f", idleStart)) MiB; load \(load)")

        let peak = Mutex(idleStart)
        let sampler = Task {
            while !Task.isCancelled {
                let now = stack.gatewayRSS
                peak.withLock { $0 = max($0, now) }
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        let started = ContinuousClock.now
        let outcomes = await withTaskGroup(of: (Int, Duration, String).self) { group in
            for index in 0..<creates {
                group.addTask {
                    let az = index % 2 == 0 ? "az1" : "az2"
                    let body = #"{"server": {"name": "storm-\#(index)", "flavorRef": "1", "imageRef": "\#(image)", "availability_zone": "\#(az)", "networks": [{"uuid": "\#(netID)"}]}}"#
                    let start = ContinuousClock.now
                    do {
                        let (status, data) = try await stack.send("POST", compute + "/servers", token: token.id, body: body)
                        return (status, ContinuousClock.now - start, status == 202 ? "" : String(decoding: data.prefix(200), as: UTF8.self))
                    } catch {
                        return (0, ContinuousClock.now - start, "\(error)")
                    }
                }
            }
            var all: [(Int, Duration, String)] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        let elapsed = ContinuousClock.now - started
        sampler.cancel()
        var samples = Samples()
        for outcome in outcomes { samples.add(outcome.1) }
        let accepted = outcomes.filter { $0.0 == 202 }.count
        var errors: [String: Int] = [:]
        for outcome in outcomes where outcome.0 != 202 { errors["\(outcome.0) \(outcome.2)", default: 0] += 1 }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = Double(accepted) / seconds
        print(String(format: "  %d/%d answered 202 in %.2f s: %.1f creates/s; a create p50 %.0f ms, p99 %.0f ms; gateway RSS peak %.1f MiB",
                     accepted, creates, seconds, rate, samples.percentile(0.5) / 1000, samples.percentile(0.99) / 1000, peak.withLock { $0 }))
        for (error, count) in errors.sorted(by: { $0.value > $1.value }).prefix(5) { print("  \(count) x \(error)") }

        // Each pod listed directly: a server name twice, or more than one copy of the top network, is a duplicate.
        try await Task.sleep(for: .seconds(3))
        let endpoints = try await stack.endpoints()
        var names: [String: Int] = [:]
        var networkCopies: [String: Int] = [:]
        for region in stack.regions {
            guard let nova = endpoints[region.name]?["compute"], let neutron = endpoints[region.name]?["network"] else { continue }
            var marker: String?
            repeat {
                let (status, data) = try await stack.send("GET", nova + "/servers?limit=1000" + (marker.map { "&marker=" + $0 } ?? ""), token: token.id)
                guard status == 200, let servers = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["servers"] as? [[String: Any]]
                else { throw ValidationError("\(region.name) server list answered \(status)") }
                for server in servers { if let name = server["name"] as? String { names[name, default: 0] += 1 } }
                marker = servers.count == 1000 ? servers.last?["id"] as? String : nil
            } while marker != nil
            let (status, data) = try await stack.send("GET", neutron + "/v2.0/networks", token: token.id)
            guard status == 200, let networks = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["networks"] as? [[String: Any]]
            else { throw ValidationError("\(region.name) network list answered \(status)") }
            networkCopies[region.name] = networks.filter { ($0["name"] as? String) == netID }.count
        }
        let inPods = names.values.reduce(0, +)
        let duplicateServers = names.values.reduce(0) { $0 + max(0, $1 - 1) }
        let duplicateNetworks = networkCopies.values.reduce(0) { $0 + max(0, $1 - 1) }
        try await Task.sleep(for: .seconds(5))
        let idleAfter = stack.gatewayRSS
        print("  pods hold \(inPods) servers (\(duplicateServers) duplicate names), top network copies per pod \(networkCopies) (\(duplicateNetworks) duplicates); gateway RSS 5 s after \(String(format: "%.1f", idleAfter)) MiB")
        return [label, "\(creates)", "\(accepted)", "\(creates - accepted)", "\(duplicateServers + duplicateNetworks)", "\(inPods)",
                String(format: "%.1f", rate), String(format: "%.0f", samples.percentile(0.5) / 1000), String(format: "%.0f", samples.percentile(0.99) / 1000),
                String(format: "%.1f", idleStart), String(format: "%.1f", peak.withLock { $0 }), String(format: "%.1f", idleAfter), load]
    }
}
