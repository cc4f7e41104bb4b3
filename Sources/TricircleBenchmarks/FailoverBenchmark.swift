import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import RegionSimulator
import SQLKit
import Synchronization
import TricircleCore
import TricircleStore
import TricircleTestSupport

/// `tricircle-bench failover`: the state database loses its primary under load. Simulated Keystone and two
/// regions in this process; the gateway as two child processes (API, job worker) on a new database of the
/// PostgreSQL that `TRICIRCLE_TEST_POSTGRES_URL` names (e2e/sites/patroni/cluster.sh: HAProxy in front of a
/// three-member Patroni cluster). Boots, volume creates and server deletes run at a fixed concurrency for
/// `--duration` s; `--kill-at` s in, `--kill-command` kills the primary (kill -9 of its postmaster). Reports
/// the window in which the gateway answered errors, then checks that every create answered 202 has its routing
/// row and is found in its pod, every delete answered 204 is gone, no job ran twice, and `tricircle audit`
/// counts 0/0/0/0 once the jobs drained. Exits 1 unless all of that holds and no answer was a 500; exits 3 at once
/// when a gateway process dies during the run.
struct FailoverBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failover",
        abstract: "Kill the PostgreSQL primary under a load of creates/deletes; report the error window, then check nothing was lost.")

    @Option(help: "Seconds of load.")
    var duration: Double = 60

    @Option(help: "Seconds into the load when the primary is killed.")
    var killAt: Double = 25

    @Option(help: "Shell command that kills the primary (e2e/sites/patroni/cluster.sh kill-primary).")
    var killCommand: String

    @Option(help: "Shell command printing the cluster's state, run before the kill and after the load.")
    var statusCommand: String?

    @Option(help: "Operations in flight at once.")
    var concurrency: Int = 4

    @Option(help: "Simulated Keystone's port; the regions' services take the ports after it.")
    var basePort: Int = 24200

    @Option(help: "The gateway's admin port; its front-ends take the 5 ports below it.")
    var gatewayPort: Int = 24399

    @Option(help: "The tricircle executable (default: next to this one).")
    var tricircle: String?

    @Option(help: "Working directory (config, logs, audit reports). Default: a new one under /tmp.")
    var stateDir: String?

    func run() async throws {
        let executable = try ProcessStack.executable(tricircle)
        guard TestDatabases.postgresURL != nil else {
            throw ValidationError("TRICIRCLE_TEST_POSTGRES_URL must name the PostgreSQL to fail over (e2e/sites/patroni/cluster.sh up)")
        }
        let dir = try ProcessStack.emptyDirectory(stateDir ?? (NSTemporaryDirectory() + "tricircle-failover-\(ProcessInfo.processInfo.processIdentifier)"))
        // The chaos benchmark's cloud, config, pods, catalog, audit and drain: the same gateway setup, on this database.
        let chaos = try ChaosBenchmark.parse(["--base-port", "\(basePort)", "--gateway-port", "\(gatewayPort)"])
        let databaseURL = try await TestDatabases.makeURL(.postgres)
        let ok = try await SimulatedCloud.withRunning(chaos.cloudConfiguration) { cloud -> Bool in
            // Quotas enforced (their rows are part of every create) but far above what a minute of boots makes.
            // The cluster's own periodic audit with repair, as an operator runs it: a create answered 503 while
            // there was no primary could not undo its half (a create-lock, a port it made in a region), and only
            // the audit, once the database is back, can.
            let extra = "[quota]\n" + ["instances", "cores", "ram", "volumes", "gigabytes", "port"].map { "\($0) = -1\n" }.joined()
                + "[job]\naudit_interval = \(Int(Self.auditInterval))\n"
            let config = try chaos.writeConfig(dir: dir, identityURL: cloud.identityURL, databaseURL: databaseURL, extra: extra)
            try await chaos.registerPods(databaseURL: databaseURL)
            let (token, image) = try chaos.publishGateway(in: cloud)
            let ports = chaos.ports

            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            let gateway = GatewayProcess(
                executable: executable, arguments: ["serve", "--config-file", config, "--only", "admin,compute,volume,network,image"],
                log: dir + "/gateway.log", readyURL: "http://127.0.0.1:\(ports["compute"] ?? 0)/", http: http)
            let worker = GatewayProcess(executable: executable, arguments: ["serve", "--config-file", config, "--only", "jobs"],
                                        log: dir + "/worker.log", readyURL: nil, http: http)
            do {
                try await gateway.start()
                try await worker.start()
                // A gateway process that dies during the run (a crash, an assertion of a debug build) stops the
                // benchmark at once with what it said last, instead of every later call failing until CI's guard.
                let ok = try await withThrowingTaskGroup(of: Bool.self) { group in
                    group.addTask {
                        report(try await Self.firstExit(of: [("the gateway's API process", gateway), ("the job worker", worker)]))
                        throw ExitCode(3)
                    }
                    group.addTask {
                        let api = ChaosAPI(http: http, token: token.id, projectID: token.projectID, ports: ports, gateway: gateway)
                        let network = try await api.setUpNetwork()
                        report("failover: \(concurrency) clients for \(Int(duration)) s, primary killed at \(Int(killAt)) s; state \(dir), database \(databaseURL)")
                        if let statusCommand { _ = await shell(statusCommand, log: dir + "/status-before.txt", echo: true) }

                        let load = FailoverLoad(api: api, image: image, network: network)
                        let start = ContinuousClock.now
                        let concurrency = concurrency, duration = duration, killAt = killAt, killCommand = killCommand
                        // The clients return nil; the killer returns when it struck.
                        let kill = try await withThrowingTaskGroup(of: ContinuousClock.Instant?.self) { group in
                            for client in 0..<concurrency {
                                group.addTask {
                                    var index = client
                                    while ContinuousClock.now - start < .seconds(duration) && !Task.isCancelled {
                                        await load.operation(index)
                                        index += concurrency
                                    }
                                    return nil
                                }
                            }
                            group.addTask {
                                try await Task.sleep(until: start.advanced(by: .seconds(killAt)), clock: .continuous)
                                let struck = ContinuousClock.now
                                let status = await shell(killCommand, log: dir + "/kill.txt", echo: true)
                                if status != 0 { report("failover: the kill command exited \(status)") }
                                return struck
                            }
                            var struck: ContinuousClock.Instant?
                            for try await instant in group where instant != nil { struck = instant }
                            return struck ?? start
                        }
                        let window = load.window(after: kill, start: start)
                        report("failover: load done: \(load.summary)")
                        report(window.lines.joined(separator: "\n"))
                        if let statusCommand { _ = await shell(statusCommand, log: dir + "/status-after.txt", echo: true) }

                        // Let every job run, then wait out the create-locks' staleness and a boot's adoption window,
                        // as the audit must before it may judge.
                        let deadline = ContinuousClock.now.advanced(by: .seconds(300))
                        let drained = try await chaos.drain(databaseURL: databaseURL, until: deadline)
                        let loaded = try TricircleConfig.load(files: [config], environment: [:])
                        let settle = Double(loaded.staleLockSeconds) + 2 * Double(loaded.podTimeout.components.seconds) + 10
                        report("failover: jobs \(drained ? "drained" : "NOT drained"); waiting \(Int(settle)) s before checking")
                        try await Task.sleep(for: .seconds(settle))
                        _ = try await chaos.drain(databaseURL: databaseURL, until: deadline)

                        // The checks first: their GETs of the deleted servers let the top forget those (a delete the pod
                        // finishes later leaves the row until a GET answers 404), which the audit would count as well.
                        let checks = try await load.check(databaseURL: databaseURL)
                        // The periodic audit judges only what is older than its grace (60 s here); wait for one that
                        // started late enough to see everything the failover window left (75 s after the kill),
                        // then for its repairs' jobs.
                        let repaired = try await Self.awaitPeriodicAudit(
                            databaseURL: databaseURL, after: Date(timeIntervalSinceNow: 75 - (ContinuousClock.now - kill).seconds),
                            until: ContinuousClock.now.advanced(by: .seconds(75 + 3 * Self.auditInterval)))
                        report("failover: the periodic audit repaired: \(repaired)")
                        _ = try await chaos.drain(databaseURL: databaseURL, until: ContinuousClock.now.advanced(by: .seconds(60)))

                        let audit = try await chaos.runAudit(
                            executable, ["audit", "--config-file", config, "--json", "--grace-seconds", "0"], log: dir + "/audit.json")
                        report("""
                            failover result:
                              gateway answers: \(window.counts)
                              error window: \(window.windowLine)
                              creates answered 202: \(checks.created) (servers \(checks.createdServers), volumes \(checks.createdVolumes)); \
                            without routing row: \(checks.missingRows), not found in their pod: \(checks.missingInPod)
                              deletes answered 204: \(checks.deleted); still there: \(checks.notGone)
                              jobs: \(checks.jobs); run twice (two successful runs of one job): \(checks.jobsRunTwice); runs taken over after their lease expired: \(checks.runsTakenOver)
                              audit: \(audit.line) (after the periodic audit's repair: \(repaired))
                            """)
                        return window.internalErrors == 0 && checks.clean && audit.clean
                    }
                    // The run's result, or the watcher's error (the run is then cancelled and awaited).
                    let ok = try await group.next() ?? false
                    group.cancelAll()
                    return ok
                }
                await stop(gateway)
                await stop(worker)
                try await http.shutdown()
                return ok
            } catch {
                await stop(gateway)
                await stop(worker)
                try? await http.shutdown()
                throw error
            }
        }
        if !ok { throw ExitCode(1) }
    }

    /// Returns, saying which, how and its log's last lines, once one of `processes` has exited on its own.
    /// Reaps it: its `stop()` afterwards finds it gone.
    static func firstExit(of processes: [(String, GatewayProcess)]) async throws -> String {
        while true {
            for (name, process) in processes {
                let pid = process.pid
                var raw: Int32 = 0
                guard pid > 0, waitpid(pid, &raw, WNOHANG) == pid else { continue }
                let how = (raw & 0x7f) == 0 ? "exited with status \((raw >> 8) & 0xff)" : "was killed by signal \(raw & 0x7f)"
                let tail = ((try? String(contentsOfFile: process.log, encoding: .utf8)) ?? "")
                    .split(separator: "\n", omittingEmptySubsequences: false).suffix(8).joined(separator: "\n")
                return "failover: \(name) (pid \(pid)) \(how) during the run; stopping now. Last lines of \(process.log):\n\(tail)"
            }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    /// Seconds between the cluster's periodic audits in this run (`[job] audit_interval`).
    static let auditInterval: Double = 15

    /// Waits until a periodic `audit` job that started after `after` has succeeded and returns what it repaired
    /// (the progress note of each audit since the load began); throws when none did by `until`.
    static func awaitPeriodicAudit(databaseURL: String, after: Date, until deadline: ContinuousClock.Instant) async throws -> String {
        try await TestDatabases.withStore(url: databaseURL) { try await awaitPeriodicAudit($0, after: after, until: deadline) }
    }

    static func awaitPeriodicAudit(_ store: StateStore, after: Date, until deadline: ContinuousClock.Instant) async throws -> String {
        let parse = ISO8601DateFormatter()
        parse.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        while ContinuousClock.now < deadline {
            let rows = try await store.read { db in
                try await db.raw("SELECT started_at, progress_note FROM jobs WHERE type = 'audit' AND status = 'success' ORDER BY started_at").all()
            }
            let audits = rows.compactMap { row -> (Date, String)? in
                guard let started = try? row.decode(column: "started_at", as: String.self), let date = parse.date(from: started) else { return nil }
                return (date, (try? row.decode(column: "progress_note", as: String?.self)).flatMap { $0 } ?? "")
            }
            if audits.contains(where: { $0.0 > after }) {
                // A note with a non-zero count is an audit that repaired something.
                let repairs = audits.map(\.1).filter { $0.contains(where: { ("1"..."9").contains($0) }) }
                return repairs.isEmpty ? "nothing" : repairs.joined(separator: "; ")
            }
            try await Task.sleep(for: .seconds(1))
        }
        throw ValidationError("no periodic audit ran to the end after the failover (see worker.log)")
    }

    /// SIGTERM, and SIGKILL if the process is still there 10 s later (a request stuck in it would hold a graceful
    /// stop forever; the benchmark reports such requests as unanswered calls).
    func stop(_ process: GatewayProcess) async {
        let pid = process.pid
        guard pid > 0 else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await process.stop() }
            group.addTask {
                try? await Task.sleep(for: .seconds(10))
                if !Task.isCancelled { kill(pid, SIGKILL) }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Runs `sh -c command`, its output to `log` (and to stdout when `echo`); returns its exit status.
    func shell(_ command: String, log: String, echo: Bool) async -> Int32 {
        guard let child = try? SpawnedProcess(path: "/bin/sh", arguments: ["-c", command], output: log) else { return -1 }
        let status = await child.wait()
        if echo, let text = try? String(contentsOfFile: log, encoding: .utf8) { report(text.trimmingCharacters(in: .newlines)) }
        return status
    }
}

/// The load's calls, what each answered and when, and what they made.
final class FailoverLoad: Sendable {
    let api: ChaosAPI
    let image: String
    let network: String

    /// One answer: when the call started and ended, and its status (nil: no answer, the connection failed).
    struct Answer: Sendable {
        var kind: String
        var started: ContinuousClock.Instant
        var ended: ContinuousClock.Instant
        var status: Int?
    }

    private let answers = Mutex<[Answer]>([])
    /// Created and answered 202: id -> "server" / "volume".
    private let made = Mutex<[String: String]>([:])
    /// Servers whose delete was answered 204.
    private let deleted = Mutex<Set<String>>([])
    /// Servers a delete may pick (made, not picked yet).
    private let deletable = Mutex<[String]>([])

    init(api: ChaosAPI, image: String, network: String) {
        self.api = api
        self.image = image
        self.network = network
    }

    /// Operation `index`: a boot, a volume create or a server delete, in a fixed cycle of ten
    /// (4 boots, 3 volume creates, 3 deletes of a server made earlier; a boot when there is none).
    func operation(_ index: Int) async {
        let az = index % 2 == 0 ? "az1" : "az2"
        switch index % 10 {
        case 1, 4, 7:
            let body = #"{"volume": {"size": 1, "name": "failover-vol-\#(index)", "availability_zone": "\#(az)"}}"#
            let answer = await timed("volume create") { await self.api.call("POST", "volume", "/volumes", body) }
            if answer?.0 == 202, let id = (answer?.1["volume"] as? [String: Any])?["id"] as? String {
                made.withLock { $0[id] = "volume" }
            }
        case 2, 5, 8:
            if let id = deletable.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
                let answer = await timed("server delete") { await self.api.call("DELETE", "compute", "/servers/\(id)") }
                if answer?.0 == 204 { _ = deleted.withLock { $0.insert(id) } }
                return
            }
            fallthrough
        default:
            let networks = index % 3 == 0 ? #", "networks": [{"uuid": "\#(network)"}]"# : ""
            let body = #"{"server": {"name": "failover-\#(index)", "flavorRef": "1", "imageRef": "\#(image)", "availability_zone": "\#(az)"\#(networks)}}"#
            let answer = await timed("boot") { await self.api.call("POST", "compute", "/servers", body) }
            if answer?.0 == 202, let id = (answer?.1["server"] as? [String: Any])?["id"] as? String {
                made.withLock { $0[id] = "server" }
                deletable.withLock { $0.append(id) }
            }
        }
    }

    private func timed(_ kind: String, _ call: () async -> (Int, [String: Any])?) async -> (Int, [String: Any])? {
        let started = ContinuousClock.now
        let answer = await call()
        let record = Answer(kind: kind, started: started, ended: .now, status: answer?.0)
        answers.withLock { $0.append(record) }
        return answer
    }

    var summary: String {
        var counts: [String: Int] = [:]
        for answer in answers.withLock({ $0 }) {
            counts["\(answer.kind) \(answer.status.map(String.init) ?? "no answer")", default: 0] += 1
        }
        return counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
    }

    /// The error window: failed answers (5xx or none) from the kill on, their span, and the first success after.
    struct Window: Sendable {
        var counts: String
        var windowLine: String
        var internalErrors: Int
        var lines: [String]
    }

    func window(after kill: ContinuousClock.Instant, start: ContinuousClock.Instant) -> Window {
        let all = answers.withLock { $0 }.sorted { $0.ended < $1.ended }
        func failed(_ a: Answer) -> Bool { (a.status ?? 599) >= 500 }
        let byStatus = Dictionary(grouping: all, by: { $0.status.map(String.init) ?? "no answer" }).mapValues(\.count)
        let counts = byStatus.sorted { $0.key < $1.key }.map { "\($0.key) x\($0.value)" }.joined(separator: ", ")
        let failures = all.filter { failed($0) && $0.ended >= kill }
        let before = all.filter { failed($0) && $0.ended < kill }.count
        let internalErrors = all.filter { $0.status == 500 }.count
        func at(_ t: ContinuousClock.Instant) -> String { String(format: "%.2f s", (t - kill).seconds) }
        guard let first = failures.first, let last = failures.last else {
            return Window(counts: counts, windowLine: "no failed answer after the kill (\(before) before it)",
                          internalErrors: internalErrors, lines: ["failover: no failed answer after the kill"])
        }
        let recovered = all.first { !failed($0) && $0.started > last.ended }
        let window = String(format: "%.2f s", (last.ended - first.started).seconds)
        let line = "\(failures.count) failed answers from \(at(first.ended)) to \(at(last.ended)) after the kill "
            + "(\(window) from the first failing call's start to the last failure's answer); first success after: "
            + (recovered.map { at($0.ended) } ?? "none") + (before > 0 ? "; \(before) failed answers before the kill" : "")
        var lines = ["failover: \(line)"]
        lines += failures.map { "  \(at($0.started)) -> \(at($0.ended)) \($0.kind): \($0.status.map(String.init) ?? "no answer")" }
        return Window(counts: counts, windowLine: line, internalErrors: internalErrors, lines: lines)
    }

    struct Checks: Sendable {
        var created = 0, createdServers = 0, createdVolumes = 0, missingRows = 0, missingInPod = 0
        var deleted = 0, notGone = 0, jobsRunTwice = 0, runsTakenOver = 0
        var jobs = ""
        var clean: Bool { missingRows == 0 && missingInPod == 0 && notGone == 0 && jobsRunTwice == 0 }
    }

    /// Every create answered 202 still has its routing row and its pod has it (a routed GET through the gateway
    /// answers 200); every server delete answered 204 is gone; no job succeeded twice.
    func check(databaseURL: String) async throws -> Checks {
        let made = made.withLock { $0 }
        let deleted = deleted.withLock { $0 }
        var checks = Checks()
        checks.created = made.count
        checks.createdServers = made.values.filter { $0 == "server" }.count
        checks.createdVolumes = made.count - checks.createdServers
        checks.deleted = deleted.count
        try await TestDatabases.withStore(url: databaseURL, maxPoolSize: 2) { store in
            // GET first: the top forgets a deleted server's row when it sees the pod's 404 (as `delete --wait` does).
            var shown: [String: Int] = [:]
            for (id, kind) in made {
                let path = kind == "server" ? "/servers/\(id)" : "/volumes/\(id)"
                shown[id] = await api.retrying("GET", kind == "server" ? "compute" : "volume", path)?.0 ?? 0
            }
            let routed = Set(try await store.read { db in
                try await db.raw("SELECT DISTINCT top_id FROM resource_routings WHERE resource_type IN ('server', 'volume')")
                    .all().map { try $0.decode(column: "top_id", as: String.self) }
            })
            for (id, kind) in made {
                let status = shown[id] ?? 0
                if deleted.contains(id) {
                    if routed.contains(id) || status != 404 {
                        checks.notGone += 1
                        report("failover: deleted server \(id) still there (routing row \(routed.contains(id)), GET \(status))")
                    }
                    continue
                }
                if !routed.contains(id) {
                    checks.missingRows += 1
                    report("failover: \(kind) \(id) answered 202 has no routing row")
                }
                if status != 200 {
                    checks.missingInPod += 1
                    report("failover: \(kind) \(id) answered 202 is not found through the gateway (GET \(status))")
                }
            }
            let twice = try await store.read { db in
                try await db.raw("""
                    SELECT COUNT(*) AS n FROM (SELECT job_id FROM job_log WHERE outcome = 'success'
                                               GROUP BY job_id HAVING COUNT(*) > 1) AS t
                    """).first()?.decode(column: "n", as: Int.self) ?? 0
            }
            let outcomes = try await store.read { db in
                try await db.raw("SELECT outcome, COUNT(*) AS n FROM job_log GROUP BY outcome ORDER BY outcome").all()
                    .map { "\(try $0.decode(column: "outcome", as: String.self)) \(try $0.decode(column: "n", as: Int.self))" }
            }
            let statuses = try await store.read { db in
                try await db.raw("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status ORDER BY status").all()
                    .map { "\(try $0.decode(column: "status", as: String.self)) \(try $0.decode(column: "n", as: Int.self))" }
            }
            checks.jobsRunTwice = twice
            checks.runsTakenOver = try await store.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM job_log WHERE outcome = 'lost'").first()?.decode(column: "n", as: Int.self) ?? 0
            }
            checks.jobs = "jobs by status: \(statuses.joined(separator: ", ")); runs by outcome: \(outcomes.joined(separator: ", "))"
        }
        return checks
    }
}
