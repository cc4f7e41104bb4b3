import Foundation
import GatewayTestHarness
import OpenStackModels
import RegionSimulator
import TricircleCore
import TricircleGateway

/// A user's view of the top's Networking API in a harness.
struct NeutronClient {
    let harness: GatewayHarness
    let token: SimulatedToken

    init(_ harness: GatewayHarness, user: String = "demo") throws {
        self.harness = harness
        self.token = try harness.token(user: user)
    }

    /// The top's network endpoint plus "/v2.0".
    var base: String { harness.url("network") + "/v2.0" }

    func send(_ method: String, _ path: String, _ body: JSONValue? = nil) async throws -> HarnessReply {
        let text = body.map { String(decoding: $0.encoded(), as: UTF8.self) }
        return try await harness.send(method, path.hasPrefix("http") ? path : base + path, token: token.id, body: text)
    }

    /// Creates and returns the member, failing the test's expectations when the status is not 201.
    func create(_ collection: String, _ key: String, _ member: JSONValue) async throws -> JSONValue {
        let reply = try await send("POST", "/\(collection)", [key: member])
        guard reply.status == 201 else { throw HarnessError("create \(collection): \(reply.status) \(reply.text)") }
        return reply.json[key] ?? .null
    }

    /// A network with one /24 subnet; returns (network id, subnet id).
    func networkWithSubnet(_ cidr: String = "10.0.0.0/24", name: String = "net") async throws -> (String, String) {
        let network = try await create("networks", "network", ["name": .string(name)])
        let networkID = network["id"]?.stringValue ?? ""
        let subnet = try await create("subnets", "subnet", ["network_id": .string(networkID), "cidr": .string(cidr), "ip_version": 4])
        return (networkID, subnet["id"]?.stringValue ?? "")
    }

    /// A call straight to a region's Neutron as the admin (what the pod holds).
    func direct(_ region: String, _ path: String) async throws -> HarnessReply {
        guard let endpoint = harness.cloud.endpoint(region: region, service: .network) else { throw HarnessError("no network in \(region)") }
        let admin = try harness.token(user: "admin")
        return try await harness.send("GET", endpoint + "/v2.0" + path, token: admin.id)
    }

    /// The caller as the gateway sees it, for calling the provisioner directly.
    func podContext() -> PodCallContext {
        PodCallContext(
            caller: AuthenticatedCaller(token: token.id, userID: token.userID, userName: token.userName, projectID: token.projectID,
                                        projectName: token.projectName, roles: token.roles, expiresAt: token.expiresAt),
            requestID: GatewayRequestContext.newRequestID())
    }
}

extension JSONValue {
    /// The element at `index` of an array (nil for other values or out of range).
    func at(_ index: Int) -> JSONValue? {
        guard let items = arrayValue, items.indices.contains(index) else { return nil }
        return items[index]
    }
}
