import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import OpenStackModels

/// Response and request helpers shared by the simulated services.
enum SimHTTP {
    /// A JSON response.
    static func json(_ value: JSONValue, status: Int = 200, headers: [(String, String)] = []) -> Response {
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        for (name, value) in headers {
            if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
        }
        let bytes = JSONWriter.bytes(value)
        return Response(
            status: HTTPResponse.Status(code: status), headers: fields,
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// An empty response (202/204).
    static func empty(status: Int, headers: [(String, String)] = []) -> Response {
        var fields = HTTPFields()
        for (name, value) in headers {
            if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
        }
        if status != 204 { fields[.contentLength] = "0" }
        return Response(status: HTTPResponse.Status(code: status), headers: fields)
    }

    /// Reads and parses the JSON body; a 400 in `format` when it is not JSON.
    static func body(
        _ request: Request, context: some RequestContext, format: SimulatorErrorFormat, limit: Int = 4 << 20
    ) async throws -> JSONValue {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw SimulatorError(status: 413, message: "Request is too large.", format: format)
        }
        guard buffer.readableBytes > 0 else {
            throw SimulatorError.badRequest("The server could not comply with the request since it is either malformed or otherwise incorrect.", format: format)
        }
        do {
            return try buffer.withUnsafeReadableBytes { try JSONValue(bytes: $0) }
        } catch {
            throw SimulatorError.badRequest("Malformed request body", format: format)
        }
    }

    /// The object under `key` in a body such as `{"server": {...}}`; 400 when missing.
    static func member(_ body: JSONValue, _ key: String, format: SimulatorErrorFormat) throws -> [String: JSONValue] {
        guard let object = body[key]?.objectValue else {
            throw SimulatorError.badRequest("Invalid input for field/attribute \(key). Value: \(body). '\(key)' is a required property", format: format)
        }
        return object
    }

    /// `scheme://host:port` of the request, for links.
    static func baseURL(_ request: Request) -> String {
        let host = request.head.authority ?? "127.0.0.1"
        return "http://\(host)"
    }

    /// Query parameter values (repeated keys kept in order).
    static func queryValues(_ request: Request, _ key: String) -> [String] {
        request.uri.queryParameters.getAll(key).map { String($0) }
    }

    /// One query parameter.
    static func query(_ request: Request, _ key: String) -> String? {
        request.uri.queryParameters.get(key)
    }

    /// The query as the services' WebOb reads it (application/x-www-form-urlencoded): `+` is a space, then
    /// percent escapes are decoded (Hummingbird's `queryParameters` keeps `+` and leaves keys encoded).
    static func formQuery(_ request: Request) -> FlatDictionary<Substring, Substring> {
        guard let query = request.uri.query, !query.isEmpty else { return [:] }
        func decode(_ part: Substring) -> Substring {
            let spaced = part.replacingOccurrences(of: "+", with: " ")
            return Substring(spaced.removingPercentEncoding ?? spaced)
        }
        return FlatDictionary(query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (key: decode(parts[0]), value: parts.count > 1 ? decode(parts[1]) : "")
        })
    }

    /// A new OpenStack request id: `req-<uuid>`.
    static func requestID() -> String { "req-" + UUID().uuidString.lowercased() }
}

/// Timestamps in the formats the services use.
enum SimTime {

    /// Nova and Glance: `2024-01-31T12:34:56Z`.
    static func iso(_ date: Date) -> String {
        isoFormatter(date, fractional: false) + "Z"
    }

    /// Cinder: `2024-01-31T12:34:56.123456` (no zone).
    static func cinder(_ date: Date) -> String {
        isoFormatter(date, fractional: true)
    }

    private static func isoFormatter(_ date: Date, fractional: Bool) -> String {
        let seconds = date.timeIntervalSince1970
        let whole = Int(seconds.rounded(.down))
        let micros = Int(((seconds - Double(whole)) * 1_000_000).rounded(.down))
        var time = time_t(whole)
        var parts = tm()
        gmtime_r(&time, &parts)
        // Hand-rolled: String(format:) is slow on Linux and list answers format thousands of these.
        var out: [UInt8] = []
        out.reserveCapacity(26)
        func put(_ value: Int, _ width: Int) {
            var digits = [UInt8](repeating: UInt8(ascii: "0"), count: width)
            var v = value
            for i in stride(from: width - 1, through: 0, by: -1) {
                digits[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
            out.append(contentsOf: digits)
        }
        put(Int(parts.tm_year) + 1900, 4)
        out.append(UInt8(ascii: "-"))
        put(Int(parts.tm_mon) + 1, 2)
        out.append(UInt8(ascii: "-"))
        put(Int(parts.tm_mday), 2)
        out.append(UInt8(ascii: "T"))
        put(Int(parts.tm_hour), 2)
        out.append(UInt8(ascii: ":"))
        put(Int(parts.tm_min), 2)
        out.append(UInt8(ascii: ":"))
        put(Int(parts.tm_sec), 2)
        if fractional {
            out.append(UInt8(ascii: "."))
            put(micros, 6)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses the ISO 8601 forms clients send in `changes-since` and similar filters.
    static func parse(_ text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        for style in [
            Date.ISO8601FormatStyle(includingFractionalSeconds: true), Date.ISO8601FormatStyle(),
        ] {
            if let date = try? style.parse(trimmed) { return date }
        }
        // No zone given: treat as UTC.
        for suffix in ["Z"] {
            if let date = try? Date.ISO8601FormatStyle().parse(trimmed + suffix) { return date }
            if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(trimmed + suffix) { return date }
        }
        return nil
    }
}

/// Microversion negotiation as Nova and Cinder do it.
struct MicroversionPolicy: Sendable {
    /// "compute" or "volume" (the word in `OpenStack-API-Version`).
    var serviceWord: String
    var minimum: Microversion
    var maximum: Microversion
    /// Nova also accepts and sends `X-OpenStack-Nova-API-Version`.
    var legacyHeader: String?

    /// The version requested (minimum when absent); 400 when malformed, 406 when out of range.
    func negotiate(_ request: Request) throws -> Microversion {
        var requested: String?
        for field in request.headers[values: .openStackAPIVersion] {
            // "compute 2.60" (several services may be listed, comma separated).
            for part in field.split(separator: ",") {
                let words = part.split(separator: " ", omittingEmptySubsequences: true)
                if words.count == 2, words[0].lowercased() == serviceWord { requested = String(words[1]) }
            }
        }
        if requested == nil, let legacyHeader, let name = HTTPField.Name(legacyHeader) {
            requested = request.headers[name]
        }
        guard let text = requested?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return minimum }
        if text.lowercased() == "latest" { return maximum }
        guard let version = Microversion(text) else {
            throw SimulatorError(
                status: 400,
                message: "API Version String \(text) is of invalid format. Must be of format MajorNum.MinorNum.")
        }
        guard version >= minimum, version <= maximum else {
            throw SimulatorError(
                status: 406,
                message: "Version \(text) is not supported by the API. Minimum is \(minimum) and maximum is \(maximum).",
                name: "computeFault", headers: headers(for: version))
        }
        return version
    }

    /// Response headers announcing the version used.
    func headers(for version: Microversion) -> [(String, String)] {
        var out = [("OpenStack-API-Version", "\(serviceWord) \(version)")]
        var vary = "OpenStack-API-Version"
        if let legacyHeader {
            out.append((legacyHeader, version.description))
            vary += ", \(legacyHeader)"
        }
        out.append(("Vary", vary))
        return out
    }
}

/// Sorting direction parsing shared by the list endpoints.
enum SortDirection: String {
    case asc, desc
}
