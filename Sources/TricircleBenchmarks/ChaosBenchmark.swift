import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import RegionSimulator
import SQLKit
import Synchronization
import TricircleCore
import TricircleGateway
import TricircleStore
import TricircleTestSupport

/// `tricircle-bench chaos`: crashes leave nothing behind. Simulated Keystone and two regions in this
/// process, the gateway (`tricircle serve`, admin + front-ends + job workers) as a child process on SQLite.
/// Runs boots, volume creates and deletes through the public APIs while the gateway is killed with
/// SIGKILL at random points and restarted; then lets the jobs drain and asks `tricircle audit`.
/// Prints what the crashes left (first audit), what `audit --repair` left, and the kill count; exits 1
/// unless the final audit is 0/0/0/0. Loopback only.
struct ChaosBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos", abstract: "Kill -9 the gateway during boots/volume creates/deletes, then audit (exit 1 unless 0/0/0/0).")

    @Option(help: "Operations through the public APIs (boots, volume creates, deletes).")
    var operations: Int = 200

    @Option(help: "Fewest kills; the gateway is killed every operations/(min-kills+10) completed operations, at a random moment.")
    var minKills: Int = 20

    @Option(help: "Operations in flight at once.")
    var concurrency: Int = 4

    @Option(help: "Simulated Keystone's port; the regions' services take the ports after it.")
    var basePort: Int = 24000

    @Option(help: "The gateway's admin port; its front-ends take the 5 ports below it.")
    var gatewayPort: Int = 24999

    @Option(help: "The tricircle executable (default: next to this one).")
    var tricircle: String?

    @Option(help: "Working directory (config, SQLite database, gateway log). Default: a new one under /tmp.")
    var stateDir: String?

    @Option(help: "Give up (exit 1) after this many seconds in all.")
    var timeLimit: Double = 900

    @Option(help: "Random seed (0: random).")
    var seed: UInt64 = 0

    @Flag(help: "Run the job workers as a second process (`serve --only jobs`) next to the API process (`--only admin,compute,volume,network,image`); each kill picks one of the two.")
    var split = false

    @Flag(help: "State on a new PostgreSQL database on the server TRICIRCLE_TEST_POSTGRES_URL names (scripts/postgres.sh) instead of SQLite; the gateway's multi-process setup. Default with --split.")
    var postgres = false

    func run() async throws {
        let executable = try ProcessStack.executable(tricircle)
        let dir = try ProcessStack.emptyDirectory(stateDir ?? (NSTemporaryDirectory() + "tricircle-chaos-\(ProcessInfo.processInfo.processIdentifier)"))
        let started = ContinuousClock.now
        let deadline = started.advanced(by: .seconds(timeLimit))
        var generator = SeededGenerator(seed: seed == 0 ? UInt64.random(in: 1...UInt64.max) : seed)
        let usedSeed = generator.seed
        let every = max(1, operations / (minKills + 10))
        let plan = (0..<operations).map { _ in Double.random(in: 0..<1, using: &generator) }
        let delays = (0..<(operations / every + minKills + 8)).map { _ in Int.random(in: 0...400, using: &generator) }
        let extraDelays = (0..<minKills).map { _ in Int.random(in: 100...600, using: &generator) }

        let databaseURL = postgres || split ? try await TestDatabases.makeURL(.postgres) : "sqlite://\(dir)/tricircle.sqlite"
        let result = try await SimulatedCloud.withRunning(cloudConfiguration) { cloud -> ChaosResult in
            let config = try writeConfig(dir: dir, identityURL: cloud.identityURL, databaseURL: databaseURL)
            try await registerPods(databaseURL: databaseURL)
            let (token, image) = try publishGateway(in: cloud)

            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            let apiOnly = split ? ["--only", "admin,compute,volume,network,image"] : []
            let gateway = GatewayProcess(
                executable: executable, arguments: ["serve", "--config-file", config] + apiOnly, log: dir + "/gateway.log",
                readyURL: "http://127.0.0.1:\(ports["compute"] ?? 0)/", http: http)
            let worker: GatewayProcess? = split
                ? GatewayProcess(executable: executable, arguments: ["serve", "--config-file", config, "--only", "jobs"],
                                 log: dir + "/worker.log", readyURL: nil, http: http)
                : nil
            let victims = [gateway] + (worker.map { [$0] } ?? [])
            let kills = { victims.reduce(0) { $0 + $1.kills } }
            do {
                try await gateway.start()
                try await worker?.start()
                let api = ChaosAPI(http: http, token: token.id, projectID: token.projectID, ports: ports, gateway: gateway)
                let network = try await api.setUpNetwork()
                report("chaos: seed \(usedSeed), \(operations) operations, gateway pid \(gateway.pid), state \(dir), \(databaseURL.hasPrefix("sqlite") ? "SQLite" : "PostgreSQL")")

                let stats = ChaosStats()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for worker in 0..<concurrency {
                        group.addTask {
                            var local = SeededGenerator(seed: usedSeed &+ UInt64(worker) &* 7919)
                            while ContinuousClock.now < deadline {
                                guard let index = stats.take(below: plan.count) else { return }
                                // Operations stay within two kill rounds of the killer (a restart takes a while), so
                                // the kills fall among the operations rather than after them.
                                while index >= (victims.reduce(0) { $0 + $1.kills } + 2) * every,
                                      ContinuousClock.now < deadline, !Task.isCancelled {
                                    try? await Task.sleep(for: .milliseconds(20))
                                }
                                await api.operation(index, draw: plan[index], image: image, network: network, stats: stats, random: &local)
                            }
                        }
                    }
                    // The killer: after every `every` finished operations, at a random moment, SIGKILL and restart.
                    group.addTask {
                        var round = 0
                        while ContinuousClock.now < deadline {
                            let done = stats.finished
                            if done >= operations { return }
                            if done >= (round + 1) * every {
                                try await Task.sleep(for: .milliseconds(delays[min(round, delays.count - 1)]))
                                try await victims[delays[min(round, delays.count - 1)] % victims.count].killAndRestart()
                                round += 1
                            } else {
                                try await Task.sleep(for: .milliseconds(20))
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                // Kills still owed (operations finished early): keep killing while the jobs those left run.
                while kills() < minKills && ContinuousClock.now < deadline {
                    let delay = extraDelays[kills() % max(1, extraDelays.count)]
                    try await Task.sleep(for: .milliseconds(delay))
                    try await victims[delay % victims.count].killAndRestart()
                }
                report("chaos: operations done: \(stats.summary); kills \(kills())"
                      + (split ? " (API process \(gateway.kills), job worker process \(worker?.kills ?? 0))" : ""))

                let drained = try await drain(databaseURL: databaseURL, until: deadline)
                // A lock whose holder was killed looks held until it is stale (`[routing] stale_lock_seconds`, at
                // least 2 x pod_timeout + 5 s): wait that long after the last kill, as the audit must.
                let loaded = try TricircleConfig.load(files: [config], environment: [:])
                try await Task.sleep(for: .seconds(loaded.staleLockSeconds + 1))
                // Ports a boot made are the boot's (then its adoption job's) until the adoption window and the
                // pod's create answer have passed; only then can the audit judge them.
                let settle = BootSettling.adoptionWindow + 2 * Double(loaded.podTimeout.components.seconds) + 5
                report("chaos: waiting \(Int(settle)) s for the last boots' ports to settle before auditing")
                try await Task.sleep(for: .seconds(settle))
                let auditArgs = ["audit", "--config-file", config, "--json", "--grace-seconds", "0"]
                let first = try await runAudit(executable, auditArgs, log: dir + "/audit-1.json")
                report("chaos: first audit (after the jobs drained\(drained ? "" : ", NOT drained")): \(first.line)")
                var final = first
                var repairs = 0
                while !final.clean && repairs < 4 && ContinuousClock.now < deadline {
                    repairs += 1
                    _ = try await runAudit(executable, auditArgs + ["--repair"], log: dir + "/audit-repair-\(repairs).json")
                    _ = try await drain(databaseURL: databaseURL, until: deadline)
                    // Nova and Cinder delete asynchronously: give the pods their transition time.
                    try await Task.sleep(for: .seconds(2))
                    final = try await runAudit(executable, auditArgs, log: dir + "/audit-\(repairs + 1).json")
                    report("chaos: after audit --repair #\(repairs): \(final.line)")
                }
                let unboundPorts = try await unboundBootPorts(databaseURL: databaseURL)
                await gateway.stop()
                await worker?.stop()
                try await http.shutdown()
                return ChaosResult(first: first, final: final, kills: kills(), repairs: repairs, stats: stats.summary,
                                   seconds: (ContinuousClock.now - started).seconds, unboundPorts: unboundPorts)
            } catch {
                await gateway.stop()
                await worker?.stop()
                try? await http.shutdown()
                throw error
            }
        }
        report("""
            chaos result: \(operations) operations (\(result.stats)), \(result.kills) kills (SIGKILL), \(String(format: "%.0f", result.seconds)) s
              left by the crashes (first audit): \(result.first.line)
              after \(result.repairs) audit --repair: \(result.final.line)
              top ports a boot made left unbound after the repair (device_owner compute:*, no device): \(result.unboundPorts)
            """)
        if !result.final.clean || result.kills < minKills { throw ExitCode(1) }
    }

    /// Keystone, CentralRegion (no services of its own: the gateway's front-ends are its endpoints), RegionOne/az1
    /// and RegionTwo/az2, in this process.
    var cloudConfiguration: SimulatedCloudConfiguration {
        var regions = [SimulatedCloudConfiguration.Region(name: "CentralRegion", availabilityZone: "central", services: [])]
        regions += [("RegionOne", "az1"), ("RegionTwo", "az2")].map { SimulatedCloudConfiguration.Region(name: $0.0, availabilityZone: $0.1) }
        return SimulatedCloudConfiguration(
            regions: regions, basePort: basePort, transitionDelay: .milliseconds(100), quotaDefaults: .unlimited)
    }

    /// The gateway's front-end ports by API (the 4 below its admin port; `ChaosAPI` calls them).
    var ports: [String: Int] {
        ["compute": gatewayPort - 1, "volume": gatewayPort - 2, "network": gatewayPort - 3, "image": gatewayPort - 4]
    }

    /// Lists the gateway's front-ends as CentralRegion's endpoints in the simulated Keystone (a client of the top
    /// finds them in its catalog), and returns a demo user's token and the image seeded in RegionOne.
    func publishGateway(in cloud: SimulatedCloud) throws -> (token: SimulatedToken, image: String) {
        let catalog: [(String, String)] = [
            ("compute", "http://127.0.0.1:\(ports["compute"] ?? 0)/v2.1"),
            ("volumev3", "http://127.0.0.1:\(ports["volume"] ?? 0)/v3/$(project_id)s"),
            ("block-storage", "http://127.0.0.1:\(ports["volume"] ?? 0)/v3/$(project_id)s"),
            ("network", "http://127.0.0.1:\(ports["network"] ?? 0)"),
            ("image", "http://127.0.0.1:\(ports["image"] ?? 0)"),
            ("tricircle", "http://127.0.0.1:\(gatewayPort)/v1.0"),
        ]
        for (type, url) in catalog {
            for interface in ["public", "internal", "admin"] {
                cloud.identity.setEndpoint(region: "CentralRegion", serviceType: type, serviceName: "tricircle-" + type, interface: interface, url: url)
            }
        }
        guard let token = cloud.identity.issueToken(userName: "demo", password: "demopass", projectName: "demo"),
              let image = cloud.store(region: "RegionOne")?.seededImageID
        else { throw ValidationError("simulated Keystone or Glance did not start") }
        return (token, image)
    }

    /// The gateway's config for a chaos run: short timeouts, leases and stale-lock age (so a killed gateway's
    /// work is taken over within the run), two job workers, quotas above what the run makes; `extra` appended.
    func writeConfig(dir: String, identityURL: String, databaseURL: String, extra: String = "") throws -> String {
        try GatewayConfigFile.write(directory: dir, databaseURL: databaseURL, keystoneURL: identityURL, gatewayPort: gatewayPort, extra: """
            [client]
            pod_timeout = 5
            [job]
            workers = 2
            lease_seconds = 3
            poll_interval = 0.1
            backoff_base_seconds = 0.2
            backoff_max_seconds = 3
            [routing]
            stale_lock_seconds = 5
            [quota]
            # Limits the 200 operations stay under (the defaults, 10 servers, would refuse most boots);
            # reservations are still taken and left behind by the kills.
            instances = 1000
            cores = 2000
            ram = 4096000
            volumes = 1000
            gigabytes = 100000
            port = 5000

            """ + extra)
    }

    func registerPods(databaseURL: String) async throws {
        try await TestDatabases.withStore(url: databaseURL) { store in
            try await store.migrate()
            let pods = PodStore(store: store)
            _ = try await pods.create(regionName: "CentralRegion", azName: "")
            _ = try await pods.create(regionName: "RegionOne", azName: "az1", podAZName: "az1")
            _ = try await pods.create(regionName: "RegionTwo", azName: "az2", podAZName: "az2")
        }
    }

    /// Waits until no job is queued, running or waiting for a retry; false when the deadline came first.
    func drain(databaseURL: String, until deadline: ContinuousClock.Instant) async throws -> Bool {
        try await TestDatabases.withStore(url: databaseURL) { try await drain($0, until: deadline) }
    }

    func drain(_ store: StateStore, until deadline: ContinuousClock.Instant) async throws -> Bool {
        let limit = min(deadline, ContinuousClock.now.advanced(by: .seconds(180)))
        while ContinuousClock.now < limit {
            let pending = try await store.read { db in
                try await db.raw("""
                    SELECT COUNT(*) AS n FROM jobs WHERE status IN ('new', 'running') OR (status = 'failed' AND next_run_at IS NOT NULL)
                    """).first()?.decode(column: "n", as: Int.self) ?? 0
            }
            if pending == 0 { return true }
            try await Task.sleep(for: .milliseconds(250))
        }
        return false
    }

    /// Top ports made for a boot (device_owner compute:<az>) that no server holds, pending or not: what the
    /// audit's stranded-port check must have removed (0 expected after the repair).
    func unboundBootPorts(databaseURL: String) async throws -> Int {
        let bodies = try await TestDatabases.withStore(url: databaseURL) { store in
            try await store.read { db in
                try await db.raw("SELECT body FROM neutron_ports WHERE device_id IN ('', 'boot:pending')").all().map { try $0.decode(column: "body", as: String.self) }
            }
        }
        return bodies.filter { body in
            let object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
            return (object?["device_owner"] as? String ?? "").hasPrefix("compute:")
        }.count
    }

    func runAudit(_ executable: String, _ arguments: [String], log: String) async throws -> AuditCounts {
        let child = try SpawnedProcess(path: executable, arguments: arguments, output: log)
        let status = await child.wait()
        guard let data = FileManager.default.contents(atPath: log),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { throw ValidationError("tricircle audit exited \(status) without a JSON report (see \(log))") }
        func count(_ key: String) -> Int { (object[key] as? [Any])?.count ?? -1 }
        let skipped = (object["skipped"] as? [Any])?.count ?? 0
        return AuditCounts(
            orphans: count("orphans"), dangling: count("rows_pointing_at_nothing") + count("top_records_pointing_at_nothing"), lostJobs: count("lost_jobs"),
            stuckLocks: count("stuck_create_locks"), skipped: skipped, exitStatus: status)
    }
}

/// A line on stdout at once (print is block-buffered when stdout is a file, and a run that hangs should show how far it got).
func report(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// The four counts of one `tricircle audit --json`.
struct AuditCounts: Sendable {
    var orphans, dangling, lostJobs, stuckLocks, skipped: Int
    var exitStatus: Int32
    var clean: Bool { orphans == 0 && dangling == 0 && lostJobs == 0 && stuckLocks == 0 && exitStatus == 0 }
    var line: String {
        "orphans \(orphans), rows pointing at nothing \(dangling), jobs lost \(lostJobs), create-locks stuck \(stuckLocks)"
            + (skipped > 0 ? " (\(skipped) pod listings failed)" : "") + " [exit \(exitStatus)]"
    }
}

struct ChaosResult: Sendable {
    var first: AuditCounts
    var final: AuditCounts
    var kills: Int
    var repairs: Int
    var stats: String
    var seconds: Double
    var unboundPorts: Int
}


/// Outcomes of the operations, by kind.
final class ChaosStats: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    private let done = Mutex(0)
    private let taken = Mutex(0)

    /// The next operation's index, nil once all `count` are taken.
    func take(below count: Int) -> Int? {
        taken.withLock { n in
            guard n < count else { return nil }
            defer { n += 1 }
            return n
        }
    }

    func record(_ what: String) { counts.withLock { $0[what, default: 0] += 1 } }
    func finish() { done.withLock { $0 += 1 } }
    var finished: Int { done.withLock { $0 } }
    var summary: String { counts.withLock { $0 }.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") }
}

/// The public APIs as a client uses them (through the gateway only), riding out the gateway's restarts.
final class ChaosAPI: Sendable {
    let http: HTTPClient
    let token: String
    let projectID: String
    let ports: [String: Int]
    let gateway: GatewayProcess
    let servers = Mutex<[String]>([])
    let volumes = Mutex<[String]>([])

    init(http: HTTPClient, token: String, projectID: String, ports: [String: Int], gateway: GatewayProcess) {
        self.http = http
        self.token = token
        self.projectID = projectID
        self.ports = ports
        self.gateway = gateway
    }

    func url(_ api: String, _ path: String) -> String {
        let port = ports[api] ?? 0
        switch api {
        case "compute": return "http://127.0.0.1:\(port)/v2.1" + path
        case "volume": return "http://127.0.0.1:\(port)/v3/\(projectID)" + path
        default: return "http://127.0.0.1:\(port)" + path
        }
    }

    /// One call; a transport failure (the gateway was killed under it) is nil.
    func call(_ method: String, _ api: String, _ path: String, _ body: String? = nil) async -> (Int, [String: Any])? {
        var request = HTTPClientRequest(url: url(api, path))
        request.method = .init(rawValue: method)
        request.headers.add(name: "X-Auth-Token", value: token)
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        do {
            let response = try await http.execute(request, timeout: .seconds(30))
            let data = try await response.body.collect(upTo: 16 << 20)
            let object = (try? JSONSerialization.jsonObject(with: Data(data.readableBytesView))) as? [String: Any] ?? [:]
            return (Int(response.status.code), object)
        } catch {
            return nil
        }
    }

    /// Like `call`, but waits for the gateway to come back and tries again (for idempotent calls).
    func retrying(_ method: String, _ api: String, _ path: String, _ body: String? = nil) async -> (Int, [String: Any])? {
        for _ in 0..<40 where !Task.isCancelled {
            if let answer = await call(method, api, path, body), answer.0 != 503 || method == "GET" { return answer }
            await gateway.waitUntilUp()
            try? await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    func setUpNetwork() async throws -> String {
        guard let (status, net) = await retrying("POST", "network", "/v2.0/networks", #"{"network": {"name": "chaos-net"}}"#),
              status == 201, let id = (net["network"] as? [String: Any])?["id"] as? String
        else { throw ValidationError("network create through the gateway failed") }
        let subnet = #"{"subnet": {"network_id": "\#(id)", "cidr": "10.77.0.0/16", "ip_version": 4, "name": "chaos-sub"}}"#
        guard let (subStatus, _) = await retrying("POST", "network", "/v2.0/subnets", subnet), subStatus == 201 else {
            throw ValidationError("subnet create through the gateway failed")
        }
        return id
    }

    func operation(_ index: Int, draw: Double, image: String, network: String, stats: ChaosStats,
                   random: inout SeededGenerator) async {
        defer { stats.finish() }
        await gateway.waitUntilUp()
        let az = Bool.random(using: &random) ? "az1" : "az2"
        let victimServer = draw >= 0.7 && draw < 0.85 ? servers.withLock { $0.isEmpty ? nil : $0.remove(at: Int.random(in: 0..<$0.count, using: &random)) } : nil
        let victimVolume = draw >= 0.85 ? volumes.withLock { $0.isEmpty ? nil : $0.remove(at: Int.random(in: 0..<$0.count, using: &random)) } : nil
        if let id = victimServer {
            await deleteAndWait("compute", "/servers/\(id)", kind: "server delete", stats: stats)
        } else if let id = victimVolume {
            await deleteVolume(id, stats: stats)
        } else if draw < 0.45 || draw >= 0.7 {
            let networks = Bool.random(using: &random) ? #", "networks": [{"uuid": "\#(network)"}]"# : ""
            let body = #"{"server": {"name": "chaos-\#(index)", "flavorRef": "1", "imageRef": "\#(image)", "availability_zone": "\#(az)"\#(networks)}}"#
            guard let (status, answer) = await call("POST", "compute", "/servers", body) else { return stats.record("boot interrupted") }
            if status == 202, let id = (answer["server"] as? [String: Any])?["id"] as? String {
                servers.withLock { $0.append(id) }
                stats.record("boot ok")
            } else {
                stats.record("boot \(status)")
            }
        } else {
            let body = #"{"volume": {"size": 1, "name": "chaos-vol-\#(index)", "availability_zone": "\#(az)"}}"#
            guard let (status, answer) = await call("POST", "volume", "/volumes", body) else { return stats.record("volume create interrupted") }
            if status == 202, let id = (answer["volume"] as? [String: Any])?["id"] as? String {
                volumes.withLock { $0.append(id) }
                stats.record("volume create ok")
            } else {
                stats.record("volume create \(status)")
            }
        }
    }

    /// DELETE, then show until 404, as `openstack server delete --wait` does (the top forgets the row then).
    func deleteAndWait(_ api: String, _ path: String, kind: String, stats: ChaosStats) async {
        guard let (status, _) = await retrying("DELETE", api, path) else { return stats.record("\(kind) gave up") }
        guard status == 204 || status == 202 || status == 404 else { return stats.record("\(kind) \(status)") }
        for _ in 0..<150 where !Task.isCancelled {
            if let (shown, _) = await retrying("GET", api, path), shown == 404 { return stats.record("\(kind) ok") }
            try? await Task.sleep(for: .milliseconds(100))
        }
        stats.record("\(kind) still there")
    }

    func deleteVolume(_ id: String, stats: ChaosStats) async {
        // A volume still `creating` cannot be deleted yet: wait for it to settle first.
        for _ in 0..<100 where !Task.isCancelled {
            guard let (status, answer) = await retrying("GET", "volume", "/volumes/\(id)") else { break }
            if status == 404 { return stats.record("volume delete ok") }
            let state = (answer["volume"] as? [String: Any])?["status"] as? String ?? ""
            if state != "creating" { break }
            try? await Task.sleep(for: .milliseconds(100))
        }
        await deleteAndWait("volume", "/volumes/\(id)", kind: "volume delete", stats: stats)
    }
}

/// The gateway child process: started, SIGKILLed and restarted; readiness is its Compute port answering.
final class GatewayProcess: Sendable {
    let executable: String
    let arguments: [String]
    let log: String
    /// Nil for a process with no listener (a job worker): started is ready.
    let readyURL: String?
    let http: HTTPClient
    private let state = Mutex<(child: SpawnedProcess?, kills: Int, up: Bool)>((nil, 0, false))

    init(executable: String, arguments: [String], log: String, readyURL: String?, http: HTTPClient) {
        self.executable = executable
        self.arguments = arguments
        self.log = log
        self.readyURL = readyURL
        self.http = http
    }

    var pid: Int32 { state.withLock { $0.child?.pid ?? 0 } }
    var kills: Int { state.withLock { $0.kills } }

    /// Starts the process and waits until it answers; a process that dies while starting is started again
    /// (up to 5 times, its exit status on stderr).
    func start() async throws {
        for attempt in 1...5 {
            let child = try SpawnedProcess(path: executable, arguments: arguments, output: log, append: true)
            state.withLock { $0.child = child }
            guard let readyURL else {
                state.withLock { $0.up = true }
                return
            }
            for _ in 0..<600 {
                try Task.checkCancellation()
                var request = HTTPClientRequest(url: readyURL)
                request.method = .GET
                if let response = try? await http.execute(request, timeout: .seconds(2)) {
                    _ = try? await response.body.collect(upTo: 1 << 20)
                    state.withLock { $0.up = true }
                    return
                }
                if child.exited { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let status = child.exited ? "exited with status \(await child.wait())" : "did not answer within 30 s"
            FileHandle.standardError.write(Data("chaos: \(arguments.joined(separator: " ")) \(status) while starting (attempt \(attempt)); see \(log)\n".utf8))
            if !child.exited {
                kill(child.pid, SIGKILL)
                _ = await child.wait()
            }
        }
        throw ValidationError("\(executable) \(arguments.joined(separator: " ")) would not start; see \(log)")
    }

    func killAndRestart() async throws {
        let child: SpawnedProcess? = state.withLock { s in
            s.up = false
            s.kills += 1
            return s.child
        }
        if let child {
            kill(child.pid, SIGKILL)
            _ = await child.wait()
        }
        try await start()
    }

    func waitUntilUp() async {
        for _ in 0..<1200 where !state.withLock({ $0.up }) && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(25))
        }
    }

    func stop() async {
        guard let child = state.withLock({ $0.child }) else { return }
        kill(child.pid, SIGTERM)
        _ = await child.wait()
    }
}

/// A child started with posix_spawn, stdout and stderr to a file (Foundation's Process.run crashes now and
/// then on Swift 6.3.1 for Linux, swift-corelibs-foundation#5472, and this one is started 20+ times).
final class SpawnedProcess: Sendable {
    let pid: pid_t
    private let status = Mutex<Int32?>(nil)

    init(path: String, arguments: [String], output: String, append: Bool = false) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let flags = O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC)
        posix_spawn_file_actions_addopen(&actions, 1, output, flags, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for arg in argv { free(arg) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, path, &actions, nil, argv, environ)
        guard rc == 0 else { throw ValidationError("could not start \(path): error \(rc)") }
        pid = child
    }

    /// Whether the child has exited (reaps it if so).
    var exited: Bool {
        if status.withLock({ $0 }) != nil { return true }
        var raw: Int32 = 0
        if waitpid(pid, &raw, WNOHANG) == pid {
            status.withLock { $0 = raw }
            return true
        }
        return false
    }

    /// Waits for the child without blocking a cooperative thread for long; returns its wait status.
    func wait() async -> Int32 {
        while true {
            if let done = status.withLock({ $0 }) { return Self.exitCode(done) }
            var raw: Int32 = 0
            let rc = waitpid(pid, &raw, WNOHANG)
            if rc == pid || (rc == -1 && errno == ECHILD) {
                status.withLock { $0 = raw }
                return Self.exitCode(raw)
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    static func exitCode(_ raw: Int32) -> Int32 { (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f) }
}
