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
    /// Through the pods' Neutron circuits: a region that stopped answering fails fast, as routed calls do.
    let forwarder: PodForwarder
    let keystone: KeystoneClient

    /// Sends a request under `/v2.0` and returns the decoded JSON answer (null for 204); non-2xx throws.
    @discardableResult
    func call(_ method: String, _ path: String, body: JSONValue? = nil, in pod: Pod, requestID: String? = nil) async throws -> JSONValue {
        var request = RegionalRequest(method: method, path: "/v2.0" + path)
        if let body {
            request.body = .bytes(ByteBuffer(data: body.encoded()), contentType: "application/json")
        }
        let response: RegionalResponse
        do {
            response = try await forwarder.sendAsService(request, to: pod, keystone: keystone, requestID: requestID)
        } catch {
            throw PodNeutronError(region: pod.regionName, status: nil, message: "\(error)")
        }
        guard response.isSuccess else {
            let fault = NeutronError(status: response.status, body: response.data)
            throw PodNeutronError(region: pod.regionName, status: response.status, message: fault?.message ?? String(buffer: response.body))
        }
        if response.body.readableBytes == 0 { return .null }
        return (try? JSONValue(data: response.data)) ?? .null
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
