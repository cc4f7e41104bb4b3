import HTTPTypes
import Hummingbird
import OpenStackModels

// The admin API described as an OpenAPI 3.1 document, served at `GET /v1.0/openapi.json`. Request bodies and
// query strings are derived from the same `BodySchema`/`QuerySchema` values the handlers validate with, so the
// document cannot disagree with the validation; the operation list is checked against the registered routes by
// `AdminOpenAPITests` (every route documented, every documented operation served).

/// One admin route as registered: its method and path pattern as Hummingbird prints it (`/v1.0/pods/{id}`).
struct AdminRoute: Hashable, Sendable, CustomStringConvertible {
    let method: HTTPRequest.Method
    let path: String

    var description: String { "\(method.rawValue) \(path)" }
}

/// Records what the admin API registers instead of serving it: the route table behind the OpenAPI check
/// and behind the `Allow` header of 405 answers.
final class AdminRouteRecorder<Context: RequestContext>: RouterMethods {
    private(set) var routes: [AdminRoute] = []

    init() {}

    @discardableResult func on<Responder: HTTPResponder>(
        _ path: RouterPath, method: HTTPRequest.Method, responder: Responder
    ) -> Self where Responder.Context == Context {
        routes.append(AdminRoute(method: method, path: path.description))
        return self
    }

    @discardableResult func add(middleware: any MiddlewareProtocol<Request, Response, Context>) -> Self { self }
}

/// One documented admin operation.
struct AdminOperation: Sendable {
    let method: HTTPRequest.Method
    /// Hummingbird pattern, as registered (`:id` for a path parameter).
    let path: String
    let operationID: String
    let summary: String
    var body: BodySchema? = nil
    var query: QuerySchema? = nil
    /// Success status and the schema of its body.
    var success: (status: Int, schema: JSONValue) = (200, ["type": "object"])
    /// Error statuses this operation answers on purpose (besides 401/403 for protected ones).
    var errors: [Int] = []
    /// Whether a Keystone token with the admin role is needed (the version documents need none).
    var needsToken = true

    /// As the recorder sees it (Hummingbird writes a capture as `{id}`).
    var route: AdminRoute { AdminRoute(method: method, path: RouterPath(path).description) }
}

/// The admin API's OpenAPI document.
enum AdminOpenAPI {
    static let path = "/v1.0/openapi.json"

    /// Every operation the admin API serves, in the order the document lists them.
    static let operations: [AdminOperation] = [
        AdminOperation(
            method: .get, path: "/", operationID: "listVersions", summary: "API versions (no token needed)",
            success: (200, ref("VersionList")), needsToken: false),
        AdminOperation(
            method: .get, path: "/v1.0", operationID: "showVersion", summary: "The v1.0 version document (no token needed)",
            success: (200, ref("VersionDocument")), needsToken: false),
        AdminOperation(
            method: .get, path: AdminOpenAPI.path, operationID: "showOpenAPI",
            summary: "This document (no token needed: it holds no data, only the API's shape)",
            success: (200, ["type": "object", "required": ["openapi", "paths"]]), needsToken: false),

        AdminOperation(
            method: .post, path: "/v1.0/pods", operationID: "createPod",
            summary: "Register a region as a pod (no az_name: the top pod)", body: AdminAPI.podCreateSchema,
            success: (200, wrapped("pod", ref("Pod"))), errors: [400, 409, 413, 415, 503]),
        AdminOperation(
            method: .get, path: "/v1.0/pods", operationID: "listPods", summary: "List pods",
            query: QuerySchema(parameters: []), success: (200, wrapped("pods", array(ref("Pod")))), errors: [400]),
        AdminOperation(
            method: .get, path: "/v1.0/pods/:id", operationID: "showPod", summary: "Show a pod",
            success: (200, wrapped("pod", ref("Pod"))), errors: [404]),
        AdminOperation(
            method: .delete, path: "/v1.0/pods/:id", operationID: "deletePod", summary: "Remove a pod",
            success: (200, emptyObject), errors: [404, 409]),

        AdminOperation(
            method: .post, path: "/v1.0/routings", operationID: "createRouting", summary: "Add a resource routing",
            body: AdminAPI.routingCreateSchema, success: (200, wrapped("routing", ref("Routing"))), errors: [400, 409, 413, 415]),
        AdminOperation(
            method: .get, path: "/v1.0/routings", operationID: "listRoutings", summary: "List resource routings (marker paging)",
            query: AdminAPI.routingListQuery, success: (200, listOf("routings", ref("Routing"))), errors: [400]),
        AdminOperation(
            method: .get, path: "/v1.0/routings/:id", operationID: "showRouting", summary: "Show a resource routing",
            success: (200, wrapped("routing", ref("Routing"))), errors: [404]),
        AdminOperation(
            method: .put, path: "/v1.0/routings/:id", operationID: "updateRouting",
            summary: "Repoint a resource routing (bottom id, pod, project)", body: AdminAPI.routingUpdateSchema,
            success: (200, wrapped("routing", ref("Routing"))), errors: [400, 404, 409, 413, 415]),
        AdminOperation(
            method: .delete, path: "/v1.0/routings/:id", operationID: "deleteRouting", summary: "Delete a resource routing",
            success: (200, emptyObject), errors: [404]),

        AdminOperation(
            method: .get, path: "/v1.0/jobs", operationID: "listJobs", summary: "List jobs (marker paging)",
            query: AdminAPI.jobListQuery, success: (200, listOf("jobs", ref("Job"))), errors: [400]),
        AdminOperation(
            method: .get, path: "/v1.0/jobs/detail", operationID: "listJobsDetail", summary: "List jobs (Tricircle's alias)",
            query: AdminAPI.jobListQuery, success: (200, listOf("jobs", ref("Job"))), errors: [400]),
        AdminOperation(
            method: .get, path: "/v1.0/jobs/schemas", operationID: "listJobSchemas",
            summary: "Job types and the resource keys each takes",
            success: (200, wrapped("schemas", array([
                "type": "object", "required": ["type", "resource"],
                "properties": ["type": ["type": "string"], "resource": array(["type": "string"])],
            ])))),
        AdminOperation(
            method: .get, path: "/v1.0/jobs/stats", operationID: "showJobStats",
            summary: "Queue depth per type and status, and this process's run counters",
            success: (200, wrapped("stats", [
                "type": "object", "required": ["queue", "runs"],
                "properties": ["queue": array(["type": "object"]), "runs": array(["type": "object"])],
            ]))),
        AdminOperation(
            method: .get, path: "/v1.0/jobs/:id", operationID: "showJob", summary: "Show a job with its last runs",
            success: (200, wrapped("job", ref("Job"))), errors: [404]),
        AdminOperation(
            method: .post, path: "/v1.0/jobs", operationID: "createJob", summary: "Submit a job",
            body: AdminAPI.jobCreateSchema, success: (202, wrapped("job", ref("Job"))), errors: [400, 404, 409, 413, 415]),
        AdminOperation(
            method: .put, path: "/v1.0/jobs/:id", operationID: "redoJob", summary: "Run a job again now",
            success: (200, wrapped("job", ref("Job"))), errors: [404, 409]),
        AdminOperation(
            method: .delete, path: "/v1.0/jobs/:id", operationID: "deleteJob", summary: "Delete a job that is not running",
            success: (200, emptyObject), errors: [404, 409]),

        AdminOperation(
            method: .post, path: "/v1.0/flavor-mappings", operationID: "createFlavorMapping",
            summary: "Pin the pod flavor a top flavor boots as", body: AdminAPI.flavorMappingCreateSchema,
            success: (200, wrapped("flavor_mapping", ref("FlavorMapping"))), errors: [400, 409, 413, 415]),
        AdminOperation(
            method: .get, path: "/v1.0/flavor-mappings", operationID: "listFlavorMappings",
            summary: "List flavor mappings (marker paging)", query: AdminAPI.flavorMappingListQuery,
            success: (200, listOf("flavor_mappings", ref("FlavorMapping"))), errors: [400]),
        AdminOperation(
            method: .get, path: "/v1.0/flavor-mappings/:id", operationID: "showFlavorMapping", summary: "Show a flavor mapping",
            success: (200, wrapped("flavor_mapping", ref("FlavorMapping"))), errors: [404]),
        AdminOperation(
            method: .put, path: "/v1.0/flavor-mappings/:id", operationID: "updateFlavorMapping",
            summary: "Change a mapping's pod flavor (pins it)", body: AdminAPI.flavorMappingUpdateSchema,
            success: (200, wrapped("flavor_mapping", ref("FlavorMapping"))), errors: [400, 404, 413, 415]),
        AdminOperation(
            method: .delete, path: "/v1.0/flavor-mappings/:id", operationID: "deleteFlavorMapping",
            summary: "Delete a flavor mapping", success: (200, emptyObject), errors: [404]),
    ]

    /// The whole document. `servers` is relative ("/"): clients resolve it against the URL they fetched the
    /// document from, so no Host header is echoed into it.
    static let document: JSONValue = {
        var paths: [String: JSONValue] = [:]
        for operation in operations {
            var item = paths[openAPIPath(operation.path)]?.objectValue ?? [:]
            item[operation.method.rawValue.lowercased()] = describe(operation)
            paths[openAPIPath(operation.path)] = .object(item)
        }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Tricircle admin API",
                "version": "1.0",
                "description": .string(
                    "Pods, resource routings, jobs and flavor mappings of the Tricircle gateway. Everything under "
                        + "/v1.0 needs a Keystone token (X-Auth-Token) with the admin role; errors are "
                        + "{\"<faultName>\": {\"message\": ..., \"code\": ...}}."),
            ],
            "servers": [["url": "/"]],
            "security": [["keystoneToken": []]],
            "paths": .object(paths),
            "components": [
                "securitySchemes": [
                    "keystoneToken": ["type": "apiKey", "in": "header", "name": "X-Auth-Token"],
                ],
                "schemas": schemas,
            ],
        ]
    }()

    /// `/v1.0/pods/:id` -> `/v1.0/pods/{id}`.
    static func openAPIPath(_ pattern: String) -> String {
        pattern.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
            .joined(separator: "/")
    }

    static func describe(_ operation: AdminOperation) -> JSONValue {
        var parameters: [JSONValue] = operation.path.split(separator: "/")
            .filter { $0.hasPrefix(":") }
            .map { ["name": .string(String($0.dropFirst())), "in": "path", "required": true, "schema": ["type": "string"]] }
        for field in operation.query?.parameters ?? [] {
            parameters.append([
                "name": .string(field.name), "in": "query", "required": .bool(field.required),
                "schema": schema(for: field.rule, inQuery: true),
            ])
        }
        var responses: [String: JSONValue] = [
            String(operation.success.status): [
                "description": "Success",
                "content": ["application/json": ["schema": operation.success.schema]],
            ],
        ]
        var errors = operation.errors
        if operation.needsToken { errors += [401, 403] }
        for status in Set(errors).sorted() {
            responses[String(status)] = [
                "description": .string("\(status): \(OpenStackFault.name(forStatus: status))"),
                "content": ["application/json": ["schema": ref("Fault")]],
            ]
        }
        var described: [String: JSONValue] = [
            "operationId": .string(operation.operationID),
            "summary": .string(operation.summary),
            "responses": .object(responses),
        ]
        if !parameters.isEmpty { described["parameters"] = .array(parameters) }
        if let body = operation.body {
            described["requestBody"] = [
                "required": true,
                "content": ["application/json": ["schema": schema(for: body)]],
            ]
        }
        if !operation.needsToken { described["security"] = [] }
        return .object(described)
    }

    /// `{"<root>": {...}}` with exactly the fields the handler accepts.
    static func schema(for body: BodySchema) -> JSONValue {
        var properties: [String: JSONValue] = [:]
        var forbidden: [String] = []
        for field in body.fields {
            if case .forbidden = field.rule {
                forbidden.append(field.name)
            } else {
                properties[field.name] = schema(for: field.rule, inQuery: false)
            }
        }
        var inner: [String: JSONValue] = [
            "type": "object", "additionalProperties": false, "properties": .object(properties),
            "required": .array(body.fields.filter(\.required).map { .string($0.name) }),
        ]
        if body.requiresAtLeastOneField { inner["minProperties"] = 1 }
        if !forbidden.isEmpty {
            inner["description"] = .string("Cannot be changed (400 if given): \(forbidden.joined(separator: ", ")).")
        }
        return [
            "type": "object", "additionalProperties": false, "required": [.string(body.root)],
            "properties": [body.root: .object(inner)],
        ]
    }

    /// No control characters (C0, DEL, C1), as `BodySchema.checkText` requires.
    static let noControlCharacters = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    /// Non-empty, no whitespace or control characters, as `.identifier` requires.
    static let identifierPattern = "^[^\\s\\u0000-\\u001F\\u007F-\\u009F]+$"

    static func schema(for rule: ValueRule, inQuery: Bool) -> JSONValue {
        switch rule {
        case .text(let maxLength, let nonEmpty):
            return [
                "type": "string", "maxLength": .number(Double(maxLength)), "minLength": nonEmpty ? 1 : 0,
                "pattern": .string(noControlCharacters),
            ]
        case .identifier(let maxLength):
            return [
                "type": "string", "minLength": 1, "maxLength": .number(Double(maxLength)),
                "pattern": .string(identifierPattern),
            ]
        case .uuid:
            return ["type": "string", "pattern": "^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"]
        case .oneOf(let values):
            return ["type": "string", "enum": .array(values.map { .string($0) })]
        case .integer(let range):
            return [
                "type": "integer", "minimum": .number(Double(range.lowerBound)),
                "maximum": .number(Double(range.upperBound)),
            ]
        case .stringMap(let maxEntries, let keyLength, let valueLength):
            return [
                "type": "object", "maxProperties": .number(Double(maxEntries)),
                "propertyNames": [
                    "minLength": 1, "maxLength": .number(Double(keyLength)), "pattern": .string(identifierPattern),
                ],
                "additionalProperties": schema(for: .identifier(maxLength: valueLength), inQuery: inQuery),
            ]
        case .forbidden(let why):
            return ["not": [:], "description": .string(why)]
        }
    }

    static func ref(_ name: String) -> JSONValue { ["$ref": .string("#/components/schemas/\(name)")] }
    static func array(_ items: JSONValue) -> JSONValue { ["type": "array", "items": items] }
    static func wrapped(_ key: String, _ schema: JSONValue) -> JSONValue {
        ["type": "object", "required": [.string(key)], "properties": [key: schema]]
    }
    static func listOf(_ key: String, _ item: JSONValue) -> JSONValue {
        [
            "type": "object", "required": [.string(key), .string("\(key)_links")],
            "properties": [key: array(item), "\(key)_links": array(ref("Link"))],
        ]
    }
    static let emptyObject: JSONValue = ["type": "object", "maxProperties": 0]

    static func object(_ properties: [String: JSONValue], required: [String]? = nil) -> JSONValue {
        [
            "type": "object", "properties": .object(properties),
            "required": .array((required ?? properties.keys.sorted()).map { .string($0) }),
        ]
    }

    static let string: JSONValue = ["type": "string"]
    static let nullableString: JSONValue = ["type": ["string", "null"]]
    static let integer: JSONValue = ["type": "integer"]

    static let schemas: JSONValue = [
        "Fault": [
            "type": "object", "minProperties": 1, "maxProperties": 1,
            "additionalProperties": object(["message": string, "code": integer]),
        ],
        "Link": object(["rel": string, "href": string]),
        "Version": object([
            "id": string, "status": string, "version": string, "min_version": string, "updated": string,
            "links": array(ref("Link")), "media-types": array(object(["type": string], required: ["type"])),
        ]),
        "VersionList": object(["versions": array(ref("Version"))]),
        "VersionDocument": object(["version": ref("Version")]),
        "Pod": object([
            "pod_id": string, "region_name": string, "az_name": string, "pod_az_name": string, "dc_name": string,
            "created_at": string, "updated_at": string,
        ]),
        "Routing": object([
            "id": string, "top_id": string, "bottom_id": nullableString, "pod_id": string, "project_id": string,
            "resource_type": string, "created_at": string, "updated_at": string,
        ]),
        "FlavorMapping": object([
            "id": string, "top_flavor_id": string, "pod_id": string, "bottom_flavor_id": string,
            "pinned": ["type": "boolean"], "created_at": string, "updated_at": string,
        ]),
        "Job": object(
            [
                "id": string, "type": string, "project_id": string,
                "resource": ["type": "object", "additionalProperties": string],
                "status": string, "attempts": integer, "max_attempts": integer, "next_run_at": nullableString,
                "lease_owner": nullableString, "lease_expires_at": nullableString, "last_error": nullableString,
                "progress": object(["done": integer, "total": integer, "note": nullableString]),
                "created_at": string, "updated_at": string, "started_at": nullableString,
                "finished_at": nullableString, "will_retry": ["type": "boolean"], "request_id": nullableString,
                "runs": array(object([
                    "outcome": string, "attempt": integer, "worker": string, "error": nullableString,
                    "started_at": string, "finished_at": string,
                ])),
            ],
            required: [
                "id", "type", "project_id", "resource", "status", "attempts", "max_attempts", "progress",
                "created_at", "updated_at", "will_retry",
            ]),
    ]
}
