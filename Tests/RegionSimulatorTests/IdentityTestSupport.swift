import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OpenStackModels
import RegionSimulator

/// A reply from the simulated Keystone, decoded for assertions.
struct IdentityReply {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: ByteBuffer

    var text: String { String(buffer: body) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSONDecoder().decode(T.self, from: Data(buffer: body)) }
    func header(_ name: String) -> String? { HTTPField.Name(name).flatMap { headers[$0] } }
    var subjectToken: String? { header("X-Subject-Token") }
}

/// Talks to a `SimulatedIdentity` through its router (no sockets).
struct IdentityClient {
    let client: any TestClientProtocol

    func send(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, subject: String? = nil, json: String? = nil
    ) async throws -> IdentityReply {
        var headers: HTTPFields = [:]
        if let json, !json.isEmpty { headers[.contentType] = "application/json" }
        if let token, let name = HTTPField.Name("X-Auth-Token") { headers[name] = token }
        if let subject, let name = HTTPField.Name("X-Subject-Token") { headers[name] = subject }
        let response = try await client.execute(
            uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
        return IdentityReply(status: response.status, headers: response.headers, body: response.body)
    }

    /// `POST /v3/auth/tokens` by password, scoped to a project by name.
    func passwordAuth(_ user: String, _ password: String, project: String? = "admin", query: String = "") async throws -> IdentityReply {
        let request = AuthTokenRequest.password(userName: user, password: password, projectName: project)
        let body = String(decoding: try JSONEncoder().encode(request), as: UTF8.self)
        return try await send(.post, "/v3/auth/tokens" + query, json: body)
    }

    /// A project-scoped token id, or an empty string when authentication failed.
    func token(_ user: String, _ password: String, project: String) async throws -> String {
        try await passwordAuth(user, password, project: project).subjectToken ?? ""
    }
}

/// Runs `body` against a fresh simulated Keystone mounted on a router.
func withIdentity<T: Sendable>(
    _ identity: SimulatedIdentity = SimulatedIdentity(),
    _ body: @escaping @Sendable (IdentityClient, SimulatedIdentity) async throws -> T
) async throws -> T {
    let app = Application(router: identity.makeRouter())
    return try await app.test(.router) { client in try await body(IdentityClient(client: client), identity) }
}
