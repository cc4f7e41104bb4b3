import Foundation
import Hummingbird
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// `/flavors`: the top flavor catalog (list, detail, show, admin create/update/delete).
struct FlavorRoutes: APIRoutes {
    let catalog: ComputeCatalogRoutes

    /// Nova's `osapi_max_limit`: the largest page a list answers.
    static let maxFlavorPage = 1000

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("flavors", use: list)
        group.get("flavors/detail", use: listDetail)
        group.get("flavors/:flavor", use: show)
        group.post("flavors", use: create)
        group.put("flavors/:flavor", use: update)
        group.delete("flavors/:flavor", use: delete)
    }

    /// `GET /v2.1/flavors`.
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await catalog.run(request, context) { call in try await listFlavors(call, detail: false) }
    }

    /// `GET /v2.1/flavors/detail`.
    func listDetail(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await catalog.run(request, context) { call in try await listFlavors(call, detail: true) }
    }

    /// `GET /v2.1/flavors/:flavor`.
    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await catalog.run(request, context) { call in
            try await showFlavor(call, id: catalog.pathParameter(context, "flavor"))
        }
    }

    /// `POST /v2.1/flavors`.
    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await catalog.run(request, context) { call in try await createFlavor(call) }
    }

    /// `PUT /v2.1/flavors/:flavor`.
    func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await catalog.run(request, context) { call in
            try await updateFlavor(call, id: catalog.pathParameter(context, "flavor"))
        }
    }

    /// `DELETE /v2.1/flavors/:flavor`.
    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await catalog.run(request, context) { call in
            try await deleteFlavor(call, id: catalog.pathParameter(context, "flavor"))
        }
    }

    // MARK: Views

    func flavorView(_ f: CatalogFlavor, call: CatalogCall, detail: Bool, extraSpecs: [String: String]?) -> JSONValue {
        let links: JSONValue = [
            ["rel": "self", "href": .string("\(call.origin)/v2.1/flavors/\(f.id)")],
            ["rel": "bookmark", "href": .string("\(call.origin)/flavors/\(f.id)")],
        ]
        var o: [String: JSONValue] = ["id": .string(f.id), "name": .string(f.name), "links": links]
        if call.atLeast(2, 55) { o["description"] = f.description.map(JSONValue.string) ?? .null }
        guard detail else { return .object(o) }
        o["ram"] = .number(Double(f.ram))
        o["vcpus"] = .number(Double(f.vcpus))
        o["disk"] = .number(Double(f.disk))
        o["OS-FLV-EXT-DATA:ephemeral"] = .number(Double(f.ephemeral))
        // Nova shows "" for no swap until 2.75, then 0.
        o["swap"] = f.swap == 0 && !call.atLeast(2, 75) ? .string("") : .number(Double(f.swap))
        o["rxtx_factor"] = .number(f.rxtxFactor)
        o["os-flavor-access:is_public"] = .bool(f.isPublic)
        o["OS-FLV-DISABLED:disabled"] = .bool(f.disabled)
        if call.atLeast(2, 61), let extraSpecs { o["extra_specs"] = .object(extraSpecs.mapValues(JSONValue.string)) }
        return .object(o)
    }


    // MARK: Handlers

    func listFlavors(_ call: CatalogCall, detail: Bool) async throws -> Response {
        // From 2.75 Nova refuses query parameters it does not know instead of ignoring them.
        if call.atLeast(2, 75) {
            let known: Set<String> = ["is_public", "minRam", "minDisk", "sort_key", "sort_dir", "limit", "marker"]
            for (key, _) in call.request.uri.queryParameters where !known.contains(String(key)) {
                throw APIError(.badRequest, "Invalid input for query parameters \(key). Additional properties are not allowed ('\(key)' was unexpected)", format: .fault)
            }
        }
        try await catalog.seeder.ensureSeeded(requestID: call.requestID)
        var query = FlavorQuery(visibility: .publicOrAccessible(projectID: call.caller.projectID))
        if call.caller.isAdmin {
            // Nova: admins see public flavors (plus their project's) by default, all with "none", private with false.
            switch call.query("is_public")?.lowercased() {
            case nil: break
            case "none": query.visibility = .all
            case let text?:
                guard let flag = catalogBoolean(.string(text)) else {
                    throw APIError(.badRequest, "Invalid is_public filter [\(text)]", format: .fault)
                }
                if !flag { query.visibility = .privateOnly }
            }
        }
        if let text = call.query("minRam") {
            guard let value = Int(text), value >= 0 else {
                throw APIError(.badRequest, "Invalid minRam filter [\(text)]", format: .fault)
            }
            query.minRAM = value
        }
        if let text = call.query("minDisk") {
            guard let value = Int(text), value >= 0 else {
                throw APIError(.badRequest, "Invalid minDisk filter [\(text)]", format: .fault)
            }
            query.minDisk = value
        }
        if let text = call.query("sort_key") {
            guard let key = FlavorSortKey(rawValue: text) else {
                throw APIError(.badRequest, "Invalid input received: Invalid sort_key: \(text)", format: .fault)
            }
            query.sortKey = key
        }
        if let text = call.query("sort_dir") {
            guard text == "asc" || text == "desc" else {
                throw APIError(.badRequest, "Invalid input received: Invalid sort_dir: \(text)", format: .fault)
            }
            query.ascending = text == "asc"
        }
        var limit = Self.maxFlavorPage
        if let text = call.query("limit") {
            guard let value = Int(text), value >= 0 else {
                throw APIError(.badRequest, "limit param must be an integer", format: .fault)
            }
            limit = min(value, Self.maxFlavorPage)
        }
        query.limit = limit
        query.marker = call.query("marker")
        let page: [CatalogFlavor]
        do {
            page = try await catalog.flavors.list(query)
        } catch StoreError.notFound {
            throw APIError(.badRequest, "marker [\(query.marker ?? "")] not found", format: .fault)
        }
        let specs = detail && call.atLeast(2, 61) ? try await catalog.flavors.extraSpecs(for: page.map(\.id)) : [:]
        var body: [String: JSONValue] = [
            "flavors": .array(page.map { flavorView($0, call: call, detail: detail, extraSpecs: specs[$0.id] ?? [:]) })
        ]
        if limit > 0, page.count == limit, let last = page.last {
            body["flavors_links"] = [["rel": "next", "href": .string(catalog.nextLink(call, path: detail ? "flavors/detail" : "flavors", marker: last.id))]]
        }
        return call.json(.object(body))
    }


    func showFlavor(_ call: CatalogCall, id: String) async throws -> Response {
        let flavor = try await catalog.visibleFlavor(id, call: call)
        let specs = call.atLeast(2, 61) ? try await catalog.flavors.extraSpecs(id) : nil
        return call.json(["flavor": flavorView(flavor, call: call, detail: true, extraSpecs: specs)])
    }

    func createFlavor(_ call: CatalogCall) async throws -> Response {
        try call.requireAdmin("os_compute_api:os-flavor-manage:create")
        try await catalog.seeder.ensureSeeded(requestID: call.requestID)
        let body = try await call.body()
        let flavor = try Self.validatedFlavor(body, call: call)
        let created = try await catalog.flavors.create(flavor)
        return call.json(["flavor": flavorView(created, call: call, detail: true, extraSpecs: [:])])
    }

    /// Nova's flavor create schema (flavor_manage.create), checked before anything is stored.
    static func validatedFlavor(_ body: JSONValue, call: CatalogCall) throws -> CatalogFlavor {
        guard let top = body.objectValue, let r = top["flavor"]?.objectValue else {
            throw invalidInput("flavor", body["flavor"], "'flavor' is a required property")
        }
        var allowed: Set<String> = [
            "name", "ram", "vcpus", "disk", "id", "OS-FLV-EXT-DATA:ephemeral", "swap", "rxtx_factor", "os-flavor-access:is_public",
        ]
        if call.atLeast(2, 55) { allowed.insert("description") }
        for key in r.keys.sorted() where !allowed.contains(key) {
            throw APIError(.badRequest, "Invalid input for field/attribute flavor. Value: \(key). Additional properties are not allowed ('\(key)' was unexpected)", format: .fault)
        }
        guard let rawName = r["name"] else { throw invalidInput("flavor", nil, "'name' is a required property") }
        guard let name = rawName.stringValue, !name.isEmpty, name.count <= 255 else {
            throw invalidInput("name", rawName, "must be a string of 1 to 255 characters")
        }
        guard name.first?.isWhitespace == false, name.last?.isWhitespace == false,
              !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw invalidInput("name", rawName, "Invalid input: no leading or trailing whitespace or control characters are allowed")
        }
        func number(_ key: String, required: Bool, minimum: Int) throws -> Int? {
            guard let raw = r[key], raw != .null else {
                if required { throw invalidInput("flavor", nil, "'\(key)' is a required property") }
                return nil
            }
            if !required, raw == .string("") { return nil }
            guard let value = catalogInteger(raw) else { throw invalidInput(key, raw, "\(raw) is not of type 'integer', 'string'") }
            guard value >= minimum else { throw invalidInput(key, raw, "\(value) is less than the minimum of \(minimum)") }
            guard value <= Int(Int32.max) else { throw invalidInput(key, raw, "\(value) is greater than the maximum of \(Int32.max)") }
            return value
        }
        let ram = try number("ram", required: true, minimum: 1) ?? 1
        let vcpus = try number("vcpus", required: true, minimum: 1) ?? 1
        let disk = try number("disk", required: true, minimum: 0) ?? 0
        let ephemeral = try number("OS-FLV-EXT-DATA:ephemeral", required: false, minimum: 0) ?? 0
        let swap = try number("swap", required: false, minimum: 0) ?? 0
        var rxtx = 1.0
        if let raw = r["rxtx_factor"], raw != .null {
            guard let value = raw.doubleValue ?? raw.stringValue.flatMap(Double.init), value > 0, value.isFinite else {
                throw invalidInput("rxtx_factor", raw, "must be a number greater than 0")
            }
            rxtx = value
        }
        var isPublic = true
        if let raw = r["os-flavor-access:is_public"], raw != .null {
            guard let value = catalogBoolean(raw) else { throw invalidInput("os-flavor-access:is_public", raw, "\(raw) is not of type 'boolean'") }
            isPublic = value
        }
        var id = Identifier.make()
        if let raw = r["id"], raw != .null {
            let text = raw.stringValue ?? raw.intValue.map(String.init)
            guard let text, !text.isEmpty, text.count <= 255 else {
                throw invalidInput("id", raw, "must be a string of 1 to 255 characters")
            }
            if text != "auto" {
                let allowedScalars = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._- "))
                guard text.unicodeScalars.allSatisfy({ $0.isASCII && allowedScalars.contains($0) }),
                      text.first != " ", text.last != " " else {
                    throw invalidInput("id", raw, "Invalid input: only letters, digits, '.', '_', '-' and inner spaces are allowed")
                }
                id = text
            }
        }
        var description: String?
        if let raw = r["description"], raw != .null {
            guard let text = raw.stringValue, text.count <= 65535 else {
                throw invalidInput("description", raw, "must be a string of at most 65535 characters")
            }
            description = text
        }
        return CatalogFlavor(
            id: id, name: name, ram: ram, vcpus: vcpus, disk: disk, ephemeral: ephemeral, swap: swap, rxtxFactor: rxtx,
            isPublic: isPublic, description: description)
    }

    func updateFlavor(_ call: CatalogCall, id: String) async throws -> Response {
        // Nova only routes PUT /flavors/{id} from 2.55 on.
        guard call.atLeast(2, 55) else { throw APIError(.notFound, "The resource could not be found.", format: .fault) }
        try call.requireAdmin("os_compute_api:os-flavor-manage:update")
        let body = try await call.body()
        guard let r = body["flavor"]?.objectValue else { throw invalidInput("flavor", body["flavor"], "'flavor' is a required property") }
        for key in r.keys.sorted() where key != "description" {
            throw APIError(.badRequest, "Invalid input for field/attribute flavor. Additional properties are not allowed ('\(key)' was unexpected)", format: .fault)
        }
        guard let raw = r["description"] else { throw invalidInput("flavor", nil, "'description' is a required property") }
        guard raw == .null || (raw.stringValue.map { $0.count <= 65535 } ?? false) else {
            throw invalidInput("description", raw, "must be a string of at most 65535 characters or null")
        }
        _ = try await catalog.visibleFlavor(id, call: call)
        guard let updated = try await catalog.flavors.updateDescription(id, description: raw.stringValue) else {
            throw APIError(.notFound, "Flavor \(id) could not be found.", format: .fault)
        }
        let specs = call.atLeast(2, 61) ? try await catalog.flavors.extraSpecs(id) : nil
        return call.json(["flavor": flavorView(updated, call: call, detail: true, extraSpecs: specs)])
    }

    func deleteFlavor(_ call: CatalogCall, id: String) async throws -> Response {
        try call.requireAdmin("os_compute_api:os-flavor-manage:delete")
        try await catalog.seeder.ensureSeeded(requestID: call.requestID)
        guard try await catalog.flavors.delete(id) else {
            throw APIError(.notFound, "Flavor \(id) could not be found.", format: .fault)
        }
        // Flavors created in pods for this one stay there: servers booted from them still refer to them.
        return call.empty(.accepted)
    }
}

extension ComputeCatalogRoutes {
    /// The flavor if the caller may see it, else Nova's 404.
    func visibleFlavor(_ id: String, call: CatalogCall) async throws -> CatalogFlavor {
        try await seeder.ensureSeeded(requestID: call.requestID)
        var found = try await flavors.get(id)
        if found == nil {
            // Perhaps a flavor made in a region since the last look: look now.
            await seeder.refresh(requestID: call.requestID)
            found = try await flavors.get(id)
        }
        let visible = if let found { call.caller.isAdmin ? true : try await flavors.isVisible(found, to: call.caller.projectID) } else { false }
        guard let flavor = found, visible else {
            throw APIError(.notFound, "Flavor \(id) could not be found.", format: .fault)
        }
        return flavor
    }

    /// The URL of the next page: the request's own query with `marker` replaced.
    func nextLink(_ call: CatalogCall, path: String, marker: String) -> String {
        var items = call.request.uri.queryParameters.map { URLQueryItem(name: String($0.key), value: String($0.value)) }
        items.removeAll { $0.name == "marker" }
        items.append(URLQueryItem(name: "marker", value: marker))
        var components = URLComponents()
        components.queryItems = items
        return "\(call.origin)/v2.1/\(path)?\(components.percentEncodedQuery ?? "")"
    }
}
