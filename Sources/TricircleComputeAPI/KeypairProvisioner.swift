import Foundation
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// Before a boot in a pod, makes the caller's top key pair present there under the same name with the
/// same public key (the pod's key pairs belong to the same Keystone user, so the caller's token is used).
///
/// Idempotent: an identical key in the pod is left alone. A different key under that name in the pod is
/// replaced by the top's: the top is the one place users manage key pairs, and a stale copy in a pod
/// would silently boot servers with the wrong key.
struct KeypairProvisioner: KeypairProvisioning {
    let runtime: GatewayRuntime
    let keypairs: KeypairStore
    let forwarder: PodForwarder

    init(runtime: GatewayRuntime, keypairs: KeypairStore) {
        self.runtime = runtime
        self.keypairs = keypairs
        self.forwarder = runtime.forwarder(serviceType: "compute", format: .fault)
    }

    /// key_type needs 2.2 in the pod.
    static let headers = [("X-OpenStack-Nova-API-Version", "2.2"), ("OpenStack-API-Version", "compute 2.2")]

    func ensureKeypair(_ name: String, in pod: Pod, context: PodCallContext) async throws {
        guard let keypair = try await keypairs.get(userID: context.caller.userID, name: name) else {
            throw APIError(.badRequest, "Invalid key_name provided.", format: .fault)
        }
        let credentials = context.credentials
        let path = "/os-keypairs/" + (name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? name)
        for attempt in 0..<3 {
            let existing = try await forwarder.send(.get(path, headers: Self.headers), to: pod, credentials: credentials)
            if existing.isSuccess {
                let present = (try? existing.decode(JSONValue.self))?["keypair"]
                if present?["public_key"]?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines)
                    == keypair.publicKey.trimmingCharacters(in: .whitespacesAndNewlines) {
                    return
                }
                runtime.logger.notice("replacing a different key pair in the pod with the top's", metadata: [
                    "region": "\(pod.regionName)", "keypair": "\(name)", "user_id": "\(keypair.userID)",
                ])
                let removed = try await forwarder.send(.delete(path, headers: Self.headers), to: pod, credentials: credentials)
                guard removed.isSuccess || removed.status == 404 else { throw Self.refused(pod, removed) }
            } else if existing.status != 404 {
                throw Self.refused(pod, existing)
            }
            let body: JSONValue = ["keypair": ["name": .string(name), "public_key": .string(keypair.publicKey), "type": .string(keypair.type)]]
            let created = try await forwarder.send(
                try RegionalRequest.json("POST", "/os-keypairs", body: body, headers: Self.headers), to: pod, credentials: credentials)
            if created.isSuccess { return }
            // 409: a concurrent boot imported it first; look again (it is most likely the same key).
            guard created.status == 409, attempt < 2 else { throw Self.refused(pod, created) }
        }
        throw APIError(.conflict, "Key pair \(name) keeps changing in region \(pod.regionName); try again.", format: .fault)
    }

    static func refused(_ pod: Pod, _ response: RegionalResponse) -> APIError {
        let message = (try? response.decode(OpenStackFault.self))?.message ?? "HTTP \(response.status)"
        return APIError(response.status >= 500 ? .serviceUnavailable : .conflict,
                        "Region \(pod.regionName) refused key pair provisioning: \(message)", format: .fault)
    }

    /// After a top key pair is deleted, removes the copies boots made in the pods, every pod at once
    /// (servers keep the key they were booted with, as in Nova). Another user's pair (an admin's delete)
    /// is named by `user_id`, so the caller's own pair of that name is never touched. Best effort: a pod
    /// that does not answer keeps its copy, which the next boot there replaces if the name is reused.
    func removeCopies(_ name: String, userID: String, context: PodCallContext) async {
        guard let pods = try? await runtime.podDirectory.bottomPods() else { return }
        let encoded = name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? name
        let path = "/os-keypairs/\(encoded)" + (userID == context.caller.userID ? "" : "?user_id=\(userID)")
        let headers = [("X-OpenStack-Nova-API-Version", "2.10"), ("OpenStack-API-Version", "compute 2.10")]
        // Best effort after the top's delete: a token refused meanwhile only leaves the copies in place.
        let answers = (try? await Fanout.results(pods) { pod in
            try await forwarder.send(RegionalRequest(method: "DELETE", path: path, headers: headers), to: pod, credentials: context.credentials)
        }) ?? []
        for (pod, answer) in zip(pods, answers) {
            if case .success(let answer) = answer, !answer.isSuccess, answer.status != 404 {
                runtime.logger.warning("key pair copy not removed from a pod",
                                       metadata: ["pod": "\(pod.regionName)", "keypair": "\(name)", "status": "\(answer.status)"])
            }
        }
    }
}
