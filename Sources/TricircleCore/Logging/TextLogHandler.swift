import Foundation
import Logging

/// The text log lines of swift-log's `StreamLogHandler` (`<time> <level> <label>: k=v ... [source] message`) on
/// stderr, with the metadata rendered only when a line is written. `StreamLogHandler` renders all of it again on
/// every metadata change, and every request sets several (Hummingbird's request id, the gateway's request,
/// project and user ids): on a routed GET that cost more than the token check and the routing lookup together,
/// for lines that are below the level and never written.
public struct TextLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String

    public init(label: String, metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = JSONLogHandler.fields(metadata, provider: metadataProvider, event: event)
        if let error = event.error {
            fields["error.message"] = "\(error)"
            fields["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        let pretty = fields.isEmpty ? "" : " " + fields.sorted { $0.key < $1.key }.map { "\($0)=\($1)" }.joined(separator: " ")
        let line = "\(Self.timestamp()) \(event.level)\(label.isEmpty ? "" : " ")\(label):\(pretty) [\(event.source)] \(event.message)\n"
        // One write per line: lines from concurrent tasks never interleave.
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Local time as `StreamLogHandler` prints it ("2026-12-07T12:52:36+0000").
    static func timestamp() -> String {
        var now = time(nil)
        var local = tm()
        guard localtime_r(&now, &local) != nil else { return "<unknown>" }
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &local)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
