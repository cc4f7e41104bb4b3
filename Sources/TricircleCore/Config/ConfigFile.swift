import Foundation

/// An error in the configuration: names the file, line, section or option at fault.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A parsed oslo.config-style INI file: `[section]` headers, `name = value` lines, `#`/`;` comments.
public struct ConfigFile: Sendable {
    /// section -> option -> (value, line number)
    public private(set) var sections: [String: [String: (value: String, line: Int)]] = [:]
    public let path: String

    public init(path: String, text: String) throws {
        self.path = path
        var section: String?
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), line.count > 2 else {
                    throw ConfigError("\(path):\(lineNumber): malformed section header '\(line)'")
                }
                let name = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                section = name
                if sections[name] == nil { sections[name] = [:] }
                continue
            }
            guard let current = section else {
                throw ConfigError("\(path):\(lineNumber): option outside any [section]: '\(line)'")
            }
            guard let eq = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
                throw ConfigError("\(path):\(lineNumber): expected 'name = value', got '\(line)'")
            }
            let name = line[..<eq].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else { throw ConfigError("\(path):\(lineNumber): option with no name") }
            sections[current, default: [:]][name] = (value, lineNumber)
        }
    }

    public static func load(path: String) throws -> ConfigFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError("cannot read config file \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError("config file \(path) is not UTF-8")
        }
        return try ConfigFile(path: path, text: text)
    }
}
