import Foundation
import GatewayTestHarness
import OpenStackClient
import OpenStackModels
import TricircleComputeAPI
import TricircleCore
import TricircleGateway

/// Calls to the compute catalog routes as one user, at an optional microversion.
struct CatalogClient {
    let harness: GatewayHarness
    let token: String
    let projectID: String
    let userID: String
    let roles: [String]

    init(_ harness: GatewayHarness, user: String = "demo") throws {
        let issued = try harness.token(user: user)
        self.harness = harness
        self.token = issued.id
        self.projectID = issued.projectID
        self.userID = issued.userID
        self.roles = issued.roles
    }

    func send(_ method: String, _ path: String, _ body: JSONValue? = nil, version: String? = nil) async throws -> HarnessReply {
        var headers: [(String, String)] = []
        if let version { headers.append(("OpenStack-API-Version", "compute \(version)")) }
        let text = try body.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        return try await harness.send(method, harness.url("compute") + path, token: token, body: text, headers: headers)
    }

    /// What the call needs to act for this user in a pod.
    var podContext: PodCallContext {
        PodCallContext(
            caller: AuthenticatedCaller(
                token: token, userID: userID, userName: "", projectID: projectID, projectName: "",
                roles: roles, expiresAt: .distantFuture),
            requestID: "req-test")
    }

    /// A GET straight to a pod's Compute API with this user's token.
    func pod(_ region: String, _ method: String, _ path: String, body: JSONValue? = nil, version: String = "2.61") async throws -> RegionalResponse {
        var request = RegionalRequest(method: method, path: path, headers: [("X-OpenStack-Nova-API-Version", version)])
        if let body { request = try RegionalRequest.json(method, path, body: body, headers: request.headers) }
        return try await harness.runtime.regions.send(
            request, region: region, serviceType: "compute", as: ServiceCredentials(token: token, projectID: projectID))
    }
}

extension GatewayHarness {
    /// The catalog part of the compute front-end (the flavor and key pair provisioners).
    var catalog: ComputeCatalogRoutes? {
        (assembly.frontEnd(.compute) as? ComputeFrontEnd)?.catalog
    }
}

extension JSONValue {
    /// The element at `index` of an array, nil when out of range or not an array.
    func at(_ index: Int) -> JSONValue? {
        guard let array = arrayValue, array.indices.contains(index) else { return nil }
        return array[index]
    }
}
