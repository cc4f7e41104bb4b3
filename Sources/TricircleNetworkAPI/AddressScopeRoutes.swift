import Foundation
import Hummingbird
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// `/v2.0/address-scopes` (`address-scope`): scopes live at the top only, grouping subnet pools whose
/// prefixes must not overlap.
struct AddressScopeRoutes: APIRoutes {
    let service: NetworkService

    static let attributes: Set<String> = Set(jsonObject(AddressScope(id: "", name: "", projectID: "", shared: false, ipVersion: 4)).keys)

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("address-scopes", use: list)
        group.post("address-scopes", use: create)
        group.get("address-scopes/:id", use: show)
        group.put("address-scopes/:id", use: update)
        group.delete("address-scopes/:id", use: delete)
    }

    /// `GET /v2.0/address-scopes`: own, shared and (admins) all.
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let query = try NeutronListQuery(request, attributes: Self.attributes)
        return try await service.lister.respond(
            .addressScopes, collection: "address_scopes", request: request, query: query,
            base: NetworkDocumentQuery(projectIDs: caller.visibleProjects, orDeviceIDs: [NetworkService.sharedMarker]),
            render: { rows in try rows.map { try jsonObject(service.model(AddressScope.self, $0)) } },
            notFound: AddressScopeRoutes.notFound)
    }

    /// `POST /v2.0/address-scopes`: `ip_version` is required; only an admin shares a scope.
    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let body = try NeutronHTTP.decode(AddressScopeRequest.self, from: try await NeutronHTTP.member(
            request, key: "address_scope", allowed: AddressScopeRequest.createAttributes))
        if body.shared == true, !caller.isAdmin {
            throw NeutronError.policyNotAuthorized("rule:create_address_scope and rule:create_address_scope:shared")
        }
        guard let version = body.ipVersion else {
            throw NeutronError.httpBadRequest("Failed to parse request. Required attribute 'ip_version' not specified")
        }
        guard version == 4 || version == 6 else {
            throw NeutronError.invalidAttribute("ip_version", reason: "\(version) is not in [4, 6]")
        }
        let project = try caller.owningProject(body.projectID, body.tenantID)
        let scope = AddressScope(id: NetworkService.newID(), name: body.name ?? "", projectID: project, shared: body.shared ?? false, ipVersion: version)
        let now = Timestamp.now()
        try await service.documents.insert(.addressScopes, NetworkDocument(
            id: scope.id, projectID: project, deviceID: scope.shared ? NetworkService.sharedMarker : "", name: scope.name,
            body: try NetworkService.body(scope), createdAt: now, updatedAt: now))
        return NeutronHTTP.single("address_scope", jsonObject(scope), request: request, status: .created)
    }

    /// `GET /v2.0/address-scopes/:id`.
    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (scope, _) = try await service.addressScope(try context.parameters.require("id"), NeutronCaller(try context.requireCaller()))
        return NeutronHTTP.single("address_scope", jsonObject(scope), request: request)
    }

    /// `PUT /v2.0/address-scopes/:id`: name, and `shared` (admins; a shared scope cannot be unshared).
    func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let id = try context.parameters.require("id")
        let body = try NeutronHTTP.decode(AddressScopeRequest.self, from: try await NeutronHTTP.member(
            request, key: "address_scope", allowed: AddressScopeRequest.updateAttributes))
        let (current, _) = try await service.addressScope(id, caller)
        guard caller.owns(current.projectID) else { throw NeutronError.policyNotAuthorized("rule:update_address_scope") }
        if body.shared != nil, !caller.isAdmin {
            throw NeutronError.policyNotAuthorized("rule:update_address_scope and rule:update_address_scope:shared")
        }
        if current.shared, body.shared == false {
            throw NeutronError(status: 400, type: "AddressScopeUpdateError",
                               message: "Unable to update address scope \(id) : Shared address scope can't be unshared.")
        }
        let (scope, doc) = try await service.rewrite(.addressScopes, id: id, notFound: Self.notFound(id)) { (scope: inout AddressScope, _) in
            if let v = body.name { scope.name = v }
            if let v = body.shared { scope.shared = v }
        }
        // Who may see it follows `shared` (the marker lists read).
        if scope.shared, doc.deviceID != NetworkService.sharedMarker {
            var next = doc
            next.deviceID = NetworkService.sharedMarker
            next.revision += 1
            _ = try await service.documents.update(.addressScopes, next, expectedRevision: doc.revision)
        }
        return NeutronHTTP.single("address_scope", jsonObject(scope), request: request)
    }

    /// `DELETE /v2.0/address-scopes/:id`: not while subnet pools are in it.
    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = NeutronCaller(try context.requireCaller())
        let id = try context.parameters.require("id")
        let (scope, _) = try await service.addressScope(id, caller)
        guard caller.owns(scope.projectID) else { throw NeutronError.policyNotAuthorized("rule:delete_address_scope") }
        if try await !service.documents.list(.subnetPools, NetworkDocumentQuery(parentIDs: [id], limit: 1)).isEmpty {
            throw NeutronError(status: 409, type: "AddressScopeInUse",
                               message: "Unable to complete operation on address scope \(id). There are one or more subnet pools in use on the address scope.")
        }
        try await service.documents.delete(.addressScopes, id: id)
        return NeutronHTTP.noContent()
    }

    static func notFound(_ id: String) -> NeutronError {
        NeutronError(status: 404, type: "AddressScopeNotFound", message: "Address scope \(id) could not be found.")
    }
}

extension NetworkService {
    /// An address scope the caller may see (own, shared; admins: any), or 404 AddressScopeNotFound.
    func addressScope(_ id: String, _ caller: NeutronCaller) async throws -> (AddressScope, NetworkDocument) {
        guard let doc = try await documents.get(.addressScopes, id: id), caller.owns(doc.projectID) || doc.deviceID == Self.sharedMarker
        else { throw AddressScopeRoutes.notFound(id) }
        return (try model(AddressScope.self, doc), doc)
    }
}
