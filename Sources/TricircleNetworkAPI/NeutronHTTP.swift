import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenStackModels
import TricircleGateway

extension NeutronError {
    /// The same fault as the gateway's error type, rendered in Neutron's format.
    var apiError: APIError {
        APIError(HTTPResponse.Status(code: status), message, format: .neutron, type: type)
    }
}

/// Request bodies and responses as Neutron reads and writes them.
enum NeutronHTTP {
    /// Reads the body's `key` member, refusing unknown attributes as Neutron does.
    static func member(_ request: Request, key: String, allowed: Set<String>) async throws -> [String: JSONValue] {
        try member(try await object(request), key: key, allowed: allowed)
    }

    /// The `key` member of an already read body, checked as above.
    static func member(_ body: [String: JSONValue], key: String, allowed: Set<String>) throws -> [String: JSONValue] {
        guard let member = body[key]?.objectValue else {
            throw NeutronError.httpBadRequest("Unable to find '\(key)' in request body")
        }
        let unknown = member.keys.filter { !allowed.contains($0) }.sorted()
        if !unknown.isEmpty {
            throw NeutronError.httpBadRequest("Unrecognized attribute(s) '\(unknown.joined(separator: ", "))'")
        }
        try checkStandardStrings(member)
        return member
    }

    /// Longest `name` and `description` of any resource (neutron-lib's NAME_MAX_LEN, DESCRIPTION_MAX_LEN).
    static let maxNameLength = 255

    /// `name` and `description` as neutron-lib's validators take them: strings (or null) of at most 255
    /// characters, refused with its wording.
    static func checkStandardStrings(_ member: [String: JSONValue]) throws {
        for attribute in ["name", "description"] {
            guard let value = member[attribute] else { continue }
            let reason: String?
            switch value {
            case .null: reason = nil
            case .string(let text): reason = text.count > maxNameLength ? "'\(text)' exceeds maximum length of \(maxNameLength)" : nil
            default: reason = "'\(String(decoding: value.encoded(), as: UTF8.self))' is not a valid string"
            }
            if let reason { throw NeutronError.httpBadRequest("Invalid input for \(attribute). Reason: \(reason).") }
        }
        try NeutronTags.checkAttribute(member["tags"])
    }

    /// The members of a bulk body's list (`{"ports": [...]}`), each checked like a single member.
    static func bulkMembers(_ value: JSONValue, key: String, allowed: Set<String>) throws -> [[String: JSONValue]] {
        guard let items = value.arrayValue, !items.isEmpty else {
            throw NeutronError.httpBadRequest("Resources required")
        }
        return try items.map { item in
            guard let member = item.objectValue else { throw NeutronError.httpBadRequest("Malformed request body") }
            return try Self.member([key: .object(member)], key: key, allowed: allowed)
        }
    }

    /// Bulk create, all or nothing: members are made one after another (later ones see what earlier ones
    /// took, addresses or CIDRs), and on a failure the ones already made are undone before the error goes out.
    static func bulk<Member, T>(
        _ members: [Member], create: (Member) async throws -> T, undo: (T) async throws -> Void
    ) async throws -> [T] {
        var made: [T] = []
        do {
            for member in members { made.append(try await create(member)) }
        } catch {
            for item in made.reversed() { try? await undo(item) }
            throw error
        }
        return made
    }

    /// The whole JSON object of the body.
    static func object(_ request: Request) async throws -> [String: JSONValue] {
        let buffer = try await request.bufferedBody(format: .neutron)
        guard buffer.readableBytes > 0 else {
            throw NeutronError.httpBadRequest("Resource body required")
        }
        guard let value = try? buffer.withUnsafeReadableBytes({ try JSONValue(bytes: $0) }),
              let object = value.objectValue else {
            throw NeutronError.httpBadRequest("Malformed request body")
        }
        return object
    }

    /// Decodes a typed body from its JSON form, turning type errors into Neutron's wording.
    static func decode<T: Decodable>(_ type: T.Type, from member: [String: JSONValue]) throws -> T {
        try NeutronError.decodeBody(type, from: member)
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    /// A JSON response.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// `{"<key>": {...}}`, projected onto the request's `fields` when it names any.
    static func single(_ key: String, _ object: [String: JSONValue], request: Request, status: HTTPResponse.Status = .ok) -> Response {
        let fields = QueryString.decoded(request.uri.query).filter { $0.0 == "fields" }.flatMap { $0.1.split(separator: ",").map(String.init) }
        return json(.object([key: .object(project(object, fields: fields))]), status: status)
    }

    /// Keeps only `fields` (all when empty).
    static func project(_ object: [String: JSONValue], fields: [String]) -> [String: JSONValue] {
        guard !fields.isEmpty else { return object }
        var out: [String: JSONValue] = [:]
        for field in fields { if let value = object[field] { out[field] = value } }
        return out
    }

    static func noContent() -> Response { Response(status: .noContent) }
}

/// Encodes a model to its JSON object (models always encode to objects).
func jsonObject(_ value: some Encodable) -> [String: JSONValue] {
    (try? JSONValue(encoding: value, encoder: NeutronHTTP.encoder))?.objectValue ?? [:]
}
