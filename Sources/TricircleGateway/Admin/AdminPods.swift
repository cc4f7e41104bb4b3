import Hummingbird
import TricircleCore
import TricircleStore

/// `/v1.0/pods`: register the top region and the bottom regions (pods) the gateway spreads work over.
extension AdminAPI {
    static let podCreateSchema = BodySchema(root: "pod", fields: [
        .required("region_name", .text(maxLength: 255, nonEmpty: true)),
        .optional("az_name", .text(maxLength: 255, nonEmpty: false)),
        .optional("pod_az_name", .text(maxLength: 255, nonEmpty: false)),
        .optional("dc_name", .text(maxLength: 255, nonEmpty: false)),
    ])

    func addPodRoutes<Router: RouterMethods>(to router: Router) {
        router.post("/v1.0/pods") { request, _ in try await createPod(request) }
        router.get("/v1.0/pods") { request, _ in try await listPods(request) }
        router.get("/v1.0/pods/:id") { _, context in try await showPod(context.parameters.require("id")) }
        router.delete("/v1.0/pods/:id") { _, context in try await deletePod(context.parameters.require("id")) }
    }

    func createPod(_ request: Request) async throws -> Response {
        let fields = try Self.podCreateSchema.validate(try await AdminBody.read(request, limit: maxBodySize))
        // Tricircle trims names; the checks below and the stored row see the same text.
        let region = (fields.string("region_name") ?? "").trimmingCharacters(in: .whitespaces)
        let az = (fields.string("az_name") ?? "").trimmingCharacters(in: .whitespaces)
        // The top pod's own AZ name is meaningless (nothing is forwarded to it), as in Tricircle.
        let podAZ = az.isEmpty ? "" : (fields.string("pod_az_name") ?? "").trimmingCharacters(in: .whitespaces)
        let dc = (fields.string("dc_name") ?? "").trimmingCharacters(in: .whitespaces)

        // Conflicts first: they need no call to Keystone, and the store re-checks them atomically anyway.
        if try await pods.get(regionName: region) != nil {
            throw AdminError.conflict("Pod with region name \(region) already exists")
        }
        if az.isEmpty, try await pods.list().contains(where: \.isTop) {
            throw AdminError.conflict("Top pod already exists; only one pod may have an empty az_name")
        }
        let exists: Bool
        do {
            exists = try await regionExists(region)
        } catch {
            throw AdminError(.serviceUnavailable, "Could not check region \(region) with Keystone; try again later")
        }
        guard exists else {
            throw AdminError.badRequest("Region \(region) does not exist in Keystone; create it there first")
        }
        let pod = try await pods.create(regionName: region, azName: az, podAZName: podAZ, dcName: dc)
        return AdminJSON.response(["pod": pod])
    }

    func listPods(_ request: Request) async throws -> Response {
        _ = try QuerySchema(parameters: []).validate(request.uri)
        return AdminJSON.response(["pods": try await pods.list()])
    }

    func showPod(_ id: String) async throws -> Response {
        guard Identifier.isUUIDLike(id), let pod = try await pods.get(id) else {
            throw AdminError.notFound("Pod \(BodySchema.shown(id)) could not be found")
        }
        return AdminJSON.response(["pod": pod])
    }

    func deletePod(_ id: String) async throws -> Response {
        guard Identifier.isUUIDLike(id), try await pods.delete(id) else {
            throw AdminError.notFound("Pod \(BodySchema.shown(id)) could not be found")
        }
        return AdminJSON.response(EmptyObject())
    }
}

/// `{}`: what Tricircle answers on a successful delete.
struct EmptyObject: Encodable {}
