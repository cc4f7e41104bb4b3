import ArgumentParser
import TricircleCore

/// `tricircle config sample|check`: the configuration file.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Print a sample configuration or check one.",
        subcommands: [Sample.self, Check.self])

    struct Sample: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print every option with its help and default.")
        @Flag(help: "A Markdown table (the README's configuration reference) instead of an INI file.")
        var markdown = false

        func run() {
            guard markdown else { print(TricircleConfig.sampleFile(), terminator: ""); return }
            print("| section | option | default | environment | meaning |")
            print("|---|---|---|---|---|")
            for o in TricircleOptions.all {
                let value = o.defaultValue.isEmpty ? "" : "`\(o.defaultValue)`"
                print("| `[\(o.section)]` | `\(o.name)` | \(value) | `\(o.environmentName)` | \(o.help.replacingOccurrences(of: "|", with: "\\|")) |")
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate the configuration and print where each value comes from.")
        @OptionGroup var options: ConfigOptionGroup

        func run() throws {
            let config = try options.load()
            for option in TricircleOptions.all {
                let key = "\(option.section).\(option.name)"
                let value = option.secret ? "***" : config.values.string(option.section, option.name)
                print("[\(option.section)] \(option.name) = \(value)    (\(config.values.sources[key] ?? "default"))")
            }
        }
    }
}
