import ArgumentParser
import AsyncHTTPClient
import Foundation
import RegionSimulator
import Synchronization
import TricircleCore
import TricircleStore

/// Merged server lists with the regions in their own process (`tricircle sim`) and the gateway in its own
/// (`tricircle serve`): N pods that each answer late (issue 17's 50 pods x 50 ms), and 100 pods holding
/// 10,000 servers each (first page, a deep page reached through the next links, a marker the gateway never
/// served), with the gateway's resident memory.
struct ScaleListBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale-lists", abstract: "Merged /servers/detail over many pods, regions and gateway in their own processes.")

    @Option(help: "Pod counts (comma-separated).")
    var podCounts: String = "10,50"

    @Option(help: "Servers each pod holds (comma-separated: one run per value and pod count).")
    var serversPerPod: String = "20"

    @Option(help: "Milliseconds every pod's Compute API answers late.")
    var podLatencyMs: Int = 50

    @Option(help: "Sequential requests measured per page kind.")
    var requests: Int = 40

    @Option(help: "How many pages deep the marker page is (reached by following servers_links; 0 skips the deep pages).")
    var depth: Int = 0

    @Option(help: "The tricircle executable (default: next to this one).")
    var tricircle: String?

    @Option(help: "Simulated Keystone's port; the regions' services take the ports after it.")
    var simPort: Int = 26000

    @Option(help: "The gateway's admin port; its front-ends take the ports below it.")
    var gatewayPort: Int = 31999

    @Flag(help: "Write a routing row per seeded server at the top (bulk), as the gateway has for servers it made.")
    var routingRows = false

    @Option(help: "Name of this run in the CSV and chart.")
    var label: String = "run"

    @Option(help: "Append the rows to this CSV file.")
    var csv: String?

    @Option(help: "Draw the CSV's rows here: p50/p99 against pods (or gateway RSS against servers with --memory-chart).")
    var svg: String?

    @Flag(help: "The SVG shows the gateway's memory against servers held instead of latency against pods.")
    var memoryChart = false

    static let header = "label,pods,servers_per_pod,servers_total,page,p50_ms,p99_ms,direct_pod_p50_ms,gateway_rss_idle_mib,gateway_rss_peak_mib,load_avg"

    func run() async throws {
        let executable = try ProcessStack.executable(tricircle)
        let http = ProcessStack.makeHTTPClient()
        var rows: [[String]] = []
        do {
            for perPod in serversPerPod.split(separator: ",").compactMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) {
                for pods in podCounts.split(separator: ",").compactMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) where pods > 0 {
                    rows += try await measure(pods: pods, perPod: perPod, executable: executable, http: http)
                }
            }
        } catch {
            try? await http.shutdown()
            throw error
        }
        try? await http.shutdown()
        guard let csv else { return }
        let all = try BenchCSV.append(csv, header: Self.header, rows: rows)
        if let svg {
            let chart = memoryChart ? Self.memoryChart(all) : Self.latencyChart(all, latency: podLatencyMs)
            try chart.write(toFile: svg, atomically: true, encoding: .utf8)
        }
    }

    func measure(pods: Int, perPod: Int, executable: String, http: HTTPClient) async throws -> [[String]] {
        let started = ContinuousClock.now
        let withRows = routingRows
        let stack = try await ProcessStack.start(
            executable: executable, label: "lists", regions: pods, services: "compute,image", simPort: simPort,
            gatewayPort: gatewayPort,
            simArguments: ["--seed-servers", "\(perPod)", "--compute-latency-ms", "\(podLatencyMs)"],
            config: "[client]\nlist_timeout = 30\n", http: http
        ) { store, pods, projectID in
            guard withRows else { return }
            let routing = RoutingStore(store: store)
            var batch: [(topID: String, podID: String)] = []
            for pod in pods {
                for index in 0..<perPod { batch.append((RegionStore.seededServerID(region: pod.regionName, index: index), pod.podID)) }
                if batch.count >= 100_000 {
                    try await routing.createMany(batch, projectID: projectID, resourceType: .server)
                    batch.removeAll(keepingCapacity: true)
                }
            }
            try await routing.createMany(batch, projectID: projectID, resourceType: .server)
        }
        do {
            let rows = try await measure(stack, pods: pods, perPod: perPod, setUp: ContinuousClock.now - started)
            await stack.stop()
            return rows
        } catch {
            await stack.stop()
            throw error
        }
    }

    func measure(_ stack: ProcessStack, pods: Int, perPod: Int, setUp: Duration) async throws -> [[String]] {
        let token = try await stack.token()
        let idle = stack.gatewayRSS
        let peak = Mutex(idle)
        let endpoints = try await stack.endpoints()
        let firstURL = stack.gatewayURL("compute") + "/servers/detail?limit=100"
        print("\(pods) pods x \(perPod) servers (\(pods * perPod) in all), each pod \(podLatencyMs) ms late; set-up \(setUp); gateway RSS idle \(String(format: "%.1f", idle)) MiB; load \(ProcessStack.loadAverage)")

        // What one pod costs alone: the floor of a merged page.
        var direct = Samples()
        if let nova = endpoints[stack.regions[0].name]?["compute"] {
            for _ in 0..<min(requests, 20) {
                let start = ContinuousClock.now
                let (status, _) = try await stack.send("GET", nova + "/servers/detail?limit=100", token: token.id)
                direct.add(ContinuousClock.now - start)
                guard status == 200 else { throw ValidationError("pod list answered \(status)") }
            }
        }
        let sampler = Task {
            while !Task.isCancelled {
                let now = stack.gatewayRSS
                peak.withLock { $0 = max($0, now) }
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        defer { sampler.cancel() }

        func series(_ url: String, count: Int) async throws -> (Samples, Int, String?) {
            var samples = Samples()
            var returned = 0
            var next: String?
            for _ in 0..<count {
                let start = ContinuousClock.now
                let (status, data) = try await stack.send("GET", url, token: token.id)
                samples.add(ContinuousClock.now - start)
                guard status == 200 else { throw ValidationError("\(url) answered \(status): \(String(decoding: data.prefix(300), as: UTF8.self))") }
                let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
                returned = (object?["servers"] as? [Any])?.count ?? 0
                next = ((object?["servers_links"] as? [[String: Any]])?.first?["href"] as? String)
            }
            return (samples, returned, next)
        }

        var results: [(String, Samples, Int)] = []
        _ = try await series(firstURL, count: 1)  // warm: token cached, connections open
        let (first, returned, nextLink) = try await series(firstURL, count: requests)
        results.append(("first", first, returned))
        if depth > 0, var link = nextLink {
            // Follow the next links as a client pages: the gateway keeps each pod's cursor for the markers it served.
            for _ in 1..<depth {
                let (_, _, next) = try await series(link, count: 1)
                guard let next else { break }
                link = next
            }
            let (deep, deepReturned, _) = try await series(link, count: requests)
            results.append(("deep (page \(depth), marker served before)", deep, deepReturned))
            // A marker this gateway never handed out (another API node's, or an expired cursor): rebuilt from the pods.
            let marker = RegionStore.seededServerID(region: stack.regions[pods / 2].name, index: perPod / 2)
            let (cold, coldReturned, _) = try await series(firstURL + "&marker=" + marker, count: max(3, requests / 10))
            results.append(("marker never served (mid-list)", cold, coldReturned))
        }
        let directP50 = direct.percentile(0.5) / 1000
        let rssPeak = peak.withLock { $0 }
        let load = ProcessStack.loadAverage
        var rows: [[String]] = []
        for (page, samples, count) in results {
            let p50 = samples.percentile(0.5) / 1000, p99 = samples.percentile(0.99) / 1000
            print(String(format: "  %@ page: p50 %.1f ms, p99 %.1f ms (%d servers); one pod directly p50 %.1f ms; gateway RSS peak %.1f MiB; load %@",
                         page, p50, p99, count, directP50, rssPeak, load))
            rows.append([label, "\(pods)", "\(perPod)", "\(pods * perPod)", page, String(format: "%.1f", p50), String(format: "%.1f", p99),
                         String(format: "%.1f", directP50), String(format: "%.1f", idle), String(format: "%.1f", rssPeak), load])
        }
        return rows
    }

    /// p50 and p99 of the first page against the number of pods, with the one-pod floor.
    static func latencyChart(_ rows: [[String]], latency: Int) -> String {
        var series: [BenchChart.Series] = []
        let first = rows.filter { $0.count >= 11 && $0[4] == "first" }
        for label in first.map({ $0[0] }).uniqued() {
            let mine = first.filter { $0[0] == label }
            func points(_ column: Int) -> [(Double, Double)] {
                mine.compactMap { row in Double(row[1]).flatMap { x in Double(row[column]).map { (x, $0) } } }.sorted { $0.0 < $1.0 }
            }
            series.append(.init(name: "\(label): p50", points: points(5)))
            series.append(.init(name: "\(label): p99", points: points(6)))
            series.append(.init(name: "\(label): one pod directly, p50", points: points(7)))
        }
        return BenchChart.linesSVG(series, title: "Merged GET /servers/detail?limit=100, every pod \(latency) ms late (gateway and regions in separate processes)",
                                   xLabel: "pods", yLabel: "ms")
    }

    /// The gateway's peak resident memory against the servers its pods hold.
    static func memoryChart(_ rows: [[String]]) -> String {
        var series: [BenchChart.Series] = []
        let first = rows.filter { $0.count >= 11 && $0[4] == "first" }
        for label in first.map({ $0[0] }).uniqued() {
            let mine = first.filter { $0[0] == label }
            func points(_ column: Int) -> [(Double, Double)] {
                mine.compactMap { row in Double(row[3]).flatMap { x in Double(row[column]).map { (x, $0) } } }.sorted { $0.0 < $1.0 }
            }
            series.append(.init(name: "\(label): gateway RSS peak while listing", points: points(9)))
            series.append(.init(name: "\(label): gateway RSS idle", points: points(8)))
        }
        return BenchChart.linesSVG(series, title: "Gateway resident memory against servers held by its pods (100 pods)",
                                   xLabel: "servers in all pods", yLabel: "MiB", logX: true)
    }
}

extension Array where Element: Hashable {
    /// The elements in first-seen order, each once.
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
