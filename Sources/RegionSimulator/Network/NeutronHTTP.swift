import Foundation
import HTTPTypes
import Hummingbird
import OpenStackModels

/// Response and body helpers in Neutron's formats (every answer carries `x-openstack-request-id`).
enum NeutronHTTP {
    static func json(_ value: JSONValue, status: Int = 200, requestID: String) -> Response {
        SimHTTP.json(value, status: status, headers: [("x-openstack-request-id", requestID)])
    }

    static func encoded<T: Encodable>(_ value: T, status: Int = 200, requestID: String) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = try encoder.encode(value)
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        fields[.xOpenStackRequestID] = requestID
        return Response(
            status: HTTPResponse.Status(code: status), headers: fields,
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func noContent(requestID: String) -> Response {
        SimHTTP.empty(status: 204, headers: [("x-openstack-request-id", requestID)])
    }

    static func error(_ error: NeutronError, requestID: String) -> Response {
        (try? encoded(error.body, status: error.status, requestID: requestID))
            ?? SimHTTP.empty(status: error.status, headers: [("x-openstack-request-id", requestID)])
    }

    /// keystonemiddleware answers missing or bad tokens before Neutron sees the request.
    static func unauthorized(requestID: String) -> Response {
        let body = KeystoneErrorBody(code: 401, title: "Unauthorized", message: "The request you have made requires authentication.")
        var response = (try? encoded(body, status: 401, requestID: requestID)) ?? SimHTTP.empty(status: 401)
        if let name = HTTPField.Name("WWW-Authenticate") {
            response.headers[name] = "Keystone uri=\"http://127.0.0.1/identity\""
        }
        return response
    }

    /// Reads the body's `key` member, refusing unknown attributes as Neutron does.
    static func member(_ request: Request, key: String, allowed: Set<String>) async throws -> [String: JSONValue] {
        let body = try await object(request)
        guard let member = body[key]?.objectValue else {
            throw NeutronError.httpBadRequest("Unable to find '\(key)' in request body")
        }
        try checkAttributes(member, allowed: allowed)
        return member
    }

    static func object(_ request: Request) async throws -> [String: JSONValue] {
        var request = request
        guard let buffer = try? await request.body.collect(upTo: 8 << 20), buffer.readableBytes > 0 else {
            throw NeutronError.httpBadRequest("Resource body required")
        }
        guard let value = try? buffer.withUnsafeReadableBytes({ try JSONValue(bytes: $0) }),
              let object = value.objectValue else {
            throw NeutronError.httpBadRequest("Malformed request body")
        }
        return object
    }

    static func checkAttributes(_ member: [String: JSONValue], allowed: Set<String>) throws {
        let unknown = member.keys.filter { !allowed.contains($0) }.sorted()
        if !unknown.isEmpty {
            throw NeutronError.httpBadRequest("Unrecognized attribute(s) '\(unknown.joined(separator: ", "))'")
        }
        try NeutronTags.checkAttribute(member["tags"])
    }

    /// Decodes a typed body from its JSON form, turning type errors into Neutron's wording.
    static func decode<T: Decodable>(_ type: T.Type, from member: [String: JSONValue]) throws -> T {
        try NeutronError.decodeBody(type, from: member)
    }
}
