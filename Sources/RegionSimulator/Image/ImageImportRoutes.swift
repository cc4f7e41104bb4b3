import Foundation
import HTTPTypes
import Hummingbird
import OpenStackModels

/// Glance's interoperable import in a simulated region: discovery (`/v2/info/import`, `/v2/info/stores`),
/// staging (`PUT /v2/images/{id}/stage`), `POST /v2/images/{id}/import` with `glance-direct` and
/// `web-download`, and the tasks an import leaves (`/v2/tasks`, admin-only as `tasks_api_access` is).
/// The simulator has no network to download from: a `web-download` import stores deterministic data
/// derived from the URI, as the region's Nova and Cinder do for the images they write.
extension ImageAPI {
    /// The import methods this Glance enables (`enabled_import_methods`).
    static let importMethods = ["glance-direct", "web-download"]

    /// `GET /v2/info/import`.
    func importInfo(_ call: ImageCall) async throws -> Response {
        SimHTTP.json(["import-methods": [
            "description": "Import methods available.", "type": "array",
            "value": .array(Self.importMethods.map { .string($0) }),
        ]])
    }

    /// `GET /v2/info/stores`: one file store, the default.
    func storesInfo(_ call: ImageCall) async throws -> Response {
        SimHTTP.json(["stores": [["id": "file", "description": "Local file store", "default": "true"]]])
    }

    /// `PUT /v2/images/{id}/stage`: data kept for a later `glance-direct` import; the image is `uploading`.
    func stage(_ call: ImageCall) async throws -> Response {
        let id = try call.param("id")
        try store.images.withLock { state in
            var image = try findImage(id, call, in: state)
            guard canModify(image, call) else { throw Self.error(403, "You are not permitted to upload data to this image.") }
            guard image.status == "queued" else {
                throw Self.error(409, "Image status transition from \(image.status) to uploading is not allowed")
            }
            image.object["status"] = "uploading"
            state.images[id] = image
        }
        var data: [UInt8] = []
        do {
            for try await chunk in call.request.body {
                guard data.count + chunk.readableBytes <= maxImageSize else {
                    throw Self.error(413, "Image exceeds the storage quota: The size of the data \(data.count + chunk.readableBytes) will exceed the limit.")
                }
                data.append(contentsOf: chunk.readableBytesView)
            }
        } catch {
            store.images.withLock { state in state.images[id]?.object["status"] = "queued" }
            throw error as? SimulatorError ?? Self.error(400, "Error uploading image data")
        }
        store.images.withLock { state in
            state.images[id]?.data = data
            // Glance records the staged size at once (checksums only once imported).
            state.images[id]?.object["size"] = .int(data.count)
            state.images[id]?.object["updated_at"] = .string(SimTime.iso(call.now))
        }
        return SimHTTP.empty(status: 204)
    }

    /// `POST /v2/images/{id}/import`: checked as Glance's deserializer and `import_image` check; the
    /// import's task is recorded and the image is active when the call returns (202).
    func importImage(_ call: ImageCall) async throws -> Response {
        let id = try call.param("id")
        let body = try await SimHTTP.body(call.request, context: call.context, format: .glance)
        guard let method = body["method"]?.objectValue else { throw Self.error(400, "Import request requires a 'method' field.") }
        guard let name = method["name"]?.stringValue else { throw Self.error(400, "Import request requires a 'name' field.") }
        guard Self.importMethods.contains(name) else { throw Self.error(400, "Unknown import method name '\(name)'.") }
        let uri = method["uri"]?.stringValue
        if name == "web-download", !Self.passesImportFiltering(uri) {
            throw Self.error(400, "URI for web-download does not pass filtering: \(uri ?? "")")
        }
        let taskID = newUUID()
        try store.images.withLock { state in
            let image = try findImage(id, call, in: state)
            guard canModify(image, call) else { throw Self.error(403, "You are not authorized to complete add_image action.") }
            if image.status == "active" { throw Self.error(409, "Image with status active cannot be target for import") }
            if name == "web-download", image.status != "queued" {
                throw Self.error(409, "Image needs to be in 'queued' state to use 'web-download' method")
            }
            if name == "glance-direct", image.status != "uploading" {
                throw Self.error(409, "Image needs to be staged before 'glance-direct' method can be used")
            }
            if image.object["container_format"]?.stringValue == nil { throw Self.error(409, "'container_format' needs to be set before import") }
            if image.object["disk_format"]?.stringValue == nil { throw Self.error(409, "'disk_format' needs to be set before import") }
            let data = name == "web-download" ? RegionStore.serviceImageData(seed: uri ?? id, bytes: 4096) : (image.data ?? [])
            state.store(data: data, into: id, at: call.now)
            // What a finished import leaves on the image (Glance 2026.1, one store): no store left to import
            // to, none failed, and the stores holding it.
            state.images[id]?.object["os_glance_importing_to_stores"] = ""
            state.images[id]?.object["os_glance_failed_import"] = ""
            state.images[id]?.object["stores"] = "file"
            let stamp = SimTime.iso(call.now)
            state.tasks[taskID] = [
                "id": .string(taskID), "type": "api_image_import", "status": "success", "owner": .string(call.token.projectID),
                "input": ["image_id": .string(id), "import_req": .object(body.objectValue ?? [:]), "backend": ["file"]],
                "result": ["image_id": .string(id)], "message": "", "image_id": .string(id),
                "request_id": .string(call.requestID), "user_id": .string(call.token.userID),
                "created_at": .string(stamp), "updated_at": .string(stamp), "expires_at": .string(SimTime.iso(call.now.addingTimeInterval(48 * 3600))),
                "self": .string("/v2/tasks/\(taskID)"), "schema": "/v2/schemas/task",
            ]
            state.taskOrder.append(taskID)
        }
        return SimHTTP.empty(status: 202)
    }

    /// Glance's default `[import_filtering_opts]`: http or https, a host, port 80 or 443 (or none given).
    static func passesImportFiltering(_ uri: String?) -> Bool {
        guard let uri, let url = URLComponents(string: uri), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = url.host, !host.isEmpty
        else { return false }
        return url.port.map { [80, 443].contains($0) } ?? true
    }

    /// `GET /v2/tasks`: newest first, without input/result/message (Glance's task stubs); admins only.
    func listTasks(_ call: ImageCall) async throws -> Response {
        try Self.requireTaskAccess(call)
        let tasks = store.images.withLock { state in state.taskOrder.reversed().compactMap { state.tasks[$0] } }
        let stubs = tasks.map { task in task.filter { !["input", "result", "message"].contains($0.key) } }
        return SimHTTP.json(["tasks": .array(stubs.map { .object($0) }), "first": "/v2/tasks", "schema": "/v2/schemas/tasks"])
    }

    /// `GET /v2/images/{id}/tasks` (image API 2.12): the tasks that worked on a visible image, oldest first
    /// (none for an image uploaded directly or made by Nova); 404 for an image the caller cannot see.
    func imageTasks(_ call: ImageCall) async throws -> Response {
        let id = try call.param("id")
        let tasks = try store.images.withLock { state in
            _ = try findImage(id, call, in: state)
            return state.taskOrder.compactMap { state.tasks[$0] }.filter { $0["image_id"]?.stringValue == id }
        }
        return SimHTTP.json(["tasks": .array(tasks.map { .object($0) })])
    }

    /// `GET /v2/tasks/{id}`; admins only.
    func showTask(_ call: ImageCall) async throws -> Response {
        try Self.requireTaskAccess(call)
        let id = try call.param("id")
        guard let task = store.images.withLock({ $0.tasks[id] }) else {
            throw Self.error(404, "Task with the given id \(id) was not found")
        }
        return SimHTTP.json(.object(task))
    }

    static func requireTaskAccess(_ call: ImageCall) throws {
        guard call.isAdmin else { throw Self.error(403, "You are not authorized to complete tasks_api_access action.") }
    }
}
