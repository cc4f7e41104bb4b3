import Foundation
import Logging
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway

/// A failed call to a pod's Neutron: its status and Neutron error (nil status: it did not answer).
struct PodNeutronError: Error, CustomStringConvertible, Sendable {
    var region: String
    var status: Int?
    var message: String

    var description: String { "Neutron in \(region) answered \(status.map(String.init) ?? "nothing"): \(message)" }
}

/// Calls to a pod's Neutron as the gateway's service user (admin there), for the copies of top resources
/// the gateway owns: they are created in the caller's project but managed by the gateway.
struct PodNeutron: Sendable {
    let runtime: GatewayRuntime

    /// Sends a request under `/v2.0` and returns the decoded JSON answer (null for 204); non-2xx throws.
    @discardableResult
    func call(_ method: String, _ path: String, body: JSONValue? = nil, in pod: Pod, requestID: String? = nil) async throws -> JSONValue {
        var request = RegionalRequest(method: method, path: "/v2.0" + path)
        if let body {
            request.body = .bytes(ByteBuffer(data: body.encoded()), contentType: "application/json")
        }
        request.timeout = .milliseconds(Int64(runtime.config.podTimeout * 1000))
        var response = try await send(request, in: pod, requestID: requestID)
        if response.status == 401 || response.status == 403 {
            // A service token issued before its roles were granted (or revoked since) is refused by policy:
            // once, with a fresh token.
            await runtime.keystone.invalidateServiceToken(response.tokenUsed)
            response = try await send(request, in: pod, requestID: requestID)
        }
        guard response.answer.isSuccess else {
            let fault = NeutronError(status: response.status, body: response.answer.data)
            throw PodNeutronError(region: pod.regionName, status: response.status, message: fault?.message ?? String(buffer: response.answer.body))
        }
        if response.answer.body.readableBytes == 0 { return .null }
        return (try? JSONValue(data: response.answer.data)) ?? .null
    }

    /// One send with the current service token; the answer and the token it carried.
    private func send(_ request: RegionalRequest, in pod: Pod, requestID: String?) async throws -> (answer: RegionalResponse, tokenUsed: String, status: Int) {
        let token = try await runtime.keystone.serviceToken().id
        do {
            let answer = try await runtime.regions.send(
                request, region: pod.regionName, serviceType: "network", as: ServiceCredentials(token: token, projectID: nil, requestID: requestID))
            return (answer, token, answer.status)
        } catch {
            throw PodNeutronError(region: pod.regionName, status: nil, message: "\(error)")
        }
    }

    /// The id of the pod resource named `name` (the top id), if any: how a stale create-lock's resource is adopted.
    func find(_ collection: String, name: String, in pod: Pod) async throws -> String? {
        let answer = try await call("GET", "/\(collection)?name=\(name)&fields=id", in: pod)
        return answer[collection.replacingOccurrences(of: "-", with: "_")]?.arrayValue?.first?["id"]?.stringValue
    }

    /// Deletes a pod resource; a 404 counts as done.
    func delete(_ collection: String, id: String, in pod: Pod) async throws {
        do {
            try await call("DELETE", "/\(collection)/\(id)", in: pod)
        } catch let error as PodNeutronError where error.status == 404 {
            return
        }
    }
}
