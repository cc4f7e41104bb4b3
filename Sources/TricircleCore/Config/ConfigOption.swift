/// The kind of value an option takes, used to validate it at start-up.
public enum ConfigValueKind: Sendable, Equatable {
    case string
    case bool
    case integer(ClosedRange<Int>)
    case number(ClosedRange<Double>)
    case choice([String])
    /// A URL with one of these schemes.
    case url(schemes: [String])
}

/// One declared option: the single source of its section, name, kind, default and help text.
public struct ConfigOption: Sendable {
    public let section: String
    public let name: String
    public let kind: ConfigValueKind
    public let defaultValue: String
    public let help: String
    /// Secrets are never echoed in logs or errors.
    public let secret: Bool

    public init(
        _ section: String, _ name: String, _ kind: ConfigValueKind, default defaultValue: String,
        secret: Bool = false, help: String
    ) {
        self.section = section
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.help = help
        self.secret = secret
    }

    /// The environment variable that overrides this option (`TRICIRCLE_<SECTION>__<NAME>`).
    public var environmentName: String {
        "TRICIRCLE_\(section.uppercased())__\(name.uppercased())"
    }

    /// Checks a raw value; returns a message naming what is wrong, or nil when it is acceptable.
    func problem(with raw: String) -> String? {
        switch kind {
        case .string:
            return nil
        case .bool:
            return ConfigValues.parseBool(raw) == nil ? "expected true or false, got '\(raw)'" : nil
        case .integer(let range):
            guard let v = Int(raw.trimmingCharacters(in: .whitespaces)) else { return "expected an integer, got '\(raw)'" }
            return range.contains(v) ? nil : "\(v) is outside \(range.lowerBound)...\(range.upperBound)"
        case .number(let range):
            guard let v = Double(raw.trimmingCharacters(in: .whitespaces)) else { return "expected a number, got '\(raw)'" }
            return range.contains(v) ? nil : "\(v) is outside \(range.lowerBound)...\(range.upperBound)"
        case .choice(let choices):
            return choices.contains(raw) ? nil : "expected one of \(choices.joined(separator: ", ")), got '\(raw)'"
        case .url(let schemes):
            if raw.isEmpty { return nil }
            guard let colon = raw.firstIndex(of: ":") else { return "expected a URL (\(schemes.joined(separator: ", "))), got '\(raw)'" }
            let scheme = String(raw[..<colon]).lowercased()
            return schemes.contains(scheme) ? nil : "URL scheme '\(scheme)' is not one of \(schemes.joined(separator: ", "))"
        }
    }
}

import Foundation
