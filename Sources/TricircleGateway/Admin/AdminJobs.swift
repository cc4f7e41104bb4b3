import Hummingbird
import OpenStackModels
import TricircleCore
import TricircleJobs
import TricircleStore

/// `/v1.0/jobs`: asynchronous cross-region work: list, inspect, submit, redo and delete jobs.
extension AdminAPI {
    /// Our status names, plus the spellings Tricircle's API and client used (`FAIL`, upper case).
    static let jobStatusSpellings: [String: JobStatus] = [
        "new": .new, "running": .running, "success": .success, "failed": .failed, "fail": .failed,
        "NEW": .new, "RUNNING": .running, "SUCCESS": .success, "FAILED": .failed, "FAIL": .failed,
    ]

    static let jobCreateSchema = BodySchema(root: "job", fields: [
        .required("type", .identifier(maxLength: 64)),
        .required("project_id", .identifier(maxLength: 64)),
        .required("resource", .stringMap(maxEntries: 16, key: 64, value: 255)),
    ])

    static let jobListQuery = QuerySchema(parameters: [
        .optional("project_id", .identifier(maxLength: 64)),
        .optional("type", .identifier(maxLength: 64)),
        .optional("status", .oneOf(jobStatusSpellings.keys.sorted())),
        .optional("limit", .integer(1...AdminAPI.maxPageSize)),
        .optional("marker", .uuid),
    ])

    func addJobRoutes<Router: RouterMethods>(to router: Router) {
        router.get("/v1.0/jobs") { request, _ in try await listJobs(request) }
        router.get("/v1.0/jobs/detail") { request, _ in try await listJobs(request) }  // Tricircle's alias
        router.get("/v1.0/jobs/schemas") { _, _ in AdminJSON.response(["schemas": jobs.schemas()]) }
        router.get("/v1.0/jobs/stats") { _, _ in AdminJSON.response(["stats": try await jobs.stats()]) }
        router.get("/v1.0/jobs/:id") { _, context in try await showJob(context.parameters.require("id")) }
        router.post("/v1.0/jobs") { request, _ in try await createJob(request) }
        router.put("/v1.0/jobs/:id") { _, context in try await redoJob(context.parameters.require("id")) }
        router.delete("/v1.0/jobs/:id") { _, context in try await deleteJob(context.parameters.require("id")) }
    }

    func listJobs(_ request: Request) async throws -> Response {
        let query = try Self.jobListQuery.validate(request.uri)
        let filter = JobFilter(
            type: query.string("type"), status: query.string("status").flatMap { Self.jobStatusSpellings[$0] },
            projectID: query.string("project_id"))
        let limit = query.int("limit") ?? defaultPageSize
        return try await AdminPaging.list(request, base: publicURL, collection: "jobs", limit: limit, id: \Job.id) { count in
            do {
                return try await jobs.list(filter: filter, limit: count, marker: query.string("marker"))
            } catch JobError.notFound {
                throw AdminError.badRequest("Marker \(query.string("marker") ?? "") could not be found")
            }
        }
    }

    func showJob(_ id: String) async throws -> Response {
        let job = try await existingJob(id)
        let runs = try await jobs.runs(of: job.id, limit: 10)
        return AdminJSON.response(["job": AdminView(job, runs: runs)])
    }

    func createJob(_ request: Request) async throws -> Response {
        let fields = try Self.jobCreateSchema.validate(try await AdminBody.read(request, limit: maxBodySize))
        let type = fields.string("type") ?? ""
        let projectID = fields.string("project_id") ?? ""
        let resource = fields.stringMap("resource") ?? [:]
        try await checkJobResourceBelongs(resource, projectID: projectID)
        do {
            let job = try await jobs.submit(type: type, projectID: projectID, resource: resource)
            return AdminJSON.response(["job": AdminView(job)], status: .accepted)
        } catch let error as JobError {
            throw Self.adminError(error, path: "job")
        }
    }

    func redoJob(_ id: String) async throws -> Response {
        _ = try await existingJob(id)
        do {
            return AdminJSON.response(["job": AdminView(try await jobs.redo(id))])
        } catch let error as JobError {
            throw Self.adminError(error, path: "job")
        }
    }

    func deleteJob(_ id: String) async throws -> Response {
        _ = try await existingJob(id)
        do {
            try await jobs.delete(id)
        } catch let error as JobError {
            throw Self.adminError(error, path: "job")
        }
        return AdminJSON.response(EmptyObject())
    }

    func existingJob(_ id: String) async throws -> Job {
        guard Identifier.isUUIDLike(id) else { throw AdminError.notFound("Job \(BodySchema.shown(id)) could not be found") }
        do {
            return try await jobs.get(id)
        } catch JobError.notFound {
            throw AdminError.notFound("Job \(BodySchema.shown(id)) could not be found")
        }
    }

    /// A job may only name its own project's resources (as Tricircle checked): a `project_id` key must
    /// match, a `pod_id` must exist, and a `<type>_id` whose routings all belong to another project is
    /// answered as not found (another project's id resolves to nothing, never to a 403).
    func checkJobResourceBelongs(_ resource: [String: String], projectID: String) async throws {
        for (key, value) in resource.sorted(by: { $0.key < $1.key }) {
            if key == "project_id", value != projectID {
                throw AdminError.badRequest(
                    "Invalid input for field 'job.resource.project_id': \(BodySchema.shown(value)) differs from job.project_id")
            }
            if key == "pod_id" {
                guard Identifier.isUUIDLike(value), try await pods.get(value) != nil else {
                    throw AdminError.badRequest("Pod \(BodySchema.shown(value)) does not exist")
                }
            }
            guard key.hasSuffix("_id"), let type = ResourceType(rawValue: String(key.dropLast(3))) else { continue }
            let rows = try await routings.lookup(topID: value, resourceType: type, projectID: nil)
            if !rows.isEmpty, !rows.contains(where: { $0.projectID == projectID }) {
                throw AdminError.notFound("\(type.rawValue) \(BodySchema.shown(value)) could not be found in project \(projectID)")
            }
        }
    }

    /// The job engine's typed errors as admin answers.
    static func adminError(_ error: JobError, path: String) -> AdminError {
        switch error {
        case .unknownType(let type):
            return .badRequest("Invalid input for field '\(path).type': there is no job type '\(BodySchema.shown(type))'")
        case .invalidResource, .invalidPayload:
            return .badRequest("Invalid input for field '\(path).resource': \(error)")
        case .notFound(let id):
            return .notFound("Job \(BodySchema.shown(id)) could not be found")
        case .running:
            return .conflict("\(error)")
        case .leaseLost:
            return .conflict("\(error)")
        }
    }
}
