import Foundation
import Hummingbird
import OpenStackModels
import TricircleGateway
import TricircleStore

/// `/os-keypairs`: users' key pairs, kept at the top (pods get a copy before a boot there).
struct KeypairRoutes: APIRoutes {
    let catalog: ComputeCatalogRoutes

    /// Largest key pair page.
    static let maxKeypairPage = 1000

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("os-keypairs", use: list)
        group.post("os-keypairs", use: create)
        group.get("os-keypairs/:name", use: show)
        group.delete("os-keypairs/:name", use: delete)
    }

    /// `GET /v2.1/os-keypairs`.
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await catalog.run(request, context) { call in try await listKeypairs(call) }
    }

    /// `POST /v2.1/os-keypairs`.
    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await catalog.run(request, context) { call in try await createKeypair(call) }
    }

    /// `GET /v2.1/os-keypairs/:name`.
    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await catalog.run(request, context) { call in
            try await showKeypair(call, name: catalog.pathParameter(context, "name"))
        }
    }

    /// `DELETE /v2.1/os-keypairs/:name`.
    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await catalog.run(request, context) { call in
            try await deleteKeypair(call, name: catalog.pathParameter(context, "name"))
        }
    }

    /// Whose key pairs a request addresses: the caller's, or `user_id`'s for admins at 2.10+.
    func keypairOwner(_ call: CatalogCall, rule: String, requested: String? = nil) throws -> String {
        guard call.atLeast(2, 10), let user = requested ?? call.query("user_id"), user != call.caller.userID else {
            return call.caller.userID
        }
        guard call.caller.isAdmin else {
            throw APIError(.forbidden, "Policy doesn't allow os_compute_api:os-keypairs:\(rule) to be performed.", format: .fault)
        }
        return user
    }

    func keypairView(_ k: StoredKeypair, call: CatalogCall, detail: Bool) -> [String: JSONValue] {
        var o: [String: JSONValue] = [
            "name": .string(k.name), "public_key": .string(k.publicKey), "fingerprint": .string(k.fingerprint),
        ]
        if call.atLeast(2, 2) { o["type"] = .string(k.type) }
        if detail {
            o["user_id"] = .string(k.userID)
            o["created_at"] = .string(Self.novaTime(k.createdAt))
            o["deleted"] = false
            o["deleted_at"] = .null
            o["updated_at"] = .null
            // Nova's id is an integer row id; ours is a UUID, shown as the number of its first 28 bits.
            o["id"] = .number(Double(Int(k.id.replacingOccurrences(of: "-", with: "").prefix(7), radix: 16) ?? 0))
        }
        return o
    }

    /// "2026-11-22T07:40:38.123456Z" -> "2026-11-22T07:40:38.123456" (Nova's naive UTC timestamps).
    static func novaTime(_ stamp: String) -> String { stamp.hasSuffix("Z") ? String(stamp.dropLast()) : stamp }

    func listKeypairs(_ call: CatalogCall) async throws -> Response {
        let user = try keypairOwner(call, rule: "index")
        var limit = Self.maxKeypairPage
        var limited = false
        var marker: String?
        if call.atLeast(2, 35) {
            if let text = call.query("limit") {
                guard let value = Int(text), value >= 0 else {
                    throw APIError(.badRequest, "Invalid input for query parameters limit. Value: \(text). '\(text)' does not match '^[0-9]*$'", format: .fault)
                }
                limit = min(value, Self.maxKeypairPage)
                limited = true
            }
            marker = call.query("marker")
        }
        let page: [StoredKeypair]
        do {
            page = try await catalog.keypairs.list(userID: user, limit: limit, marker: marker)
        } catch StoreError.notFound {
            throw APIError(.badRequest, "marker [\(marker ?? "")] not found", format: .fault)
        }
        var body: [String: JSONValue] = [
            "keypairs": .array(page.map { ["keypair": .object(keypairView($0, call: call, detail: false))] })
        ]
        if limited || page.count == Self.maxKeypairPage, limit > 0, page.count == limit, let last = page.last {
            body["keypairs_links"] = [["rel": "next", "href": .string(catalog.nextLink(call, path: "os-keypairs", marker: last.name))]]
        }
        return call.json(.object(body))
    }

    func showKeypair(_ call: CatalogCall, name: String) async throws -> Response {
        let user = try keypairOwner(call, rule: "show")
        guard let keypair = try await catalog.keypairs.get(userID: user, name: name) else {
            throw APIError(.notFound, "Keypair \(name) not found for user \(user)", format: .fault)
        }
        return call.json(["keypair": .object(keypairView(keypair, call: call, detail: true))])
    }

    func createKeypair(_ call: CatalogCall) async throws -> Response {
        let body = try await call.body()
        guard let r = body["keypair"]?.objectValue else {
            throw invalidInput("keypair", body["keypair"], "'keypair' is a required property")
        }
        var allowed: Set<String> = ["name", "public_key"]
        if call.atLeast(2, 2) { allowed.insert("type") }
        if call.atLeast(2, 10) { allowed.insert("user_id") }
        for key in r.keys.sorted() where !allowed.contains(key) {
            throw APIError(.badRequest, "Invalid input for field/attribute keypair. Additional properties are not allowed ('\(key)' was unexpected)", format: .fault)
        }
        guard let rawName = r["name"] else { throw invalidInput("keypair", nil, "'name' is a required property") }
        guard let name = rawName.stringValue, Self.validKeypairName(name, call: call) else {
            throw invalidInput("name", rawName, "Key pair names must be 1 to 255 characters of letters, digits, spaces, '_' and '-'" + (call.atLeast(2, 92) ? ", '@' and '.'" : ""))
        }
        var type = "ssh"
        if let raw = r["type"] {
            guard let text = raw.stringValue, text == "ssh" || text == "x509" else {
                throw invalidInput("type", raw, "\(raw) is not one of ['ssh', 'x509']")
            }
            type = text
        }
        let user = try keypairOwner(call, rule: "create", requested: r["user_id"]?.stringValue)
        let publicKey: String
        let privateKey: String?
        if let raw = r["public_key"] {
            guard let text = raw.stringValue, !text.isEmpty else { throw invalidInput("public_key", raw, "must be a non-empty string") }
            publicKey = text
            privateKey = nil
        } else {
            guard !call.atLeast(2, 92) else { throw invalidInput("keypair", nil, "'public_key' is a required property") }
            if type == "x509" {
                do {
                    let generated = try await KeypairX509.generate(userID: user)
                    publicKey = generated.certificate
                    privateKey = generated.privateKey
                } catch let failure as KeypairX509.Failure {
                    throw Nova.internalError("Keypair data is invalid: could not generate an x509 certificate (\(failure.reason))")
                }
            } else {
                let generated = KeypairKeys.generate(comment: "Generated-by-Nova")
                publicKey = generated.publicKey
                privateKey = generated.privateKey
            }
        }
        let fingerprint = type == "x509" ? KeypairKeys.x509Fingerprint(publicKey) : KeypairKeys.sshFingerprint(publicKey)
        guard let fingerprint else {
            throw APIError(.badRequest, "Keypair data is invalid: failed to generate fingerprint", format: .fault)
        }
        // Stored and answered as given (Nova keeps an imported key's trailing newline).
        // One key_pairs quota over all regions (Nova counts it per user, with the project's limit).
        let quota = catalog.quota
        let limit = quota.enforced ? try await quota.limits(.compute, project: call.caller.projectID)["key_pairs"] ?? -1 : -1
        let stored: StoredKeypair
        do {
            stored = try await catalog.keypairs.create(
                userID: user, name: name, type: type, publicKey: publicKey, fingerprint: fingerprint, limit: limit)
        } catch is KeypairStore.LimitExceeded {
            catalog.metrics.quotaRejected(service: QuotaScope.compute.rawValue, resource: "key_pairs")
            throw APIError(.forbidden, "Quota exceeded, too many key pairs.", format: .fault)
        }
        var view = keypairView(stored, call: call, detail: false)
        view["user_id"] = .string(user)
        if let privateKey { view["private_key"] = .string(privateKey) }
        return call.json(["keypair": .object(view)], status: call.atLeast(2, 2) ? .created : .ok)
    }

    static func validKeypairName(_ name: String, call: CatalogCall) -> Bool {
        guard !name.isEmpty, name.count <= 255, !name.trimmingCharacters(in: .whitespaces).isEmpty else { return false }
        let extra: Set<Character> = call.atLeast(2, 92) ? [" ", "_", "-", "@", "."] : [" ", "_", "-"]
        return name.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || extra.contains($0) }
    }

    func deleteKeypair(_ call: CatalogCall, name: String) async throws -> Response {
        let user = try keypairOwner(call, rule: "delete")
        guard try await catalog.keypairs.delete(userID: user, name: name) else {
            throw APIError(.notFound, "Keypair \(name) not found for user \(user)", format: .fault)
        }
        // Servers keep the key they were booted with; the copies boots made in pods go too.
        await catalog.keypairProvisioner.removeCopies(name, userID: user, context: PodCallContext(caller: call.caller, requestID: call.requestID))
        return call.empty(call.atLeast(2, 2) ? .noContent : .accepted)
    }
}
