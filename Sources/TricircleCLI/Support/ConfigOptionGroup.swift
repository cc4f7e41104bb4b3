import ArgumentParser
import Foundation
import Logging
import TricircleCore

/// `--config-file` (repeatable, later files win) shared by every command that reads the configuration.
struct ConfigOptionGroup: ParsableArguments {
    @Option(name: .customLong("config-file"), help: "An oslo.config-style INI file; repeat for several (later wins).")
    var configFiles: [String] = []

    @Flag(name: .long, help: "Log at debug level (same as [DEFAULT] debug = true).")
    var debug = false

    func load(overrides: [String: String] = [:]) throws -> TricircleConfig {
        do {
            return try TricircleConfig.load(files: configFiles, overrides: overrides)
        } catch let error as ConfigError {
            throw ValidationError(error.description)
        }
    }
}

/// Logging set up once per process: stderr, level and format (text or JSON lines) from the configuration.
enum LoggingSetup {
    static func bootstrap(debug: Bool, json: Bool = false, level: Logger.Level? = nil) {
        let level: Logger.Level = level ?? (debug ? .debug : .info)
        LoggingSystem.bootstrap { label in
            if json {
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
            var handler = TextLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
