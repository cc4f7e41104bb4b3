import Crypto
import Foundation
import Hummingbird
import OpenStackModels

extension ComputeAPI {
    func keypairJSON(_ k: KeypairRecord, call: ComputeCall, detail: Bool) -> JSONValue {
        var o: [String: JSONValue] = [
            "name": .string(k.keypair.name), "public_key": .string(k.keypair.publicKey),
            "fingerprint": .string(k.keypair.fingerprint),
        ]
        if call.atLeast(2, 2) { o["type"] = .string(k.keypair.type ?? "ssh") }
        if detail {
            o["user_id"] = .string(k.keypair.userID)
            o["created_at"] = .string(SimTime.cinder(k.created))
            o["deleted"] = false
            // Explicit nulls: assigning nil would drop the keys Nova sends.
            o["deleted_at"] = .null
            o["updated_at"] = .null
            o["id"] = .int(k.id)
        }
        return .object(o)
    }

    /// The user whose key pairs are addressed: the caller, or `user_id` for admins (2.10+).
    func keypairUser(_ call: ComputeCall) throws -> String {
        if let user = call.query("user_id"), call.atLeast(2, 10) {
            guard call.isAdmin || user == call.token.userID else {
                throw SimulatorError.forbidden("Policy doesn't allow os_compute_api:os-keypairs:index to be performed.")
            }
            return user
        }
        return call.token.userID
    }

    /// `MD5` fingerprint of an OpenSSH public key's blob, colon separated, as Nova computes it.
    static func fingerprint(publicKey: String) -> String? {
        let parts = publicKey.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("ssh-") || parts[0].hasPrefix("ecdsa-"),
            let blob = Data(base64Encoded: String(parts[1])), !blob.isEmpty
        else { return nil }
        return Insecure.MD5.hash(data: blob).map { String(format: "%02x", $0) }.joined(separator: ":")
    }

    /// A new ed25519 key pair in OpenSSH public form plus a PEM-ish private key.
    static func generateKey(comment: String) -> (publicKey: String, privateKey: String) {
        let key = Curve25519.Signing.PrivateKey()
        func sshString(_ bytes: [UInt8]) -> [UInt8] {
            let n = UInt32(bytes.count)
            return [UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)] + bytes
        }
        let blob = sshString(Array("ssh-ed25519".utf8)) + sshString(Array(key.publicKey.rawRepresentation))
        let publicKey = "ssh-ed25519 \(Data(blob).base64EncodedString()) \(comment)"
        let privateKey = "-----BEGIN OPENSSH PRIVATE KEY-----\n"
            + Data(key.rawRepresentation + blob).base64EncodedString(options: .lineLength64Characters)
            + "\n-----END OPENSSH PRIVATE KEY-----\n"
        return (publicKey, privateKey)
    }

    func listKeypairs(_ call: ComputeCall) async throws -> Response {
        let user = try keypairUser(call)
        let limit = call.atLeast(2, 35) ? call.query("limit").flatMap { Int($0) } : nil
        let marker = call.atLeast(2, 35) ? call.query("marker") : nil
        var keys = store.compute.withLock { state in Array((state.keypairs[user] ?? [:]).values) }
        keys.sort { $0.keypair.name < $1.keypair.name }
        if let marker {
            guard let index = keys.firstIndex(where: { $0.keypair.name == marker }) else {
                throw SimulatorError.badRequest("marker [\(marker)] not found")
            }
            keys = Array(keys.dropFirst(index + 1))
        }
        if let limit { keys = Array(keys.prefix(limit)) }
        var body: [String: JSONValue] = [
            "keypairs": .array(keys.map { ["keypair": keypairJSON($0, call: call, detail: false)] })
        ]
        if let limit, keys.count == limit, let last = keys.last {
            body["keypairs_links"] = [["rel": "next", "href": .string(nextLink(call: call, path: "os-keypairs", marker: last.keypair.name))]]
        }
        return SimHTTP.json(.object(body))
    }

    func showKeypair(_ call: ComputeCall) async throws -> Response {
        let name = try call.param("name")
        let user = try keypairUser(call)
        guard let k = store.compute.withLock({ $0.keypairs[user]?[name] }) else {
            throw SimulatorError.notFound("Keypair \(name) not found for user \(user)")
        }
        return SimHTTP.json(["keypair": keypairJSON(k, call: call, detail: true)])
    }

    func createKeypair(_ call: ComputeCall) async throws -> Response {
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        let r = try SimHTTP.member(body, "keypair", format: .fault)
        guard let name = r["name"]?.stringValue, !name.isEmpty, name.count <= 255,
            name.allSatisfy({ $0.isLetter || $0.isNumber || "-_ .@".contains($0) })
        else {
            throw SimulatorError.badRequest("Invalid input for field/attribute keypair. Value: \(JSONValue.object(r)). 'name' is a required property")
        }
        var user = call.token.userID
        if let requested = r["user_id"]?.stringValue, call.atLeast(2, 10) {
            guard call.isAdmin || requested == user else {
                throw SimulatorError.forbidden("Policy doesn't allow os_compute_api:os-keypairs:create to be performed.")
            }
            user = requested
        }
        let type = call.atLeast(2, 2) ? (r["type"]?.stringValue ?? "ssh") : "ssh"
        var privateKey: String?
        let publicKey: String
        if let given = r["public_key"]?.stringValue {
            publicKey = given
        } else {
            guard !call.atLeast(2, 92) else {
                throw SimulatorError.badRequest("Invalid input for field/attribute keypair. Value: \(JSONValue.object(r)). 'public_key' is a required property")
            }
            let generated = Self.generateKey(comment: "Generated-by-Nova")
            publicKey = generated.publicKey
            privateKey = generated.privateKey
        }
        guard let fingerprint = Self.fingerprint(publicKey: publicKey) else {
            throw SimulatorError.badRequest("Keypair data is invalid: failed to generate fingerprint")
        }
        let record = try store.compute.withLock { state -> KeypairRecord in
            if state.keypairs[user]?[name] != nil {
                throw SimulatorError.conflict("Key pair '\(name)' already exists.")
            }
            let limit = state.quota("key_pairs", project: call.token.projectID)
            if limit >= 0, (state.keypairs[user]?.count ?? 0) >= limit {
                throw SimulatorError(status: 403, message: "Quota exceeded, too many key pairs.", name: "forbidden")
            }
            let record = KeypairRecord(
                keypair: Keypair(name: name, publicKey: publicKey, fingerprint: fingerprint, type: type, userID: user),
                created: call.now, id: state.nextKeypairID)
            state.nextKeypairID += 1
            state.keypairs[user, default: [:]][name] = record
            return record
        }
        var answer = keypairJSON(record, call: call, detail: false)
        if case .object(var o) = answer {
            o["user_id"] = .string(user)
            if let privateKey { o["private_key"] = .string(privateKey) }
            answer = .object(o)
        }
        return SimHTTP.json(["keypair": answer], status: call.atLeast(2, 2) ? 201 : 200)
    }

    func deleteKeypair(_ call: ComputeCall) async throws -> Response {
        let name = try call.param("name")
        let user = try keypairUser(call)
        try store.compute.withLock { state in
            guard state.keypairs[user]?.removeValue(forKey: name) != nil else {
                throw SimulatorError.notFound("Keypair \(name) not found for user \(user)")
            }
        }
        return SimHTTP.empty(status: call.atLeast(2, 2) ? 204 : 202)
    }
}
