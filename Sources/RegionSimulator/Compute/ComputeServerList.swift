import Foundation
import Hummingbird
import OpenStackModels

extension ComputeAPI {
    /// Sort keys Nova accepts, mapped to a comparable projection of the record.
    private static func sortValue(_ s: ServerRecord, _ key: String) -> String {
        switch key {
        case "created_at": SimTime.cinder(s.created)
        case "updated_at": SimTime.cinder(s.updated)
        case "display_name": s.name
        case "uuid": s.id
        case "vm_state": s.vmState
        case "task_state": s.taskState ?? ""
        case "power_state": String(format: "%04d", s.powerState)
        case "availability_zone": s.availabilityZone
        case "key_name": s.keyName ?? ""
        case "launched_at": s.launchedAt.map(SimTime.cinder) ?? ""
        case "project_id": s.projectID
        case "user_id": s.userID
        case "host", "node": s.host
        case "hostname": s.hostname
        case "image_ref": s.imageRef
        case "instance_type_id": s.flavorID
        case "display_description": s.description ?? ""
        case "access_ip_v4": s.accessIPv4
        case "access_ip_v6": s.accessIPv6
        case "launch_index": String(format: "%06d", s.launchIndex)
        default: SimTime.cinder(s.created)
        }
    }

    /// `GET /servers` and `/servers/detail`: Nova's filters, sorting and marker paging.
    func listServers(detail: Bool) -> @Sendable (ComputeCall) async throws -> Response {
        { call in
            let q = call.request.uri.queryParameters
            let limit: Int
            if let text = q.get("limit") {
                guard let value = Int(text), value >= 0 else {
                    throw SimulatorError.badRequest("Invalid input for query parameters limit. Value: \(text). '\(text)' does not match '^[0-9]*$'")
                }
                limit = min(value, 1000)
            } else {
                limit = 1000
            }
            let marker = q.get("marker")
            let sortKeys = q.getAll("sort_key")
            let sortDirs = q.getAll("sort_dir")
            if let problem = ServerSort.problem(keys: sortKeys, directions: sortDirs) { throw SimulatorError.badRequest(problem) }
            let filter = try ServerFilter(call: call)

            let defaultOrder = sortKeys.isEmpty || (sortKeys == ["created_at"] && (sortDirs.first ?? "desc") == "desc")
            let (page, flavors) = try store.compute.withLock { state -> ([ServerRecord], [String: FlavorRecord]) in
                if defaultOrder {
                    // created_at desc, id desc is reverse creation order: walk it once, skip to the marker,
                    // stop at a full page; only candidates are copied.
                    var page: [ServerRecord] = []
                    var passedMarker = marker == nil
                    for id in state.order.reversed() {
                        guard let raw = state.servers[id] else { continue }
                        if let project = filter.projectID, raw.projectID != project { continue }
                        if !passedMarker {
                            if id == marker { passedMarker = true }
                            continue
                        }
                        // Only after the marker: entries skipped on the way are never looked at further.
                        if raw.isGone(at: call.now) { continue }
                        guard page.count < limit else { break }
                        let s = raw.settled(at: call.now)
                        if filter.matches(s, flavors: state.flavors) { page.append(s) }
                    }
                    guard passedMarker else { throw SimulatorError.badRequest("marker [\(marker ?? "")] not found") }
                    return (page, state.flavors)
                }
                var matching: [ServerRecord] = []
                for id in state.order {
                    guard let raw = state.servers[id], !raw.isGone(at: call.now) else { continue }
                    if let project = filter.projectID, raw.projectID != project { continue }
                    let s = raw.settled(at: call.now)
                    if filter.matches(s, flavors: state.flavors) { matching.append(s) }
                }
                let keys = sortKeys.isEmpty ? ["created_at"] : sortKeys
                let dirs = keys.indices.map { i in i < sortDirs.count ? sortDirs[i] : (sortDirs.first ?? "desc") }
                matching.sort { a, b in
                    for (key, dir) in zip(keys + ["uuid"], dirs + [dirs.last ?? "desc"]) {
                        let va = Self.sortValue(a, key)
                        let vb = Self.sortValue(b, key)
                        if va != vb { return dir == "asc" ? va < vb : va > vb }
                    }
                    return false
                }
                var start = 0
                if let marker {
                    guard let index = matching.firstIndex(where: { $0.id == marker }) else {
                        throw SimulatorError.badRequest("marker [\(marker)] not found")
                    }
                    start = index + 1
                }
                let end = min(matching.count, start + limit)
                return (start < end ? Array(matching[start..<end]) : [], state.flavors)
            }
            let items: [JSONValue] = page.map { s in
                detail
                    ? render(s, call: call, flavors: flavors)
                    : ["id": .string(s.id), "name": .string(s.name), "links": serverLinks(s.id, base: call.base)]
            }
            var body: [String: JSONValue] = ["servers": .array(items)]
            // Nova adds a next link whenever the page is full.
            if limit > 0, page.count == limit, let last = page.last {
                body["servers_links"] = [
                    ["rel": "next", "href": .string(nextLink(call: call, path: detail ? "servers/detail" : "servers", marker: last.id))]
                ]
            }
            return SimHTTP.json(.object(body))
        }
    }

    /// The request's URL with `marker` replaced, as Nova builds `*_links`.
    func nextLink(call: ComputeCall, path: String, marker: String) -> String {
        var items: [URLQueryItem] = []
        for (key, value) in call.request.uri.queryParameters where key != "marker" {
            items.append(URLQueryItem(name: String(key), value: String(value)))
        }
        items.append(URLQueryItem(name: "marker", value: marker))
        var components = URLComponents()
        components.queryItems = items
        return "\(call.base)/v2.1/\(path)?\(components.percentEncodedQuery ?? "")"
    }
}

/// Nova's server list filters.
struct ServerFilter {
    var projectID: String?
    var userID: String?
    var nameRegex: NSRegularExpression?
    var ipRegex: NSRegularExpression?
    var status: Set<String>?
    var image: String?
    var flavor: String?
    var changesSince: Date?
    var changesBefore: Date?
    var tags: [String] = []
    var tagsAny: [String] = []
    var notTags: [String] = []
    var notTagsAny: [String] = []
    var availabilityZone: String?
    var keyName: String?
    var locked: Bool?
    var reservationID: String?
    var host: String?
    var description: String?

    init(call: ComputeCall) throws {
        let q = call.request.uri.queryParameters
        let allTenants = q.get("all_tenants").map { $0 != "0" && $0.lowercased() != "false" } ?? false
        if call.isAdmin && allTenants {
            projectID = q.get("project_id") ?? q.get("tenant_id")
        } else {
            projectID = call.token.projectID
        }
        if let name = q.get("name") {
            nameRegex = try? NSRegularExpression(pattern: name)
            if nameRegex == nil { nameRegex = try? NSRegularExpression(pattern: NSRegularExpression.escapedPattern(for: name)) }
        }
        if let ip = q.get("ip") { ipRegex = try? NSRegularExpression(pattern: ip) }
        let statuses = q.getAll("status").map { $0.uppercased() }
        if !statuses.isEmpty { status = Set(statuses) }
        image = q.get("image")
        flavor = q.get("flavor")
        if let text = q.get("changes-since") {
            guard let date = SimTime.parse(text) else {
                throw SimulatorError.badRequest("Invalid input for query parameters changes-since. Value: \(text). '\(text)' is not a 'date-time'")
            }
            changesSince = date
        }
        if call.atLeast(2, 66), let text = q.get("changes-before") {
            guard let date = SimTime.parse(text) else {
                throw SimulatorError.badRequest("Invalid input for query parameters changes-before. Value: \(text). '\(text)' is not a 'date-time'")
            }
            changesBefore = date
        }
        if call.atLeast(2, 26) {
            func list(_ key: String) -> [String] {
                q.getAll(key).flatMap { $0.split(separator: ",").map { String($0) } }
            }
            tags = list("tags")
            tagsAny = list("tags-any")
            notTags = list("not-tags")
            notTagsAny = list("not-tags-any")
        }
        availabilityZone = q.get("availability_zone")
        keyName = q.get("key_name")
        if call.atLeast(2, 73), let text = q.get("locked") { locked = text.lowercased() == "true" || text == "1" }
        reservationID = q.get("reservation_id")
        if call.isAdmin { host = q.get("host") }
        description = q.get("description")
        if let user = q.get("user_id") { userID = String(user) }
    }

    func matches(_ s: ServerRecord, flavors: [String: FlavorRecord]) -> Bool {
        if let projectID, s.projectID != projectID { return false }
        if let userID, s.userID != userID { return false }
        if let nameRegex {
            let range = NSRange(s.name.startIndex..., in: s.name)
            if nameRegex.firstMatch(in: s.name, range: range) == nil { return false }
        }
        if let ipRegex {
            let hit = s.ports.contains { port in
                port.ips.contains { ip in ipRegex.firstMatch(in: ip, range: NSRange(ip.startIndex..., in: ip)) != nil }
            }
            if !hit { return false }
        }
        if let status, !status.contains(s.status) { return false }
        if let image, s.imageRef != image { return false }
        if let flavor, s.flavorID != flavor { return false }
        if let changesSince, s.updated < changesSince { return false }
        if let changesBefore, s.updated > changesBefore { return false }
        if !tags.isEmpty, !tags.allSatisfy(s.tags.contains) { return false }
        if !tagsAny.isEmpty, !tagsAny.contains(where: s.tags.contains) { return false }
        if !notTags.isEmpty, notTags.allSatisfy(s.tags.contains) { return false }
        if !notTagsAny.isEmpty, notTagsAny.contains(where: s.tags.contains) { return false }
        if let availabilityZone, s.availabilityZone != availabilityZone { return false }
        if let keyName, s.keyName != keyName { return false }
        if let locked, s.locked != locked { return false }
        if let reservationID, s.reservationID != reservationID { return false }
        if let host, s.host != host { return false }
        if let description, s.description != description { return false }
        return true
    }
}
