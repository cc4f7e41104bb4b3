import ArgumentParser
import Logging
import TricircleCore
import TricircleStore

/// `tricircle db upgrade|version`: the state store's schema.
struct DBCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "Manage the state database schema.",
        subcommands: [Upgrade.self, Version.self])

    struct Upgrade: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply every pending migration (safe to run again).")
        @OptionGroup var options: ConfigOptionGroup

        func run() async throws {
            let config = try options.load()
            LoggingSetup.bootstrap(debug: options.debug || config.debug, json: config.logsAsJSON)
            let store = try await StateStore.open(url: config.databaseURL, maxPoolSize: 2)
            let applied = try await store.migrate()
            let versions = try await store.currentVersions()
            try await store.close()
            if applied.isEmpty {
                print("Schema is up to date at version \(versions.max() ?? 0) (\(store.displayURL)).")
            } else {
                for m in applied { print("Applied \(m.version): \(m.name)") }
                print("Schema now at version \(versions.max() ?? 0) (\(store.displayURL)).")
            }
        }
    }

    struct Version: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the applied and the latest schema version.")
        @OptionGroup var options: ConfigOptionGroup

        func run() async throws {
            let config = try options.load()
            let store = try await StateStore.open(url: config.databaseURL, maxPoolSize: 1)
            let versions = (try? await store.currentVersions()) ?? []
            try await store.close()
            print("applied: \(versions.max() ?? 0)  latest: \(Migrations.latestVersion)")
        }
    }
}
