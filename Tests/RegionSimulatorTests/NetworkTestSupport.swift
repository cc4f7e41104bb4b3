import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OpenStackModels
import RegionSimulator

/// A reply from the simulated Neutron or Trove.
struct NetDBReply {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: ByteBuffer

    var text: String { String(buffer: body) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSONDecoder().decode(T.self, from: Data(buffer: body)) }
    var json: JSONValue { (try? JSONValue(data: Data(buffer: body))) ?? .null }
    var neutronError: NeutronErrorBody.Detail? { try? decode(NeutronErrorBody.self).neutronError }
    func header(_ name: String) -> String? { HTTPField.Name(name).flatMap { headers[$0] } }
}

/// Sends requests to one simulated service through its router, with seeded Keystone tokens.
struct NetDBClient: Sendable {
    let client: any TestClientProtocol
    let admin: String
    let demo: String
    let altDemo: String
    let demoProject: String
    let altProject: String

    func send(_ method: HTTPRequest.Method, _ uri: String, token: String, json: String? = nil) async throws -> NetDBReply {
        var headers: HTTPFields = [:]
        if json != nil { headers[.contentType] = "application/json" }
        headers[HTTPField.Name("X-Auth-Token")!] = token
        let response = try await client.execute(
            uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
        return NetDBReply(status: response.status, headers: response.headers, body: response.body)
    }

    func sendIfMatch(_ method: HTTPRequest.Method, _ uri: String, ifMatch: String, json: String) async throws -> NetDBReply {
        var headers: HTTPFields = [.contentType: "application/json", .ifMatch: ifMatch]
        headers[HTTPField.Name("X-Auth-Token")!] = demo
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: ByteBuffer(string: json))
        return NetDBReply(status: response.status, headers: response.headers, body: response.body)
    }

    func sendRaw(_ method: HTTPRequest.Method, _ uri: String, headers: HTTPFields = [:]) async throws -> NetDBReply {
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: nil)
        return NetDBReply(status: response.status, headers: response.headers, body: response.body)
    }
}

/// Runs `body` against a fresh service of one region, mounted on a router (no sockets).
func withNetDBService<T: Sendable>(
    _ service: any SimulatedService, now: @escaping @Sendable () -> Date = { Date() },
    transitionDelay: Duration = .milliseconds(200),
    _ body: @escaping @Sendable (NetDBClient) async throws -> T
) async throws -> T {
    let identity = SimulatedIdentity()
    let context = SimulatedRegionContext(
        regionName: "RegionOne", availabilityZone: "az1", identity: identity, now: now, transitionDelay: transitionDelay)
    let app = Application(router: service.makeRouter(context: context))
    let admin = try netDBRequireToken(identity.issueToken(userName: "admin", password: "secret", projectName: "admin"))
    let demo = try netDBRequireToken(identity.issueToken(userName: "demo", password: "demopass", projectName: "demo"))
    let alt = try netDBRequireToken(identity.issueToken(userName: "alt_demo", password: "altpass", projectName: "alt_demo"))
    return try await app.test(.router) { client in
        try await body(NetDBClient(
            client: client, admin: admin.id, demo: demo.id, altDemo: alt.id, demoProject: demo.projectID,
            altProject: alt.projectID))
    }
}

struct NetDBMissingToken: Error {}

func netDBRequireToken(_ token: SimulatedToken?) throws -> SimulatedToken {
    guard let token else { throw NetDBMissingToken() }
    return token
}

extension NetDBClient {
    /// Creates a network and returns its id.
    func network(_ name: String = "net", token: String? = nil, extra: String = "") async throws -> String {
        let reply = try await send(.post, "/v2.0/networks", token: token ?? demo,
                                   json: #"{"network": {"name": "\#(name)"\#(extra)}}"#)
        return try reply.decode(NetworkEnvelope<Network>.self).network.id
    }

    /// Creates a subnet and returns its id.
    func subnet(_ network: String, _ cidr: String, token: String? = nil, extra: String = "") async throws -> String {
        let reply = try await send(
            .post, "/v2.0/subnets", token: token ?? demo,
            json: #"{"subnet": {"network_id": "\#(network)", "cidr": "\#(cidr)", "ip_version": \#(cidr.contains(":") ? 6 : 4)\#(extra)}}"#)
        return try reply.decode(SubnetEnvelope<Subnet>.self).subnet.id
    }
}
