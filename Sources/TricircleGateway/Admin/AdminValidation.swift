import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore
import OpenStackModels
import TricircleCore

// Request validation as data, in the spirit of Nova's api/openstack/compute/schemas: each endpoint declares
// the shape of its body and query string next to its handler, and one interpreter here checks it before any
// handler logic (and so before anything is stored). Values are only ever bound as SQL parameters, so names
// full of quotes and semicolons are just text.

/// How one value in a request body or query string must look.
enum ValueRule: Sendable {
    /// Any string up to `maxLength` characters (no control characters); empty allowed unless `nonEmpty`.
    case text(maxLength: Int, nonEmpty: Bool)
    /// An OpenStack id or name: non-empty, at most `maxLength` characters, no whitespace or control characters.
    case identifier(maxLength: Int)
    /// A UUID, with or without dashes.
    case uuid
    /// One of a fixed set of strings.
    case oneOf([String])
    /// A whole number in a range (query strings carry it as text).
    case integer(ClosedRange<Int>)
    /// An object of string keys to values that follow `value`, with at most `maxEntries` entries.
    case stringMap(maxEntries: Int, key: Int, value: Int)
    /// Must not be given (e.g. a column that cannot change after create); the message says why.
    case forbidden(String)
}

/// One named field with its rule and whether it must be present.
struct FieldRule: Sendable {
    let name: String
    let rule: ValueRule
    let required: Bool

    static func required(_ name: String, _ rule: ValueRule) -> FieldRule {
        FieldRule(name: name, rule: rule, required: true)
    }
    static func optional(_ name: String, _ rule: ValueRule) -> FieldRule {
        FieldRule(name: name, rule: rule, required: false)
    }
}

/// The values that passed validation, with typed accessors (no further checks needed by handlers).
struct ValidatedFields: Sendable {
    let values: [String: JSONValue]

    func string(_ name: String) -> String? { values[name]?.stringValue }
    func int(_ name: String) -> Int? { values[name]?.intValue }
    func has(_ name: String) -> Bool { values[name] != nil }
    func stringMap(_ name: String) -> [String: String]? {
        values[name]?.objectValue?.compactMapValues(\.stringValue)
    }
}

/// The declared shape of a JSON request body `{"<root>": {<fields>}}`.
struct BodySchema: Sendable {
    let root: String
    let fields: [FieldRule]
    /// Updates must change something.
    var requiresAtLeastOneField = false

    /// Checks `body` against the declaration; the first problem becomes a 400 naming the field.
    func validate(_ body: JSONValue) throws -> ValidatedFields {
        guard case .object(let top) = body else {
            throw AdminError.badRequest("Request body must be a JSON object like {\"\(root)\": {...}}")
        }
        for key in top.keys.sorted() where key != root {
            throw AdminError.badRequest("Unknown field '\(Self.shown(key))' in request body; expected only '\(root)'")
        }
        guard let inner = top[root] else {
            throw AdminError.badRequest("Request body must contain '\(root)'")
        }
        guard case .object(let members) = inner else {
            throw AdminError.badRequest("Invalid input for field '\(root)': expected an object")
        }
        let known = Set(fields.map(\.name))
        for key in members.keys.sorted() where !known.contains(key) {
            throw AdminError.badRequest("Unknown field '\(root).\(Self.shown(key))' in request body")
        }
        var accepted: [String: JSONValue] = [:]
        for field in fields {
            let path = "\(root).\(field.name)"
            guard let value = members[field.name] else {
                if field.required { throw AdminError.badRequest("Missing required field '\(path)'") }
                continue
            }
            accepted[field.name] = try Self.check(value, against: field.rule, path: path)
        }
        if requiresAtLeastOneField, accepted.isEmpty {
            throw AdminError.badRequest("'\(root)' must contain at least one of: \(fields.map(\.name).joined(separator: ", "))")
        }
        return ValidatedFields(values: accepted)
    }

    static func check(_ value: JSONValue, against rule: ValueRule, path: String) throws -> JSONValue {
        func fail(_ what: String) -> AdminError {
            AdminError.badRequest("Invalid input for field '\(path)': \(what)")
        }
        switch rule {
        case .forbidden(let why):
            throw fail(why)
        case .stringMap(let maxEntries, let keyLength, let valueLength):
            guard case .object(let map) = value else { throw fail("expected an object") }
            guard map.count <= maxEntries else { throw fail("at most \(maxEntries) entries are allowed") }
            var checked: [String: JSONValue] = [:]
            for (key, member) in map {
                guard !key.isEmpty, key.count <= keyLength, !key.unicodeScalars.contains(where: Self.isControlOrSpace) else {
                    throw fail("key '\(shown(key))' is not a valid name")
                }
                checked[key] = try check(member, against: .identifier(maxLength: valueLength), path: "\(path).\(shown(key))")
            }
            return .object(checked)
        case .integer(let range):
            guard let number = value.intValue else { throw fail("expected an integer") }
            guard range.contains(number) else { throw fail("must be between \(range.lowerBound) and \(range.upperBound)") }
            return value
        case .text, .identifier, .uuid, .oneOf:
            guard case .string(let text) = value else {
                throw fail("expected a string, got \(kind(of: value))")
            }
            try checkText(text, rule: rule, fail: fail)
            return value
        }
    }

    /// Checks a string value (shared by bodies and query strings).
    static func checkText(_ text: String, rule: ValueRule, fail: (String) -> AdminError) throws {
        switch rule {
        case .text(let maxLength, let nonEmpty):
            if nonEmpty, text.trimmingCharacters(in: .whitespaces).isEmpty { throw fail("must not be empty") }
            if text.count > maxLength { throw fail("longer than \(maxLength) characters") }
            if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                throw fail("control characters are not allowed")
            }
        case .identifier(let maxLength):
            if text.isEmpty { throw fail("must not be empty") }
            if text.count > maxLength { throw fail("longer than \(maxLength) characters") }
            if text.unicodeScalars.contains(where: isControlOrSpace) {
                throw fail("whitespace and control characters are not allowed")
            }
        case .uuid:
            if !Identifier.isUUIDLike(text) { throw fail("'\(shown(text))' is not a valid UUID") }
        case .oneOf(let allowed):
            if !allowed.contains(text) {
                throw fail("'\(shown(text))' is not one of: \(allowed.joined(separator: ", "))")
            }
        case .integer, .stringMap, .forbidden:
            throw fail("unexpected value")
        }
    }

    static func isControlOrSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .control || scalar.properties.isWhitespace
    }

    static func kind(of value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// User-supplied text echoed in messages: shortened, so a huge value cannot make a huge error.
    static func shown(_ text: String) -> String {
        text.count <= 64 ? text : String(text.prefix(64)) + "..."
    }
}

/// The declared query parameters of a list endpoint; anything else is a 400 naming it.
struct QuerySchema: Sendable {
    let parameters: [FieldRule]

    func validate(_ uri: URI) throws -> ValidatedFields {
        let rules = Dictionary(parameters.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var accepted: [String: JSONValue] = [:]
        for (key, rawValue) in uri.queryParameters {
            let name = String(key)
            let value = String(rawValue)
            guard let field = rules[name] else {
                throw AdminError.badRequest(
                    "Unsupported query parameter '\(BodySchema.shown(name))'; supported: \(parameters.map(\.name).joined(separator: ", "))")
            }
            guard accepted[name] == nil else {
                throw AdminError.badRequest("Query parameter '\(name)' is given more than once")
            }
            let fail = { (what: String) in AdminError.badRequest("Invalid value for query parameter '\(name)': \(what)") }
            switch field.rule {
            case .integer(let range):
                guard let number = Int(value) else { throw fail("expected an integer") }
                guard range.contains(number) else { throw fail("must be between \(range.lowerBound) and \(range.upperBound)") }
                accepted[name] = .number(Double(number))
            default:
                try BodySchema.checkText(value, rule: field.rule, fail: fail)
                accepted[name] = .string(value)
            }
        }
        return ValidatedFields(values: accepted)
    }
}

/// Reads a request body as JSON within a size limit: 413 past the limit, 400 when it is not JSON.
enum AdminBody {
    static func read(_ request: Request, limit: Int) async throws -> JSONValue {
        // As Nova: no Content-Type is taken as JSON, any other declared type is a 415 (not parsed anyway).
        if let type = request.headers[.contentType], !isJSON(type) {
            throw AdminError.unsupportedMediaType(type)
        }
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
            throw AdminError.tooLarge(limit: limit)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw AdminError.tooLarge(limit: limit)
        }
        guard buffer.readableBytes > 0 else {
            throw AdminError.badRequest("Request body is required")
        }
        do {
            return try buffer.withUnsafeReadableBytes { try JSONValue(bytes: $0) }
        } catch {
            throw AdminError.badRequest("Malformed request body: not valid JSON")
        }
    }

    /// `application/json` or a `+json` type such as `application/vnd.openstack.tricircle-v1.0+json`, any parameters.
    static func isJSON(_ contentType: String) -> Bool {
        let type = contentType.split(separator: ";", maxSplits: 1).first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        } ?? ""
        return type == "application/json" || (type.hasPrefix("application/") && type.hasSuffix("+json"))
    }
}
