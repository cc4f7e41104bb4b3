import Foundation
import Hummingbird
import OpenStackModels

extension ComputeAPI {
    func flavorJSON(_ f: FlavorRecord, call: ComputeCall, detail: Bool) -> JSONValue {
        let links: JSONValue = [
            ["rel": "self", "href": .string("\(call.base)/v2.1/flavors/\(f.flavor.id)")],
            ["rel": "bookmark", "href": .string("\(call.base)/flavors/\(f.flavor.id)")],
        ]
        var o: [String: JSONValue] = ["id": .string(f.flavor.id), "name": .string(f.flavor.name), "links": links]
        if call.atLeast(2, 55) { o["description"] = .string(f.flavor.description) }
        guard detail else { return .object(o) }
        o["ram"] = .int(f.flavor.ram)
        o["vcpus"] = .int(f.flavor.vcpus)
        o["disk"] = .int(f.flavor.disk)
        o["OS-FLV-EXT-DATA:ephemeral"] = .int(f.flavor.ephemeral ?? 0)
        o["swap"] = (f.flavor.swap?.intValue).map { $0 == 0 ? "" : .int($0) } ?? ""
        o["rxtx_factor"] = .number(f.flavor.rxtxFactor ?? 1.0)
        o["os-flavor-access:is_public"] = .bool(f.flavor.isPublic ?? true)
        o["OS-FLV-DISABLED:disabled"] = .bool(f.flavor.disabled ?? false)
        if call.atLeast(2, 61) { o["extra_specs"] = .object(f.extraSpecs.mapValues { .string($0) }) }
        return .object(o)
    }

    func visible(_ f: FlavorRecord, call: ComputeCall) -> Bool {
        call.isAdmin || f.flavor.isPublic != false || f.access.contains(call.token.projectID)
    }

    func findFlavor(_ call: ComputeCall, in state: ComputeState) throws -> FlavorRecord {
        let id = try call.param("flavor")
        guard let f = state.flavors[id], visible(f, call: call) else {
            throw SimulatorError.notFound("Flavor \(id) could not be found.")
        }
        return f
    }

    func requireAdmin(_ call: ComputeCall, _ rule: String) throws {
        guard call.isAdmin else {
            throw SimulatorError.forbidden("Policy doesn't allow \(rule) to be performed.")
        }
    }

    func listFlavors(detail: Bool) -> @Sendable (ComputeCall) async throws -> Response {
        { call in
            let q = call.request.uri.queryParameters
            let minRAM = q.get("minRam").flatMap { Int($0) } ?? 0
            let minDisk = q.get("minDisk").flatMap { Int($0) } ?? 0
            let isPublic = q.get("is_public")?.lowercased()
            let limit = min(q.get("limit").flatMap { Int($0) } ?? 1000, 1000)
            let sortKey = q.get("sort_key") ?? "flavorid"
            let sortDir = q.get("sort_dir") ?? "asc"
            let flavors = store.compute.withLock { state in Array(state.flavors.values) }
            var matching = flavors.filter { f in
                guard f.flavor.ram >= minRAM, f.flavor.disk >= minDisk else { return false }
                switch isPublic {
                case "none" where call.isAdmin: return true
                case "false", "0": return call.isAdmin ? f.flavor.isPublic == false : f.flavor.isPublic == false && f.access.contains(call.token.projectID)
                default: return f.flavor.isPublic != false || (!call.isAdmin && f.access.contains(call.token.projectID))
                }
            }
            func key(_ f: FlavorRecord) -> String {
                switch sortKey {
                case "name": f.flavor.name
                case "memory_mb": String(format: "%09d", f.flavor.ram)
                case "vcpus": String(format: "%09d", f.flavor.vcpus)
                case "root_gb": String(format: "%09d", f.flavor.disk)
                default: f.flavor.id
                }
            }
            matching.sort { sortDir == "desc" ? key($0) > key($1) : key($0) < key($1) }
            var start = 0
            if let marker = q.get("marker") {
                guard let index = matching.firstIndex(where: { $0.flavor.id == marker }) else {
                    throw SimulatorError.badRequest("marker [\(marker)] not found")
                }
                start = index + 1
            }
            let page = Array(matching.dropFirst(start).prefix(limit))
            var body: [String: JSONValue] = ["flavors": .array(page.map { flavorJSON($0, call: call, detail: detail) })]
            if page.count == limit, limit > 0, let last = page.last {
                body["flavors_links"] = [["rel": "next", "href": .string(nextLink(call: call, path: detail ? "flavors/detail" : "flavors", marker: last.flavor.id))]]
            }
            return SimHTTP.json(.object(body))
        }
    }

    func showFlavor(_ call: ComputeCall) async throws -> Response {
        let f = try store.compute.withLock { try findFlavor(call, in: $0) }
        return SimHTTP.json(["flavor": flavorJSON(f, call: call, detail: true)])
    }

    func createFlavor(_ call: ComputeCall) async throws -> Response {
        try requireAdmin(call, "os_compute_api:os-flavor-manage:create")
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        let r = try SimHTTP.member(body, "flavor", format: .fault)
        guard let name = r["name"]?.stringValue, !name.isEmpty else {
            throw SimulatorError.badRequest("Invalid input for field/attribute flavor. Value: \(JSONValue.object(r)). 'name' is a required property")
        }
        func int(_ key: String, required: Bool, min: Int) throws -> Int? {
            let value = r[key]?.intValue ?? r[key]?.stringValue.flatMap { Int($0) }
            if value == nil, !required, r[key] == nil || r[key] == .string("") { return nil }
            guard let value, value >= min else {
                throw SimulatorError.badRequest("Invalid input for field/attribute \(key). Value: \(r[key] ?? .null).")
            }
            return value
        }
        let ram = try int("ram", required: true, min: 1) ?? 1
        let vcpus = try int("vcpus", required: true, min: 1) ?? 1
        let disk = try int("disk", required: true, min: 0) ?? 0
        let ephemeral = try int("OS-FLV-EXT-DATA:ephemeral", required: false, min: 0) ?? 0
        let swap = try int("swap", required: false, min: 0) ?? 0
        var id = r["id"]?.stringValue ?? r["id"]?.intValue.map(String.init) ?? ""
        if id.isEmpty || id == "auto" { id = newUUID() }
        let flavor = Flavor(
            id: id, name: name, ram: ram, vcpus: vcpus, disk: disk, ephemeral: ephemeral, swap: .int(swap),
            rxtxFactor: r["rxtx_factor"]?.doubleValue ?? 1.0, isPublic: r["os-flavor-access:is_public"]?.boolValue ?? true,
            disabled: false, description: call.atLeast(2, 55) ? r["description"]?.stringValue : nil)
        let record = FlavorRecord(flavor: flavor, extraSpecs: [:], access: [])
        try store.compute.withLock { state in
            if state.flavors[id] != nil { throw SimulatorError.conflict("Flavor with ID \(id) already exists.") }
            if state.flavors.values.contains(where: { $0.flavor.name == name }) {
                throw SimulatorError.conflict("Flavor with name \(name) already exists.")
            }
            state.flavors[id] = record
        }
        return SimHTTP.json(["flavor": flavorJSON(record, call: call, detail: true)])
    }

    func updateFlavor(_ call: ComputeCall) async throws -> Response {
        guard call.atLeast(2, 55) else { throw SimulatorError(status: 405, message: "Method not allowed", name: "badMethod") }
        try requireAdmin(call, "os_compute_api:os-flavor-manage:update")
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        let r = try SimHTTP.member(body, "flavor", format: .fault)
        let f = try store.compute.withLock { state in
            var f = try findFlavor(call, in: state)
            f.flavor.description = r["description"]?.stringValue
            state.flavors[f.flavor.id] = f
            return f
        }
        return SimHTTP.json(["flavor": flavorJSON(f, call: call, detail: true)])
    }

    func deleteFlavor(_ call: ComputeCall) async throws -> Response {
        try requireAdmin(call, "os_compute_api:os-flavor-manage:delete")
        try store.compute.withLock { state in
            let f = try findFlavor(call, in: state)
            state.flavors[f.flavor.id] = nil
        }
        return SimHTTP.empty(status: 202)
    }

    func flavorAction(_ call: ComputeCall) async throws -> Response {
        try requireAdmin(call, "os_compute_api:os-flavor-access")
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        let add = body["addTenantAccess"]?["tenant"]?.stringValue
        let remove = body["removeTenantAccess"]?["tenant"]?.stringValue
        guard add != nil || remove != nil else { throw SimulatorError.badRequest("Malformed request body") }
        let f = try store.compute.withLock { state in
            var f = try findFlavor(call, in: state)
            if f.flavor.isPublic != false { throw SimulatorError.conflict("Can not add access to a public flavor.") }
            if let add {
                if f.access.contains(add) {
                    throw SimulatorError.conflict("Flavor access already exists for flavor \(f.flavor.id) and project \(add) combination.")
                }
                f.access.insert(add)
            }
            if let remove {
                guard f.access.remove(remove) != nil else {
                    throw SimulatorError.notFound("Flavor access not found for \(f.flavor.id) / \(remove) combination.")
                }
            }
            state.flavors[f.flavor.id] = f
            return f
        }
        return accessList(f)
    }

    func accessList(_ f: FlavorRecord) -> Response {
        SimHTTP.json([
            "flavor_access": .array(f.access.sorted().map { ["flavor_id": .string(f.flavor.id), "tenant_id": .string($0)] })
        ])
    }

    func listFlavorAccess(_ call: ComputeCall) async throws -> Response {
        try requireAdmin(call, "os_compute_api:os-flavor-access")
        let f = try store.compute.withLock { try findFlavor(call, in: $0) }
        if f.flavor.isPublic != false { throw SimulatorError.notFound("Access list not available for public flavors.") }
        return accessList(f)
    }

    // MARK: Extra specs

    func listExtraSpecs(_ call: ComputeCall) async throws -> Response {
        let f = try store.compute.withLock { try findFlavor(call, in: $0) }
        return SimHTTP.json(["extra_specs": Self.metadataJSON(f.extraSpecs)])
    }

    func createExtraSpecs(_ call: ComputeCall) async throws -> Response {
        try requireAdmin(call, "os_compute_api:os-flavor-extra-specs:create")
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        let specs = try Self.stringMap(body["extra_specs"], key: "extra_specs")
        try store.compute.withLock { state in
            var f = try findFlavor(call, in: state)
            f.extraSpecs.merge(specs) { _, new in new }
            state.flavors[f.flavor.id] = f
        }
        return SimHTTP.json(["extra_specs": Self.metadataJSON(specs)])
    }

    func showExtraSpec(_ call: ComputeCall) async throws -> Response {
        let key = try call.param("key")
        let f = try store.compute.withLock { try findFlavor(call, in: $0) }
        guard let value = f.extraSpecs[key] else {
            throw SimulatorError.notFound("Flavor \(f.flavor.id) has no extra specs with key \(key).")
        }
        return SimHTTP.json([key: .string(value)])
    }

    func updateExtraSpec(_ call: ComputeCall) async throws -> Response {
        try requireAdmin(call, "os_compute_api:os-flavor-extra-specs:update")
        let key = try call.param("key")
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        let specs = try Self.stringMap(body, key: "extra_specs")
        guard specs.count == 1, let value = specs[key] else {
            throw SimulatorError.badRequest(specs.count == 1 ? "Request body and URI mismatch" : "Request body contains too many items")
        }
        try store.compute.withLock { state in
            var f = try findFlavor(call, in: state)
            f.extraSpecs[key] = value
            state.flavors[f.flavor.id] = f
        }
        return SimHTTP.json([key: .string(value)])
    }

    func deleteExtraSpec(_ call: ComputeCall) async throws -> Response {
        try requireAdmin(call, "os_compute_api:os-flavor-extra-specs:delete")
        let key = try call.param("key")
        try store.compute.withLock { state in
            var f = try findFlavor(call, in: state)
            guard f.extraSpecs.removeValue(forKey: key) != nil else {
                throw SimulatorError.notFound("Flavor \(f.flavor.id) has no extra specs with key \(key).")
            }
            state.flavors[f.flavor.id] = f
        }
        return SimHTTP.empty(status: 202)
    }
}
