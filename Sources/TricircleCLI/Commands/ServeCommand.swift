import ArgumentParser
import Foundation
import Logging
import TricircleCore
import TricircleGateway
import TricircleServer

/// `tricircle serve`: every front-end and the job workers in one process, or only some of them.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the gateway's API front-ends and job workers.",
        discussion: """
            With no configuration it starts on SQLite under ./data. Several processes can share one PostgreSQL
            database; give each the components it should run, e.g. `--only api` (the admin API and every
            front-end) on API nodes behind a load balancer and `--only jobs` on worker nodes.
            """)

    @OptionGroup var options: ConfigOptionGroup

    @Option(help: "Comma-separated components to run: \(GatewayComponents.names.map(\.0).joined(separator: ", ")), or api (all but jobs). Default: all.")
    var only: String?

    func run() async throws {
        let config = try options.load()
        LoggingSetup.bootstrap(debug: options.debug || config.debug, json: config.logsAsJSON)
        let logger = Logger(label: "tricircle.serve")
        var components = GatewayComponents.all
        if let only {
            do { components = try GatewayComponents.parse(only) } catch { throw ValidationError(error.message) }
        }
        let gateway = try await GatewayAssembly.start(config: config, logger: logger)
        logger.info("tricircle \(TricircleVersion.current) starting",
                    metadata: ["components": "\(GatewayComponents.names.filter { components.contains($0.1) }.map(\.0))"])
        do {
            try await gateway.run(components: components) { name, port in
                logger.info("listening", metadata: ["api": "\(name)", "address": "\(config.bindHost):\(port)"])
            }
        } catch {
            await gateway.shutdown()
            throw error
        }
        await gateway.shutdown()
    }
}
