import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OpenStackClient
import OpenStackModels

/// What a DevStack user (and the clients' functional suites, which assume DevStack) finds in Networking:
/// an external network `public` with a subnet and floating IP pool, placed in one pod and reached through
/// the top's north-south support, and the demo project's `private` network, subnet and `router1` with its
/// gateway on `public`. Made at the top through the gateway's own Networking API, as a user would.
struct SandboxNetworks {
    let keystoneURL: String
    /// The top's Networking endpoint (no version).
    let networkURL: String
    let http: HTTPClient
    /// The availability zone (pod) that holds `public`.
    let externalZone: String

    static let publicCIDR = "172.24.4.0/24"
    static let privateCIDR = "10.0.0.0/26"

    func seed() async throws {
        let admin = try await token(user: "admin", password: "secret", project: "admin")
        let demo = try await token(user: "demo", password: "demopass", project: "demo")
        // A --keep-state restart finds them already made.
        if try await !list("networks?name=public", token: admin, key: "networks").isEmpty { return }
        let external = try await create("networks", token: admin, ["network": [
            // DevStack's own physical network name; a flat network takes its physnet for good in a region,
            // so the e2e suite's external network (flat on the default "extern") still has its own.
            "name": "public", "router:external": true, "availability_zone_hints": [.string(externalZone)],
            "provider:network_type": "flat", "provider:physical_network": "public",
            "description": "DevStack's external network (sandbox)",
        ]])
        _ = try await create("subnets", token: admin, ["subnet": [
            "name": "public-subnet", "network_id": .string(external), "ip_version": 4, "cidr": .string(Self.publicCIDR),
            "gateway_ip": "172.24.4.1", "enable_dhcp": false,
            "allocation_pools": [["start": "172.24.4.2", "end": "172.24.4.254"]],
        ]])
        let network = try await create("networks", token: demo, ["network": ["name": "private"]])
        let subnet = try await create("subnets", token: demo, ["subnet": [
            "name": "private-subnet", "network_id": .string(network), "ip_version": 4, "cidr": .string(Self.privateCIDR),
        ]])
        let router = try await create("routers", token: demo, ["router": [
            "name": "router1", "external_gateway_info": ["network_id": .string(external)],
        ]])
        _ = try await call(.PUT, "routers/\(router)/add_router_interface", token: demo, body: ["subnet_id": .string(subnet)])
    }

    func token(user: String, password: String, project: String) async throws -> String {
        let keystone = KeystoneClient(
            configuration: KeystoneClientConfiguration(authURL: keystoneURL, username: user, password: password, projectName: project),
            httpClient: http)
        return try await keystone.serviceToken().id
    }

    /// POSTs a resource and returns its id.
    func create(_ collection: String, token: String, _ body: JSONValue) async throws -> String {
        let answer = try await call(.POST, collection, token: token, body: body)
        guard let id = answer.objectValue?.values.first?["id"]?.stringValue else {
            throw ValidationError("sandbox: creating \(collection) answered no id")
        }
        return id
    }

    func list(_ path: String, token: String, key: String) async throws -> [JSONValue] {
        try await call(.GET, path, token: token, body: nil)[key]?.arrayValue ?? []
    }

    func call(_ method: HTTPMethod, _ path: String, token: String, body: JSONValue?) async throws -> JSONValue {
        var request = HTTPClientRequest(url: networkURL + "/v2.0/" + path)
        request.method = method
        request.headers.add(name: "X-Auth-Token", value: token)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body.encoded()))
        }
        let response = try await http.execute(request, timeout: .seconds(30))
        let data = try await response.body.collect(upTo: 1 << 22)
        guard response.status.code < 300 else {
            throw ValidationError("sandbox: \(method) \(path): \(response.status) \(String(buffer: data))")
        }
        guard data.readableBytes > 0 else { return .null }
        return try JSONDecoder().decode(JSONValue.self, from: Data(buffer: data))
    }
}
