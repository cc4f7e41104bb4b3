import Foundation
import Hummingbird
import OpenStackModels
import TricircleGateway
import TricircleStore

/// `/flavors/{id}/os-flavor-access` and the `addTenantAccess`/`removeTenantAccess` actions (admins).
struct FlavorAccessRoutes: APIRoutes {
    let catalog: ComputeCatalogRoutes

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("flavors/:flavor/os-flavor-access", use: list)
        group.post("flavors/:flavor/action", use: action)
    }

    /// `GET /v2.1/flavors/:flavor/os-flavor-access`.
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await catalog.run(request, context) { call in
            try call.requireAdmin("os_compute_api:os-flavor-access")
            let flavor = try await catalog.visibleFlavor(catalog.pathParameter(context, "flavor"), call: call)
            guard !flavor.isPublic else {
                throw APIError(.notFound, "Access list not available for public flavors.", format: .fault)
            }
            return call.json(try await accessList(flavor.id))
        }
    }

    /// `POST /v2.1/flavors/:flavor/action`.
    func action(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await catalog.run(request, context) { call in
            let body = try await call.body()
            let id = try catalog.pathParameter(context, "flavor")
            if let add = body["addTenantAccess"] {
                try call.requireAdmin("os_compute_api:os-flavor-access:add_tenant_access")
                let tenant = try Self.tenant(add, action: "addTenantAccess")
                let flavor = try await catalog.visibleFlavor(id, call: call)
                guard !flavor.isPublic else {
                    throw APIError(.conflict, "Can not add access to a public flavor.", format: .fault)
                }
                try await catalog.flavors.addAccess(flavor.id, projectID: tenant)
                return call.json(try await accessList(flavor.id))
            }
            if let remove = body["removeTenantAccess"] {
                try call.requireAdmin("os_compute_api:os-flavor-access:remove_tenant_access")
                let tenant = try Self.tenant(remove, action: "removeTenantAccess")
                let flavor = try await catalog.visibleFlavor(id, call: call)
                guard try await catalog.flavors.removeAccess(flavor.id, projectID: tenant) else {
                    throw APIError(.notFound, "Flavor access not found for \(flavor.id) / \(tenant) combination.", format: .fault)
                }
                return call.json(try await accessList(flavor.id))
            }
            throw APIError(.badRequest, "There is no such action: \(body.objectValue?.keys.sorted().first ?? "")", format: .fault)
        }
    }

    static func tenant(_ value: JSONValue, action: String) throws -> String {
        guard let tenant = value["tenant"]?.stringValue, !tenant.isEmpty, tenant.count <= 255 else {
            throw invalidInput(action, value, "'tenant' is a required property")
        }
        return tenant
    }

    func accessList(_ flavorID: String) async throws -> JSONValue {
        let projects = try await catalog.flavors.accessProjects(flavorID)
        return ["flavor_access": .array(projects.map { ["flavor_id": .string(flavorID), "tenant_id": .string($0)] })]
    }
}
