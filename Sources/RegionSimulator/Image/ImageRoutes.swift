import Foundation
import HTTPTypes
import Hummingbird
import OpenStackModels

extension ImageAPI {
    /// A value as Glance quotes it in a schema error: its JSON, cut short (never the simulator's own types).
    static func shown(_ value: JSONValue) -> String {
        let text = String(decoding: value.encoded(), as: UTF8.self)
        return text.count > 200 ? String(text.prefix(200)) + "..." : text
    }

    static let readOnly: Set<String> = [
        "id", "status", "checksum", "os_hash_algo", "os_hash_value", "size", "virtual_size", "created_at",
        "updated_at", "self", "file", "schema", "direct_url", "locations", "stores",
    ]
    static let diskFormats: Set<String> = ["ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop"]
    static let containerFormats: Set<String> = ["ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"]
    static let visibilities: Set<String> = ["public", "private", "shared", "community"]
    /// Query keys of the image list that are not property filters.
    static let listParameters: Set<String> = [
        "limit", "marker", "sort", "sort_key", "sort_dir", "visibility", "tag", "protected", "os_hidden", "size_min",
        "size_max", "id", "member_status", "created_at", "updated_at",
    ]

    /// Validates one attribute change as Glance's schema would.
    func validate(_ key: String, _ value: JSONValue, _ call: ImageCall, creating: Bool) throws {
        if Self.readOnly.contains(key), !(creating && key == "id") {
            throw Self.error(403, "Attribute '\(key)' is read-only.")
        }
        switch key {
        case "visibility":
            guard let v = value.stringValue, Self.visibilities.contains(v) else {
                throw Self.error(400, "Invalid value '\(value)' for parameter 'visibility': Invalid visibility value: \(value)")
            }
            if v == "public", !call.isAdmin {
                throw Self.error(403, "You are not authorized to complete publicize_image action.")
            }
        case "disk_format":
            guard value.isNull || value.stringValue.map(Self.diskFormats.contains) == true else {
                throw Self.error(400, "Provided object does not match schema 'image': '\(value.stringValue ?? "")' is not one of \(Self.diskFormats.sorted())")
            }
        case "container_format":
            guard value.isNull || value.stringValue.map(Self.containerFormats.contains) == true else {
                throw Self.error(400, "Provided object does not match schema 'image': '\(value.stringValue ?? "")' is not one of \(Self.containerFormats.sorted())")
            }
        case "min_disk", "min_ram":
            guard let n = value.intValue, n >= 0 else {
                throw Self.error(400, "Provided object does not match schema 'image': \(Self.shown(value)) is not of type 'integer'")
            }
        case "protected", "os_hidden":
            guard value.boolValue != nil else {
                throw Self.error(400, "Provided object does not match schema 'image': \(Self.shown(value)) is not of type 'boolean'")
            }
        case "tags":
            guard let tags = value.arrayValue, tags.allSatisfy({ ($0.stringValue?.count ?? 256) <= 255 }) else {
                throw Self.error(400, "Provided object does not match schema 'image': \(Self.shown(value)) is not of type 'array'")
            }
        case "name":
            guard value.isNull || (value.stringValue?.count ?? 256) <= 255 else {
                throw Self.error(400, "Provided object does not match schema 'image': \(Self.shown(value)) is too long")
            }
        case "owner":
            guard call.isAdmin || value.stringValue == call.token.projectID else {
                throw Self.error(403, "You are not permitted to create images owned by '\(value.stringValue ?? "")'.")
            }
        case "id":
            guard let id = value.stringValue, UUID(uuidString: id) != nil else {
                throw Self.error(400, "Provided object does not match schema 'image': '\(value)' does not match '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$'")
            }
        default:
            // Additional properties must be strings.
            guard value.stringValue != nil || value.isNull else {
                throw Self.error(400, "Provided object does not match schema 'image': \(value) is not of type 'string'")
            }
        }
    }

    // MARK: CRUD

    func createImage(_ call: ImageCall) async throws -> Response {
        let body = try await SimHTTP.body(call.request, context: call.context, format: .glance)
        guard let fields = body.objectValue else { throw Self.error(400, "Malformed request body") }
        for (key, value) in fields { try validate(key, value, call, creating: true) }
        let id = fields["id"]?.stringValue?.lowercased() ?? newUUID()
        var object = ImageState.baseObject(
            id: id, name: fields["name"]?.stringValue, owner: fields["owner"]?.stringValue ?? call.token.projectID,
            visibility: fields["visibility"]?.stringValue ?? "shared", created: call.now)
        for (key, value) in fields where key != "id" {
            object[key] = key == "tags" ? .array(Array(Set(value.arrayValue ?? [])).sorted { ($0.stringValue ?? "") < ($1.stringValue ?? "") }) : value
        }
        let record = ImageRecord(object: object, data: nil, created: call.now)
        try store.images.withLock { state in
            if state.images[id] != nil { throw Self.error(409, "Image with identifier \(id) already exists!") }
            state.images[id] = record
            state.order.append(id)
        }
        return SimHTTP.json(.object(object), status: 201, headers: [("Location", "\(call.base)/v2/images/\(id)")])
    }

    func showImage(_ call: ImageCall) async throws -> Response {
        let id = try call.param("id")
        let image = try store.images.withLock { try findImage(id, call, in: $0) }
        return SimHTTP.json(.object(image.object))
    }

    func deleteImage(_ call: ImageCall) async throws -> Response {
        let id = try call.param("id")
        try store.images.withLock { state in
            let image = try findImage(id, call, in: state)
            guard canModify(image, call) else { throw Self.error(403, "You are not permitted to delete this image.") }
            if image.object["protected"]?.boolValue == true {
                throw Self.error(403, "Image \(id) is protected and cannot be deleted.")
            }
            state.images[id] = nil
            state.order.removeAll { $0 == id }
            state.members[id] = nil
        }
        return SimHTTP.empty(status: 204)
    }

    func patchImage(_ call: ImageCall) async throws -> Response {
        let id = try call.param("id")
        let contentType = call.request.headers[.contentType] ?? ""
        guard contentType.hasPrefix("application/openstack-images-v2.1-json-patch")
            || contentType.hasPrefix("application/openstack-images-v2.0-json-patch")
        else {
            throw SimulatorError(
                status: 415, message: "Unsupported Content-Type", format: .glance,
                headers: [("Accept-Patch", "application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch")])
        }
        let body = try await SimHTTP.body(call.request, context: call.context, format: .glance)
        guard let operations = body.arrayValue else {
            throw Self.error(400, "Request body must be a JSON array of operation objects.")
        }
        let object = try store.images.withLock { state -> [String: JSONValue] in
            var image = try findImage(id, call, in: state)
            guard canModify(image, call) else {
                throw Self.error(403, "You are not permitted to modify this image.")
            }
            for operation in operations {
                guard let op = operation["op"]?.stringValue, let path = operation["path"]?.stringValue, path.hasPrefix("/") else {
                    throw Self.error(400, "Unable to find 'op' or 'path' in JSON Schema change")
                }
                let parts = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
                guard let key = parts.first, !key.isEmpty else { throw Self.error(400, "Invalid JSON pointer for this resource: '\(path)'") }
                switch op {
                case "add", "replace":
                    guard let value = operation["value"] else { throw Self.error(400, "Operation objects must contain exactly one member named \"value\".") }
                    if parts.count == 2, key == "tags" {
                        var tags = image.object["tags"]?.arrayValue ?? []
                        if !tags.contains(value) { tags.append(value) }
                        image.object["tags"] = .array(tags)
                        continue
                    }
                    try validate(key, value, call, creating: false)
                    if op == "replace", image.object[key] == nil {
                        throw Self.error(409, "Property \(key) does not exist.")
                    }
                    image.object[key] = value
                case "remove":
                    if Image.coreAttributes.contains(key) || Self.readOnly.contains(key) {
                        throw Self.error(403, "Attribute '\(key)' is read-only.")
                    }
                    guard image.object.removeValue(forKey: key) != nil else {
                        throw Self.error(409, "Property \(key) does not exist.")
                    }
                default:
                    throw Self.error(400, "Invalid operation: `\(op)`: Operation objects must contain only one of \"add\", \"remove\", or \"replace\" members.")
                }
            }
            image.object["updated_at"] = .string(SimTime.iso(call.now))
            state.images[id] = image
            return image.object
        }
        return SimHTTP.json(.object(object))
    }

    // MARK: List

    func listImages(_ call: ImageCall) async throws -> Response {
        let q = SimHTTP.formQuery(call.request)
        let limit: Int
        if let text = q.get("limit") {
            guard let n = Int(text), n >= 0 else { throw Self.error(400, "limit param must be an integer") }
            limit = min(n, 1000)
        } else {
            limit = 25
        }
        var sortKeys: [(String, String)] = []
        if let sort = q.get("sort") {
            for part in sort.split(separator: ",") {
                let pieces = part.split(separator: ":").map(String.init)
                sortKeys.append((pieces[0], pieces.count > 1 ? pieces[1] : "desc"))
            }
        } else {
            let keys = q.getAll("sort_key")
            let dirs = q.getAll("sort_dir")
            for (i, key) in keys.enumerated() { sortKeys.append((key, i < dirs.count ? dirs[i] : (dirs.first ?? "desc"))) }
            if keys.isEmpty { sortKeys = [("created_at", dirs.first ?? "desc")] }
        }
        let sortable: Set<String> = ["name", "status", "container_format", "disk_format", "size", "id", "created_at", "updated_at", "visibility", "owner", "min_disk", "min_ram"]
        for (key, dir) in sortKeys {
            guard sortable.contains(key) else { throw Self.error(400, "Invalid sort key: \(key). It should be one of the following: \(sortable.sorted().joined(separator: ", ")).") }
            guard dir == "asc" || dir == "desc" else { throw Self.error(400, "Invalid sort direction: \(dir)") }
        }
        let visibility = q.get("visibility")
        if let visibility, visibility != "all", !Self.visibilities.contains(visibility) {
            throw Self.error(400, "Invalid visibility value: \(visibility)")
        }
        var exact: [(String, String)] = ["name", "status", "owner", "disk_format", "container_format"].compactMap { key in
            q.get(key).map { (key, $0) }
        }
        // As Glance: any other query key filters on a custom property of that name.
        for (key, value) in q where !Self.listParameters.contains(String(key)) && !Image.coreAttributes.contains(String(key)) {
            exact.append((String(key), String(value)))
        }
        let tags = q.getAll("tag")
        let protected = q.get("protected").map { $0.lowercased() == "true" }
        let hidden = q.get("os_hidden").map { $0.lowercased() == "true" } ?? false
        let sizeMin = q.get("size_min").flatMap { Int($0) }
        let sizeMax = q.get("size_max").flatMap { Int($0) }
        var timeFilters: [ImageTimeFilter] = []
        for key in ["created_at", "updated_at"] {
            guard let expression = q.get(key) else { continue }
            do { timeFilters.append(try ImageTimeFilter(key: key, expression: expression)) } catch { throw Self.error(400, error.message) }
        }
        let ids: Set<String>? = q.get("id").map { text in
            Set((text.hasPrefix("in:") ? String(text.dropFirst(3)) : text).split(separator: ",").map(String.init))
        }

        // Shared images of others are listed when the caller's answer to the share is this one.
        let wantedStatus = q.get("member_status").map { String($0) } ?? "accepted"
        guard wantedStatus == "all" || Self.memberStatuses.contains(wantedStatus) else {
            throw Self.error(400, "Invalid status: \(wantedStatus)")
        }
        let images = store.images.withLock { state in
            state.order.compactMap { id -> ImageRecord? in
                guard let image = state.images[id]?.settled(at: call.now), canSee(image, call, in: state) else { return nil }
                if !call.isAdmin, image.owner != call.token.projectID, let status = memberStatus(image, call, in: state),
                   wantedStatus != "all", status != wantedStatus {
                    return nil
                }
                let v = image.visibility
                switch visibility {
                case nil, "all":
                    // Community images are listed only when asked for (or owned).
                    if v == "community", image.owner != call.token.projectID { return nil }
                case let wanted?:
                    if v != wanted { return nil }
                }
                for (key, value) in exact where image.object[key]?.stringValue != value { return nil }
                let imageTags = image.object["tags"]?.arrayValue?.compactMap { $0.stringValue } ?? []
                if !tags.allSatisfy(imageTags.contains) { return nil }
                if let protected, (image.object["protected"]?.boolValue ?? false) != protected { return nil }
                if (image.object["os_hidden"]?.boolValue ?? false) != hidden { return nil }
                let size = image.object["size"]?.intValue
                if let sizeMin, (size ?? -1) < sizeMin { return nil }
                if let sizeMax, (size ?? Int.max) > sizeMax { return nil }
                if let ids, !ids.contains(image.id) { return nil }
                for filter in timeFilters {
                    guard let stamp = image.object[filter.key]?.stringValue.flatMap(ImageTimeFilter.parse), filter.matches(stamp) else { return nil }
                }
                return image
            }
        }
        func value(_ image: ImageRecord, _ key: String) -> String {
            switch key {
            case "size", "min_disk", "min_ram": String(format: "%015d", image.object[key]?.intValue ?? -1)
            case "created_at": SimTime.cinder(image.created) + image.id
            default: image.object[key]?.stringValue ?? ""
            }
        }
        let sorted = images.sorted { a, b in
            for (key, dir) in sortKeys + [("id", sortKeys.last?.1 ?? "desc")] {
                let va = value(a, key)
                let vb = value(b, key)
                if va != vb { return dir == "asc" ? va < vb : va > vb }
            }
            return false
        }
        var start = 0
        if let marker = q.get("marker") {
            guard let index = sorted.firstIndex(where: { $0.id == marker }) else {
                throw Self.error(400, "marker \(marker) could not be found.")
            }
            start = index + 1
        }
        let page = Array(sorted.dropFirst(start).prefix(limit))
        var body: [String: JSONValue] = [
            "images": .array(page.map { .object($0.object) }), "first": "/v2/images", "schema": "/v2/schemas/images",
        ]
        if page.count == limit, limit > 0, let last = page.last {
            var items: [URLQueryItem] = []
            for (key, value) in q where key != "marker" { items.append(URLQueryItem(name: String(key), value: String(value))) }
            items.append(URLQueryItem(name: "marker", value: last.id))
            var components = URLComponents()
            components.queryItems = items
            body["next"] = .string("/v2/images?\(components.percentEncodedQuery ?? "")")
        }
        return SimHTTP.json(.object(body))
    }

    // MARK: Data

    func upload(_ call: ImageCall) async throws -> Response {
        let id = try call.param("id")
        // Claim the image: queued -> saving, so concurrent uploads conflict as in Glance.
        try store.images.withLock { state in
            var image = try findImage(id, call, in: state)
            guard canModify(image, call) else { throw Self.error(403, "You are not permitted to upload data to this image.") }
            guard image.status == "queued" else {
                throw Self.error(409, "Image status transition from \(image.status) to saving is not allowed")
            }
            image.object["status"] = "saving"
            state.images[id] = image
        }
        let limit = min(maxImageSize, store.images.withLock { $0.uploadQuota } ?? Int.max)
        var hasher = StreamingImageHasher()
        var data: [UInt8] = []
        do {
            for try await chunk in call.request.body {
                guard data.count + chunk.readableBytes <= limit else {
                    throw Self.error(413, "Image exceeds the storage quota: The size of the data \(data.count + chunk.readableBytes) will exceed the limit.")
                }
                hasher.update(chunk.readableBytesView)
                data.append(contentsOf: chunk.readableBytesView)
            }
        } catch {
            store.images.withLock { state in state.images[id]?.object["status"] = "queued" }
            throw error as? SimulatorError ?? Self.error(400, "Error uploading image data")
        }
        var digests = hasher.finish()
        store.images.withLock { state in
            guard var image = state.images[id] else { return }
            if state.corruptUploads > 0, !data.isEmpty {
                // Test tampering: the stored bytes (and so the hashes Glance records) differ from what was sent.
                state.corruptUploads -= 1
                data[0] ^= 0xFF
                digests = ImageDigests(data: data)
            }
            image.data = data
            image.object["size"] = .int(data.count)
            image.object["checksum"] = .string(digests.md5)
            image.object["os_hash_algo"] = "sha512"
            image.object["os_hash_value"] = .string(digests.sha512)
            image.object["status"] = "active"
            image.object["updated_at"] = .string(SimTime.iso(call.now))
            state.images[id] = image
        }
        return SimHTTP.empty(status: 204)
    }

    func download(_ call: ImageCall) async throws -> Response {
        let id = try call.param("id")
        let image = try store.images.withLock { try findImage(id, call, in: $0) }
        if image.status == "deactivated", !call.isAdmin {
            throw Self.error(403, "The requested image has been deactivated. Image data download is forbidden.")
        }
        guard let data = image.data, image.status == "active" || image.status == "deactivated" else {
            return SimHTTP.empty(status: 204)
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/octet-stream"
        headers[.contentLength] = String(data.count)
        if let md5 = image.object["checksum"]?.stringValue, let name = HTTPField.Name("Content-MD5") { headers[name] = md5 }
        // Stream in 64 KiB chunks rather than one buffer.
        let body = ResponseBody(contentLength: data.count) { writer in
            var offset = 0
            while offset < data.count {
                let end = min(offset + 65_536, data.count)
                try await writer.write(ByteBuffer(bytes: data[offset..<end]))
                offset = end
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    // MARK: Tags and actions

    func addTag(_ call: ImageCall) async throws -> Response {
        let id = try call.param("id")
        let tag = try call.param("tag")
        guard tag.count <= 255 else { throw Self.error(400, "Tag is too long") }
        try store.images.withLock { state in
            var image = try findImage(id, call, in: state)
            guard canModify(image, call) else { throw Self.error(403, "You are not permitted to modify tags on this image.") }
            var tags = image.object["tags"]?.arrayValue ?? []
            if !tags.contains(.string(tag)) { tags.append(.string(tag)) }
            image.object["tags"] = .array(tags)
            image.object["updated_at"] = .string(SimTime.iso(call.now))
            state.images[id] = image
        }
        return SimHTTP.empty(status: 204)
    }

    func deleteTag(_ call: ImageCall) async throws -> Response {
        let id = try call.param("id")
        let tag = try call.param("tag")
        try store.images.withLock { state in
            var image = try findImage(id, call, in: state)
            guard canModify(image, call) else { throw Self.error(403, "You are not permitted to modify tags on this image.") }
            var tags = image.object["tags"]?.arrayValue ?? []
            guard tags.contains(.string(tag)) else { throw Self.error(404, "Tag \(tag) not found.") }
            tags.removeAll { $0 == .string(tag) }
            image.object["tags"] = .array(tags)
            state.images[id] = image
        }
        return SimHTTP.empty(status: 204)
    }

    func deactivate(_ call: ImageCall) async throws -> Response { try await setActive(call, false) }
    func reactivate(_ call: ImageCall) async throws -> Response { try await setActive(call, true) }

    private func setActive(_ call: ImageCall, _ active: Bool) async throws -> Response {
        let id = try call.param("id")
        try store.images.withLock { state in
            var image = try findImage(id, call, in: state)
            guard call.isAdmin else { throw Self.error(403, "You are not authorized to complete \(active ? "reactivate" : "deactivate") action.") }
            let from = image.status
            guard from == "active" || from == "deactivated" else {
                throw Self.error(400, "Not allowed to \(active ? "reactivate" : "deactivate") an image in status '\(from)'")
            }
            image.object["status"] = active ? "active" : "deactivated"
            state.images[id] = image
        }
        return SimHTTP.empty(status: 204)
    }

    // MARK: Schemas

    static let imageProperties: JSONValue = [
        "id": ["type": "string", "description": "An identifier for the image", "pattern": "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"],
        "name": ["type": ["null", "string"], "maxLength": 255, "description": "Descriptive name for the image"],
        "status": ["type": "string", "readOnly": true, "enum": ["queued", "saving", "active", "killed", "deleted", "uploading", "importing", "pending_delete", "deactivated"]],
        "visibility": ["type": "string", "enum": ["community", "public", "private", "shared"]],
        "protected": ["type": "boolean"], "os_hidden": ["type": "boolean"],
        "checksum": ["type": ["null", "string"], "readOnly": true, "maxLength": 32],
        "os_hash_algo": ["type": ["null", "string"], "readOnly": true, "maxLength": 64],
        "os_hash_value": ["type": ["null", "string"], "readOnly": true, "maxLength": 128],
        "owner": ["type": ["null", "string"], "maxLength": 255],
        "size": ["type": ["null", "integer"], "readOnly": true], "virtual_size": ["type": ["null", "integer"], "readOnly": true],
        "container_format": ["type": ["null", "string"], "enum": [nil, "ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"]],
        "disk_format": ["type": ["null", "string"], "enum": [nil, "ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop"]],
        "created_at": ["type": "string", "readOnly": true], "updated_at": ["type": "string", "readOnly": true],
        "tags": ["type": "array", "items": ["type": "string", "maxLength": 255]],
        "min_ram": ["type": "integer"], "min_disk": ["type": "integer"],
        "self": ["type": "string", "readOnly": true], "file": ["type": "string", "readOnly": true],
        "schema": ["type": "string", "readOnly": true],
        "locations": ["type": "array", "items": ["type": "object"]],
    ]

    static var imageSchemaJSON: JSONValue {
        [
            "name": "image", "properties": imageProperties, "additionalProperties": ["type": "string"],
            "links": [
                ["rel": "self", "href": "{self}"], ["rel": "enclosure", "href": "{file}"],
                ["rel": "describedby", "href": "{schema}"],
            ],
        ]
    }

    func imageSchema(_ call: ImageCall) async throws -> Response { SimHTTP.json(Self.imageSchemaJSON) }

    func imagesSchema(_ call: ImageCall) async throws -> Response {
        SimHTTP.json([
            "name": "images",
            "properties": [
                "images": ["type": "array", "items": Self.imageSchemaJSON],
                "schema": ["type": "string"], "first": ["type": "string"], "next": ["type": "string"],
            ],
            "links": [["rel": "first", "href": "{first}"], ["rel": "next", "href": "{next}"], ["rel": "describedby", "href": "{schema}"]],
        ])
    }
}
