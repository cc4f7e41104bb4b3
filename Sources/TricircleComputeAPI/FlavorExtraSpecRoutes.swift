import Foundation
import Hummingbird
import OpenStackModels
import TricircleGateway
import TricircleStore

/// `/flavors/{id}/os-extra_specs`: extra specs of top flavors (read by anyone who sees the flavor, changed by admins).
struct FlavorExtraSpecRoutes: APIRoutes {
    let catalog: ComputeCatalogRoutes

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("flavors/:flavor/os-extra_specs", use: list)
        group.post("flavors/:flavor/os-extra_specs", use: create)
        group.get("flavors/:flavor/os-extra_specs/:key", use: show)
        group.put("flavors/:flavor/os-extra_specs/:key", use: update)
        group.delete("flavors/:flavor/os-extra_specs/:key", use: delete)
    }

    /// `GET /v2.1/flavors/:flavor/os-extra_specs`.
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await catalog.run(request, context) { call in
            let flavor = try await catalog.visibleFlavor(catalog.pathParameter(context, "flavor"), call: call)
            return call.json(["extra_specs": .object(try await catalog.flavors.extraSpecs(flavor.id).mapValues(JSONValue.string))])
        }
    }

    /// `POST /v2.1/flavors/:flavor/os-extra_specs`.
    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await catalog.run(request, context) { call in
            try call.requireAdmin("os_compute_api:os-flavor-extra-specs:create")
            let body = try await call.body()
            guard let raw = body["extra_specs"], let map = raw.objectValue else {
                throw invalidInput("extra_specs", body["extra_specs"], "'extra_specs' is a required property")
            }
            let specs = try Self.validatedSpecs(map)
            let flavor = try await catalog.visibleFlavor(catalog.pathParameter(context, "flavor"), call: call)
            try await catalog.flavors.setExtraSpecs(flavor.id, specs)
            return call.json(["extra_specs": .object(specs.mapValues(JSONValue.string))])
        }
    }

    /// `GET /v2.1/flavors/:flavor/os-extra_specs/:key`.
    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await catalog.run(request, context) { call in
            let flavor = try await catalog.visibleFlavor(catalog.pathParameter(context, "flavor"), call: call)
            let key = try catalog.pathParameter(context, "key")
            guard let value = try await catalog.flavors.extraSpecs(flavor.id)[key] else {
                throw APIError(.notFound, "Flavor \(flavor.id) has no extra specs with key \(key).", format: .fault)
            }
            return call.json(.object([key: .string(value)]))
        }
    }

    /// `PUT /v2.1/flavors/:flavor/os-extra_specs/:key`.
    func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await catalog.run(request, context) { call in
            try call.requireAdmin("os_compute_api:os-flavor-extra-specs:update")
            let key = try catalog.pathParameter(context, "key")
            let body = try await call.body()
            let specs = try Self.validatedSpecs(body.objectValue ?? [:])
            guard specs.count == 1 else {
                throw APIError(.badRequest, specs.isEmpty ? "Malformed request body" : "Request body contains too many items", format: .fault)
            }
            guard let value = specs[key] else { throw APIError(.badRequest, "Request body and URI mismatch", format: .fault) }
            let flavor = try await catalog.visibleFlavor(catalog.pathParameter(context, "flavor"), call: call)
            try await catalog.flavors.setExtraSpecs(flavor.id, [key: value])
            return call.json(.object([key: .string(value)]))
        }
    }

    /// `DELETE /v2.1/flavors/:flavor/os-extra_specs/:key`.
    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await catalog.run(request, context) { call in
            try call.requireAdmin("os_compute_api:os-flavor-extra-specs:delete")
            let flavor = try await catalog.visibleFlavor(catalog.pathParameter(context, "flavor"), call: call)
            let key = try catalog.pathParameter(context, "key")
            guard try await catalog.flavors.deleteExtraSpec(flavor.id, key: key) else {
                throw APIError(.notFound, "Flavor \(flavor.id) has no extra specs with key \(key).", format: .fault)
            }
            return call.empty(.ok)
        }
    }

    /// Nova's extra spec schema: keys of 1-255 of `[a-zA-Z0-9-_:. /]`, values strings (numbers and
    /// booleans are accepted and kept as their text) of at most 255 characters.
    static func validatedSpecs(_ map: [String: JSONValue]) throws -> [String: String] {
        let keyCharacters = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:. /")
        var specs: [String: String] = [:]
        for (key, raw) in map {
            guard !key.isEmpty, key.count <= 255, key.unicodeScalars.allSatisfy(keyCharacters.contains) else {
                throw invalidInput("extra_specs", .string(key), "'\(key)' does not match any of the regexes: '^[a-zA-Z0-9-_:. /]{1,255}$'")
            }
            let value: String
            switch raw {
            case .string(let text): value = text
            case .bool(let flag): value = flag ? "True" : "False"
            case .number: value = raw.intValue.map(String.init) ?? "\(raw.doubleValue ?? 0)"
            default: throw invalidInput(key, raw, "\(raw) is not of type 'string', 'number', 'boolean'")
            }
            guard value.count <= 255 else { throw invalidInput(key, raw, "is longer than 255 characters") }
            specs[key] = value
        }
        return specs
    }
}
