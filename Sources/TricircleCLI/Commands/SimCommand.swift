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

    func validate() throws {
        guard (1...1000).contains(regions) else { throw ValidationError("--regions must be 1...1000") }
        guard (0...65535).contains(basePort) else { throw ValidationError("--base-port must be a port number") }
    }

    func run() async throws {
        LoggingSetup.bootstrap(debug: false)
        let configuration = SimulatedCloudConfiguration(
            regions: SimulatedCloudConfiguration.regions(regions), host: host, basePort: basePort,
            adminPassword: adminPassword, transitionDelay: .milliseconds(transitionMs))
        let cloud = SimulatedCloud(configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await cloud.run() }
            try await cloud.waitUntilReady()
            say("Keystone: \(cloud.identityURL)   (admin / \(adminPassword); demo / demopass; alt_demo / altpass)")
            say("Fault control: \(cloud.controlURL)/sim/faults")
            for (region, services) in cloud.endpoints().sorted(by: { $0.key < $1.key }) where regions <= 10 {
                say("  \(region): " + services.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: "  "))
            }
            if regions > 10 { say("  \(regions) regions; `openstack endpoint list` shows every endpoint") }
            say("Ctrl-C stops.")
            try await waitForTermination()
            group.cancelAll()
        }
    }
}
