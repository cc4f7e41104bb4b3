import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import OpenStackModels

/// A failed admin API call, printed by the CLI as `Error: <description>`.
struct AdminClientError: Error, CustomStringConvertible {
    let description: String
}

/// A small client for the admin API: JSON in, JSON out, errors turned into readable messages.
struct AdminHTTPClient: Sendable {
    let baseURL: String
    let token: String
    let http: HTTPClient
    var timeout: TimeAmount = .seconds(30)

    func get(_ path: String, query: [(String, String)] = []) async throws -> JSONValue {
        try await send(.GET, path, query: query)
    }

    func post(_ path: String, _ body: JSONValue) async throws -> JSONValue {
        try await send(.POST, path, body: body)
    }

    func put(_ path: String, _ body: JSONValue? = nil) async throws -> JSONValue {
        try await send(.PUT, path, body: body)
    }

    func delete(_ path: String) async throws -> JSONValue {
        try await send(.DELETE, path)
    }

    /// Fetches an absolute URL (a next link the server gave).
    func get(absolute url: String) async throws -> JSONValue {
        try await execute(.GET, url: url, body: nil)
    }

    func send(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: JSONValue? = nil) async throws -> JSONValue {
        var components = URLComponents(string: Self.trimmed(baseURL) + path)
        if !query.isEmpty { components?.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        guard let url = components?.string else {
            throw AdminClientError(description: "invalid admin URL \(baseURL)")
        }
        return try await execute(method, url: url, body: body)
    }

    private func execute(_ method: HTTPMethod, url: String, body: JSONValue?) async throws -> JSONValue {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "tricircle-cli")
        request.headers.add(name: "X-Auth-Token", value: token)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONEncoder().encode(body)))
        }
        let status: Int
        let collected: ByteBuffer
        let requestID: String?
        do {
            let response = try await http.execute(request, timeout: timeout)
            status = Int(response.status.code)
            requestID = response.headers.first(name: "x-openstack-request-id")
            collected = try await response.body.collect(upTo: 64 << 20)
        } catch {
            throw AdminClientError(description: "cannot reach the admin API at \(url): \(error)")
        }
        let data = Data(buffer: collected)
        guard (200..<300).contains(status) else {
            throw Self.failure(status: status, data: data, requestID: requestID)
        }
        if data.isEmpty { return .object([:]) }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw AdminClientError(description: "the admin API answered \(status) with a body that is not JSON")
        }
    }

    /// Reads the admin fault (`{"badRequest": {"message": ...}}`) or Keystone's error body into one message.
    static func failure(status: Int, data: Data, requestID: String?) -> AdminClientError {
        var message = String(decoding: data.prefix(500), as: UTF8.self)
        if let fault = try? JSONDecoder().decode(OpenStackFault.self, from: data) {
            message = fault.message
        } else if let keystone = try? JSONDecoder().decode(KeystoneErrorBody.self, from: data) {
            message = keystone.error.message
        }
        var text = "\(message) (HTTP \(status)"
        if let requestID { text += ", request \(requestID)" }
        text += ")"
        if status == 401 { text += ". Check OS_* credentials or --os-token." }
        if status == 403 { text += ". The admin API needs a token with the admin role." }
        return AdminClientError(description: text)
    }

    static func trimmed(_ url: String) -> String {
        var url = url
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }
}
