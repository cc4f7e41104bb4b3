import Foundation
import Logging

/// A log handler that writes one JSON object per line to stderr (`[DEFAULT] log_format = json`): `timestamp`,
/// `level`, `logger`, `message`, `source`, then every metadata key (`request_id`, `project_id`, `job_id`, ...)
/// as a field of its own, so a collector can search by request id without parsing text.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String

    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let fields = Self.fields(metadata, provider: metadataProvider, event: event)
        var line = "{\"timestamp\":\(Self.quoted(Self.timestamp()))"
        line += ",\"level\":\(Self.quoted(event.level.rawValue)),\"logger\":\(Self.quoted(label))"
        line += ",\"message\":\(Self.quoted(event.message.description)),\"source\":\(Self.quoted(event.source))"
        for key in fields.keys.sorted() where !Self.reserved.contains(key) {
            if let value = fields[key] { line += ",\(Self.quoted(key)):\(Self.json(value))" }
        }
        line += "}\n"
        // One write per line: lines from concurrent tasks never interleave.
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// A line's metadata: the logger's, then the provider's, then the call's (later ones win).
    static func fields(_ metadata: Logger.Metadata, provider: Logger.MetadataProvider?, event: LogEvent) -> Logger.Metadata {
        var fields = metadata
        if let provided = provider?.get() { fields.merge(provided) { _, new in new } }
        if let extra = event.metadata { fields.merge(extra) { _, new in new } }
        return fields
    }

    /// The fields every line has; metadata with these names is left out rather than written twice.
    static let reserved: Set<String> = ["timestamp", "level", "logger", "message", "source"]

    static func timestamp() -> String {
        Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    static func json(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let string): quoted(string)
        case .stringConvertible(let convertible): quoted(convertible.description)
        case .array(let items): "[" + items.map(json).joined(separator: ",") + "]"
        case .dictionary(let entries):
            "{" + entries.keys.sorted().compactMap { key in entries[key].map { "\(quoted(key)):\(json($0))" } }
                .joined(separator: ",") + "}"
        }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    static func quoted(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
