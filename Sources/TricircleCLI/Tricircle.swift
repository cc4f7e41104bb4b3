import ArgumentParser

/// The `tricircle` executable: gateway, workers, simulator, sandbox and admin commands.
@main
struct Tricircle: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tricircle",
        abstract: "One OpenStack endpoint over many OpenStack regions.",
        version: TricircleVersion.current,
        subcommands: [
            ServeCommand.self, DBCommand.self, PodCommand.self, RoutingCommand.self, JobCommand.self,
            SandboxCommand.self, SimCommand.self, ConfigCommand.self, AuditCommand.self, QuotaCommand.self,
        ])
}

/// The version printed by `tricircle --version` and in version documents.
enum TricircleVersion {
    static let current = "0.1.0"
}
