import Foundation
import TricircleCore
import TricircleServer
import TricircleStore

extension GatewayHarness {
    /// Runs `body` with a second gateway process on this harness's state database and simulated cloud: its
    /// own runtime (store connections, caches, job workers) and listeners, as two gateway processes behind
    /// one load balancer. On PostgreSQL it opens its own connections; SQLite serves one process through one
    /// connection, so there it shares this gateway's store (everything else is its own). The second gateway
    /// is stopped when `body` returns, whatever it left under way. `overrides` change its config only.
    public func withSecondGateway<T: Sendable>(
        overrides: [String: String] = [:], _ body: @Sendable (GatewayHarness) async throws -> T
    ) async throws -> T {
        var values: [String: String] = [:]
        for option in TricircleOptions.all {
            let value = runtime.config.values.string(option.section, option.name)
            if value != option.defaultValue { values["\(option.section).\(option.name)"] = value }
        }
        values.merge(overrides) { _, new in new }
        let config = try TricircleConfig.defaults(overrides: values)
        let second = try await GatewayAssembly.start(config: config, sharingStoreOf: runtime.store.backend == .sqlite ? runtime : nil)
        let listening = AsyncStream<(String, Int)>.makeStream()
        let expected = Set(["admin"] + second.frontEnds.map(\.name))
        do {
            let result: T? = try await withThrowingTaskGroup(of: T?.self) { group -> T? in
                group.addTask {
                    try await second.run(components: .all) { name, port in listening.continuation.yield((name, port)) }
                    return nil
                }
                var ports: [String: Int] = [:]
                for await (name, port) in listening.stream {
                    ports[name] = port
                    if expected.isSubset(of: Set(ports.keys)) { break }
                }
                let harness = GatewayHarness(cloud: cloud, assembly: second, http: http, ports: ports)
                defer { group.cancelAll() }
                return try await body(harness)
            }
            await second.shutdown()
            guard let result else { throw HarnessError("second gateway stopped early") }
            return result
        } catch {
            await second.shutdown()
            throw error
        }
    }
}
