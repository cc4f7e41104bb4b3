import Hummingbird
import OpenStackModels
import TricircleCore
import TricircleStore

/// `/v1.0/routings`: the resource routing table (top id -> bottom id in a pod), for operators to inspect and repair.
extension AdminAPI {
    static let resourceTypes = ResourceType.allCases.map(\.rawValue)

    static let routingCreateSchema = BodySchema(root: "routing", fields: [
        .required("top_id", .identifier(maxLength: 127)),
        .required("bottom_id", .identifier(maxLength: 127)),
        .required("pod_id", .uuid),
        .required("project_id", .identifier(maxLength: 64)),
        .required("resource_type", .oneOf(resourceTypes)),
    ])

    static let routingUpdateSchema = BodySchema(root: "routing", fields: [
        .optional("bottom_id", .identifier(maxLength: 127)),
        .optional("pod_id", .uuid),
        .optional("project_id", .identifier(maxLength: 64)),
        .optional("top_id", .forbidden("cannot be changed; delete the routing and create a new one")),
        .optional("resource_type", .forbidden("cannot be changed; delete the routing and create a new one")),
    ], requiresAtLeastOneField: true)

    static let routingListQuery = QuerySchema(parameters: [
        .optional("id", .uuid),
        .optional("top_id", .identifier(maxLength: 127)),
        .optional("bottom_id", .identifier(maxLength: 127)),
        .optional("pod_id", .uuid),
        .optional("project_id", .identifier(maxLength: 64)),
        .optional("resource_type", .oneOf(resourceTypes)),
        .optional("limit", .integer(1...AdminAPI.maxPageSize)),
        .optional("marker", .uuid),
    ])

    func addRoutingRoutes<Router: RouterMethods>(to router: Router) {
        router.post("/v1.0/routings") { request, _ in try await createRouting(request) }
        router.get("/v1.0/routings") { request, _ in try await listRoutings(request) }
        router.get("/v1.0/routings/:id") { _, context in try await showRouting(context.parameters.require("id")) }
        router.put("/v1.0/routings/:id") { request, context in
            try await updateRouting(context.parameters.require("id"), request)
        }
        router.delete("/v1.0/routings/:id") { _, context in try await deleteRouting(context.parameters.require("id")) }
    }

    func createRouting(_ request: Request) async throws -> Response {
        let fields = try Self.routingCreateSchema.validate(try await AdminBody.read(request, limit: maxBodySize))
        let podID = fields.string("pod_id") ?? ""
        guard let type = fields.string("resource_type").flatMap(ResourceType.init(rawValue:)) else {
            throw AdminError.badRequest("Invalid input for field 'routing.resource_type'")
        }
        guard try await pods.get(podID) != nil else {
            throw AdminError.badRequest("Pod \(podID) does not exist")
        }
        let routing = try await routings.create(
            topID: fields.string("top_id") ?? "", bottomID: fields.string("bottom_id"), podID: podID,
            projectID: fields.string("project_id") ?? "", resourceType: type)
        return AdminJSON.response(["routing": AdminView(routing)])
    }

    func listRoutings(_ request: Request) async throws -> Response {
        let query = try Self.routingListQuery.validate(request.uri)
        let filter = RoutingFilter(
            id: query.string("id"), topID: query.string("top_id"), bottomID: query.string("bottom_id"),
            podID: query.string("pod_id"), projectID: query.string("project_id"),
            resourceType: query.string("resource_type").flatMap(ResourceType.init(rawValue:)))
        let limit = query.int("limit") ?? defaultPageSize
        return try await AdminPaging.list(
            request, base: publicURL, collection: "routings", limit: limit, id: \ResourceRouting.id
        ) { count in
            do {
                return try await routings.list(filter: filter, limit: count, marker: query.string("marker"))
            } catch StoreError.notFound {
                throw AdminError.badRequest("Marker \(query.string("marker") ?? "") could not be found")
            }
        }
    }

    func showRouting(_ id: String) async throws -> Response {
        AdminJSON.response(["routing": AdminView(try await existingRouting(id))])
    }

    func updateRouting(_ id: String, _ request: Request) async throws -> Response {
        _ = try await existingRouting(id)
        let fields = try Self.routingUpdateSchema.validate(try await AdminBody.read(request, limit: maxBodySize))
        if let podID = fields.string("pod_id"), try await pods.get(podID) == nil {
            throw AdminError.badRequest("Pod \(podID) does not exist")
        }
        let updated: ResourceRouting?
        do {
            updated = try await routings.update(
                id, bottomID: fields.string("bottom_id"), podID: fields.string("pod_id"),
                projectID: fields.string("project_id"))
        } catch where StateStore.isUniqueViolation(error) {
            throw AdminError.conflict("Another routing already maps this resource in that pod")
        }
        guard let updated else { throw Self.routingNotFound(id) }
        return AdminJSON.response(["routing": AdminView(updated)])
    }

    func deleteRouting(_ id: String) async throws -> Response {
        guard Identifier.isUUIDLike(id), try await routings.delete(id) else { throw Self.routingNotFound(id) }
        return AdminJSON.response(EmptyObject())
    }

    func existingRouting(_ id: String) async throws -> ResourceRouting {
        guard Identifier.isUUIDLike(id), let routing = try await routings.get(id) else { throw Self.routingNotFound(id) }
        return routing
    }

    static func routingNotFound(_ id: String) -> AdminError {
        .notFound("Resource routing \(BodySchema.shown(id)) could not be found")
    }
}
