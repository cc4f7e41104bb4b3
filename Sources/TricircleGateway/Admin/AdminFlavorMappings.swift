import Hummingbird
import OpenStackModels
import TricircleCore
import TricircleStore

/// `/v1.0/flavor-mappings`: which pod flavor each top flavor boots as, per pod. Rows are recorded by
/// boots (automatic) or pinned here by an admin; a pinned row is never replaced by the automatic matcher.
extension AdminAPI {
    static let flavorMappingCreateSchema = BodySchema(root: "flavor_mapping", fields: [
        .required("top_flavor_id", .identifier(maxLength: 255)),
        .required("pod_id", .uuid),
        .required("bottom_flavor_id", .identifier(maxLength: 255)),
    ])

    static let flavorMappingUpdateSchema = BodySchema(root: "flavor_mapping", fields: [
        .required("bottom_flavor_id", .identifier(maxLength: 255)),
        .optional("top_flavor_id", .forbidden("cannot be changed; delete the mapping and create a new one")),
        .optional("pod_id", .forbidden("cannot be changed; delete the mapping and create a new one")),
    ])

    static let flavorMappingListQuery = QuerySchema(parameters: [
        .optional("top_flavor_id", .identifier(maxLength: 255)),
        .optional("pod_id", .uuid),
        .optional("limit", .integer(1...AdminAPI.maxPageSize)),
        .optional("marker", .uuid),
    ])

    func addFlavorMappingRoutes<Router: RouterMethods>(to router: Router) {
        router.post("/v1.0/flavor-mappings") { request, _ in try await createFlavorMapping(request) }
        router.get("/v1.0/flavor-mappings") { request, _ in try await listFlavorMappings(request) }
        router.get("/v1.0/flavor-mappings/:id") { _, context in
            AdminJSON.response(["flavor_mapping": AdminView(try await existingFlavorMapping(context.parameters.require("id")))])
        }
        router.put("/v1.0/flavor-mappings/:id") { request, context in
            try await updateFlavorMapping(context.parameters.require("id"), request)
        }
        router.delete("/v1.0/flavor-mappings/:id") { _, context in
            let id = try context.parameters.require("id")
            guard Identifier.isUUIDLike(id), try await pods.flavorMappings.delete(id: id) else { throw Self.flavorMappingNotFound(id) }
            return AdminJSON.response(EmptyObject())
        }
    }

    func createFlavorMapping(_ request: Request) async throws -> Response {
        let fields = try Self.flavorMappingCreateSchema.validate(try await AdminBody.read(request, limit: maxBodySize))
        let podID = fields.string("pod_id") ?? ""
        let topID = fields.string("top_flavor_id") ?? ""
        guard let pod = try await pods.get(podID) else { throw AdminError.badRequest("Pod \(podID) does not exist") }
        guard !pod.isTop else { throw AdminError.badRequest("Pod \(podID) is the top pod; flavors are mapped to bottom pods") }
        guard try await pods.flavorMappings.topFlavorExists(topID) else {
            throw AdminError.badRequest("Flavor \(BodySchema.shown(topID)) does not exist in the top catalog")
        }
        let row = try await pods.flavorMappings.put(
            topFlavorID: topID, podID: podID, bottomFlavorID: fields.string("bottom_flavor_id") ?? "", pinned: true)
        return AdminJSON.response(["flavor_mapping": AdminView(row)])
    }

    func listFlavorMappings(_ request: Request) async throws -> Response {
        let query = try Self.flavorMappingListQuery.validate(request.uri)
        let limit = query.int("limit") ?? defaultPageSize
        return try await AdminPaging.list(
            request, base: publicURL, collection: "flavor_mappings", limit: limit, id: \FlavorMappingRow.id
        ) { count in
            try await pods.flavorMappings.list(
                topFlavorID: query.string("top_flavor_id"), podID: query.string("pod_id"), limit: count, marker: query.string("marker"))
        }
    }

    func updateFlavorMapping(_ id: String, _ request: Request) async throws -> Response {
        let current = try await existingFlavorMapping(id)
        let fields = try Self.flavorMappingUpdateSchema.validate(try await AdminBody.read(request, limit: maxBodySize))
        let row = try await pods.flavorMappings.put(
            topFlavorID: current.topFlavorID, podID: current.podID, bottomFlavorID: fields.string("bottom_flavor_id") ?? "", pinned: true)
        return AdminJSON.response(["flavor_mapping": AdminView(row)])
    }

    func existingFlavorMapping(_ id: String) async throws -> FlavorMappingRow {
        guard Identifier.isUUIDLike(id), let row = try await pods.flavorMappings.get(id: id) else { throw Self.flavorMappingNotFound(id) }
        return row
    }

    static func flavorMappingNotFound(_ id: String) -> AdminError {
        .notFound("Flavor mapping \(BodySchema.shown(id)) could not be found")
    }
}
