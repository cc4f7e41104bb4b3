/// Validated option values from defaults, config files and the environment, in that order of precedence
/// (the environment wins, as operators expect when they override one setting in a container).
public struct ConfigValues: Sendable {
    private var values: [String: String]
    /// Where each value came from ("default", "file:line", "env"), for `--show-config` style output.
    public private(set) var sources: [String: String]
    public let options: [ConfigOption]

    /// Builds the values; throws a `ConfigError` listing every unknown option and bad value.
    public init(
        options: [ConfigOption], files: [ConfigFile] = [], environment: [String: String] = [:],
        overrides: [String: String] = [:]
    ) throws {
        self.options = options
        var values: [String: String] = [:]
        var sources: [String: String] = [:]
        var problems: [String] = []
        let byKey = Dictionary(options.map { (Self.key($0.section, $0.name), $0) }, uniquingKeysWith: { a, _ in a })
        for option in options {
            values[Self.key(option.section, option.name)] = option.defaultValue
            sources[Self.key(option.section, option.name)] = "default"
        }
        for file in files {
            for (section, entries) in file.sections.sorted(by: { $0.key < $1.key }) {
                for (name, entry) in entries.sorted(by: { $0.value.line < $1.value.line }) {
                    let key = Self.key(section, name)
                    guard let option = byKey[key] else {
                        problems.append("\(file.path):\(entry.line): unknown option '\(name)' in [\(section)]")
                        continue
                    }
                    if let problem = option.problem(with: entry.value) {
                        problems.append("\(file.path):\(entry.line): [\(section)] \(name): \(problem)")
                        continue
                    }
                    values[key] = entry.value
                    sources[key] = "\(file.path):\(entry.line)"
                }
            }
        }
        let envNames = Dictionary(options.map { ($0.environmentName, $0) }, uniquingKeysWith: { a, _ in a })
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) where name.hasPrefix("TRICIRCLE_") && name.contains("__") {
            guard let option = envNames[name] else {
                problems.append("environment: unknown option \(name)")
                continue
            }
            if let problem = option.problem(with: value) {
                problems.append("environment: \(name): \(problem)")
                continue
            }
            values[Self.key(option.section, option.name)] = value
            sources[Self.key(option.section, option.name)] = "env"
        }
        for (key, value) in overrides {
            guard let option = byKey[key] else { problems.append("unknown option \(key)"); continue }
            if let problem = option.problem(with: value) { problems.append("\(key): \(problem)"); continue }
            values[key] = value
            sources[key] = "command line"
        }
        if !problems.isEmpty {
            throw ConfigError("invalid configuration:\n  " + problems.joined(separator: "\n  "))
        }
        self.values = values
        self.sources = sources
    }

    static func key(_ section: String, _ name: String) -> String { "\(section).\(name)" }

    static func parseBool(_ raw: String) -> Bool? {
        switch raw.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: return nil
        }
    }

    public func string(_ section: String, _ name: String) -> String {
        values[Self.key(section, name)] ?? ""
    }

    public func bool(_ section: String, _ name: String) -> Bool {
        Self.parseBool(string(section, name)) ?? false
    }

    public func int(_ section: String, _ name: String) -> Int {
        Int(string(section, name).trimmingCharacters(in: .whitespaces)) ?? 0
    }

    public func double(_ section: String, _ name: String) -> Double {
        Double(string(section, name).trimmingCharacters(in: .whitespaces)) ?? 0
    }
}

import Foundation
