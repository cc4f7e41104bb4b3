import ArgumentParser
import Foundation
import RegionSimulator
import TricircleCore

/// `tricircle sim`: simulated Keystone and OpenStack regions on loopback, for tests and benchmarks.
struct SimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run simulated OpenStack regions (Keystone, Nova, Cinder, Glance, Neutron, Trove) on loopback.",
        discussion: """
            Keystone listens on --base-port and every (region, service) on the ports after it (0: ephemeral).
            Faults are changed at run time with PUT <keystone>/sim/faults/<region>/<service>, e.g.
            {"latency_ms": 50, "jitter_ms": 5, "error_rate": 0.1, "down": false, "black_hole": false}.
            """)

    @Option(help: "Number of regions (RegionOne/az1, RegionTwo/az2, ...).")
    var regions: Int = 2

    @Option(help: "Keystone's port; services take the ports after it. 0: ephemeral ports.")
    var basePort: Int = 5000

    @Option(help: "Address to bind.")
    var host: String = "127.0.0.1"

    @Option(help: "Milliseconds of every status transition (BUILD -> ACTIVE, creating -> available, ...).")
    var transitionMs: Int = 200

    @Option(help: "Keystone admin password.")
    var adminPassword: String = "secret"

    @Option(help: "Services every region runs (comma-separated among compute, volumev3, image, network, database). Default: all.")
    var services: String?

    @Option(help: "A first region without services (e.g. CentralRegion, AZ central): the gateway's top region, whose endpoints are the gateway's.")
    var topRegion: String?

    @Flag(help: "Nova and Cinder quotas unlimited in every region (scale runs); default: Nova's and Cinder's defaults.")
    var unlimitedQuotas = false

    @Option(help: "ACTIVE servers made in memory in every region at start, for --seed-user's project (no API calls; ids are RegionStore.seededServerID(region:index:)).")
    var seedServers: Int = 0

    @Option(help: "Owner of the seeded servers (user and project of that name).")
    var seedUser: String = "demo"

    @Option(help: "Milliseconds every region's Compute API answers late (the latency fault, set at start).")
    var computeLatencyMs: Int = 0

    func validate() throws {
        guard (1...1000).contains(regions) else { throw ValidationError("--regions must be 1...1000") }
        guard (0...65535).contains(basePort) else { throw ValidationError("--base-port must be a port number") }
        guard seedServers >= 0, computeLatencyMs >= 0 else { throw ValidationError("--seed-servers and --compute-latency-ms must be >= 0") }
        _ = try serviceKinds()
    }

    func serviceKinds() throws -> [SimulatedCloudConfiguration.ServiceKind] {
        guard let services else { return SimulatedCloudConfiguration.ServiceKind.allCases }
        return try services.split(separator: ",").map { name in
            guard let kind = SimulatedCloudConfiguration.ServiceKind(loose: name.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--services: unknown service \(name)")
            }
            return kind
        }
    }

    /// The simulated Keystone's passwords of its users (what `say` prints below).
    static let passwords = ["admin": "secret", "demo": "demopass", "alt_demo": "altpass"]

    func run() async throws {
        LoggingSetup.bootstrap(debug: false)
        let bottom = SimulatedCloudConfiguration.regions(regions, services: try serviceKinds())
        let top = topRegion.map { [SimulatedCloudConfiguration.Region(name: $0, availabilityZone: "central", services: [])] } ?? []
        let configuration = SimulatedCloudConfiguration(
            regions: top + bottom, host: host, basePort: basePort,
            adminPassword: adminPassword, transitionDelay: .milliseconds(transitionMs),
            quotaDefaults: unlimitedQuotas ? .unlimited : QuotaDefaults())
        let cloud = SimulatedCloud(configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await cloud.run() }
            try await cloud.waitUntilReady()
            if seedServers > 0 {
                guard let owner = cloud.identity.issueToken(userName: seedUser, password: seedUser == "admin" ? adminPassword : Self.passwords[seedUser] ?? "", projectName: seedUser) else {
                    throw ValidationError("--seed-user \(seedUser): no such simulated user")
                }
                let started = ContinuousClock.now
                for region in bottom where region.services.contains(.compute) {
                    cloud.store(region: region.name)?.seedServers(
                        count: seedServers, projectID: owner.projectID, userID: owner.userID,
                        availabilityZone: region.availabilityZone, deterministicIDs: true)
                }
                say("Seeded \(seedServers) servers in each of \(bottom.count) regions for \(seedUser) in \(ContinuousClock.now - started)")
            }
            if computeLatencyMs > 0 {
                for region in bottom { cloud.setFault(FaultSettings(latencyMs: Double(computeLatencyMs)), region: region.name, service: .compute) }
            }
            say("Keystone: \(cloud.identityURL)   (admin / \(adminPassword); demo / demopass; alt_demo / altpass)")
            say("Fault control: \(cloud.controlURL)/sim/faults")
            for (region, services) in cloud.endpoints().sorted(by: { $0.key < $1.key }) where regions <= 10 {
                say("  \(region): " + services.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: "  "))
            }
            if regions > 10 { say("  \(regions) regions; `openstack endpoint list` shows every endpoint") }
            say("Ready. Ctrl-C stops.")
            try await waitForTermination()
            group.cancelAll()
        }
    }
}
