import Foundation
import Hummingbird
import OpenStackModels
import TricircleGateway
import TricircleStore

/// `GET` list parameters as Neutron reads them: filters on any attribute, `fields`, `sort_key`/`sort_dir`,
/// `limit`/`marker`/`page_reverse`, and the tag filters.
struct NeutronListQuery: Sendable {
    var filters: [(key: String, values: [String])] = []
    var fields: [String] = []
    var sort: [(key: String, ascending: Bool)] = []
    var limit: Int?
    var marker: String?
    var pageReverse = false
    var tagsAll: [String] = []
    var tagsAny: [String] = []
    var notTagsAll: [String] = []
    var notTagsAny: [String] = []

    init(_ request: Request, attributes: Set<String>) throws {
        var grouped: [String: [String]] = [:]
        var orderedKeys: [String] = []
        for (key, value) in request.uri.queryParameters {
            let k = String(key)
            if grouped[k] == nil { orderedKeys.append(k) }
            grouped[k, default: []].append(String(value))
        }
        func split(_ values: [String]) -> [String] { values.flatMap { $0.split(separator: ",").map(String.init) } }
        for key in orderedKeys {
            let values = grouped[key] ?? []
            switch key {
            case "fields": fields.append(contentsOf: split(values))
            case "sort_key", "sort_dir", "limit", "marker", "page_reverse": continue
            case "tags": tagsAll = split(values)
            case "tags-any": tagsAny = split(values)
            case "not-tags": notTagsAll = split(values)
            case "not-tags-any": notTagsAny = split(values)
            default:
                guard attributes.contains(key) else {
                    throw NeutronError.httpBadRequest("[\(key)] is invalid attribute for filtering")
                }
                filters.append((key, values))
            }
        }
        let sortKeys = grouped["sort_key"] ?? []
        let sortDirs = grouped["sort_dir"] ?? []
        if !sortDirs.isEmpty, sortDirs.count != sortKeys.count {
            throw NeutronError.httpBadRequest("The number of sort_keys and sort_dirs must be same")
        }
        for (index, key) in sortKeys.enumerated() {
            guard attributes.contains(key) else {
                throw NeutronError.httpBadRequest("[\(key)] is invalid attribute for sort_keys")
            }
            let dir = index < sortDirs.count ? sortDirs[index].lowercased() : "asc"
            guard dir == "asc" || dir == "desc" else {
                throw NeutronError.httpBadRequest("[\(dir)] is invalid value for sort_dirs, valid value is 'asc' and 'desc'")
            }
            sort.append((key, dir == "asc"))
        }
        if let text = grouped["limit"]?.last {
            guard let value = Int(text), value >= 0 else {
                throw NeutronError.httpBadRequest("Limit must be an integer 0 or greater and not '\(text)'")
            }
            limit = value == 0 ? nil : value
        }
        marker = grouped["marker"]?.last
        if let text = grouped["page_reverse"]?.last?.lowercased() { pageReverse = text == "true" || text == "1" }
    }

    /// The values of a filter the store can apply itself, removed from the in-memory filters.
    mutating func take(_ key: String) -> [String]? {
        guard let index = filters.firstIndex(where: { $0.key == key }) else { return nil }
        return filters.remove(at: index).values
    }

    /// True when an item passes the remaining filters and the tag filters.
    func matches(_ item: [String: JSONValue]) -> Bool {
        let tags = item["tags"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if !tagsAll.isEmpty, !tagsAll.allSatisfy(tags.contains) { return false }
        if !tagsAny.isEmpty, !tagsAny.contains(where: tags.contains) { return false }
        if !notTagsAll.isEmpty, notTagsAll.allSatisfy(tags.contains) { return false }
        if !notTagsAny.isEmpty, notTagsAny.contains(where: tags.contains) { return false }
        for (key, values) in filters {
            if key == "fixed_ips" {
                if !Self.matchesFixedIPs(item[key]?.arrayValue ?? [], values) { return false }
            } else if !values.contains(where: { Self.matches(item[key] ?? .null, $0) }) {
                return false
            }
        }
        return true
    }

    /// `fixed_ips=ip_address=..`, `subnet_id=..`, `ip_address_substr=..` as Neutron applies them: values of
    /// one kind are alternatives, kinds combine, and one allocation must satisfy all kinds.
    static func matchesFixedIPs(_ allocations: [JSONValue], _ values: [String]) -> Bool {
        var wanted: [String: [String]] = [:]
        for value in values {
            let parts = value.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return false }
            wanted[parts[0], default: []].append(parts[1])
        }
        return allocations.contains { allocation in
            wanted.allSatisfy { kind, options in
                if kind == "ip_address_substr" {
                    guard let address = allocation["ip_address"]?.stringValue else { return false }
                    return options.contains { address.contains($0) }
                }
                return options.contains { allocation[kind]?.stringValue == $0 }
            }
        }
    }

    static func matches(_ value: JSONValue, _ wanted: String) -> Bool {
        switch value {
        case .string(let s): return s == wanted
        case .bool(let b):
            switch wanted.lowercased() {
            case "true", "1", "t", "yes", "y", "on": return b
            case "false", "0", "f", "no", "n", "off": return !b
            default: return false
            }
        case .number(let d): return Double(wanted) == d
        case .null: return wanted.isEmpty || wanted == "None" || wanted == "null"
        case .array(let items): return items.contains { matches($0, wanted) }
        case .object(let object):
            // fixed_ips=ip_address=10.0.0.5 style filters compare one member.
            let parts = wanted.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return false }
            return object[parts[0]]?.stringValue == parts[1]
        }
    }

    /// Ordering of attribute values: null first, then booleans, numbers, strings.
    static func less(_ a: JSONValue, _ b: JSONValue) -> Bool {
        func rank(_ v: JSONValue) -> Int {
            switch v {
            case .null: 0
            case .bool: 1
            case .number: 2
            case .string: 3
            case .array: 4
            case .object: 5
            }
        }
        switch (a, b) {
        case (.bool(let x), .bool(let y)): return !x && y
        case (.number(let x), .number(let y)): return x < y
        case (.string(let x), .string(let y)): return x < y
        default: return rank(a) < rank(b)
        }
    }
}

/// Runs a list over one document table: pushes what SQL can do (project, parent, device, id, name and
/// id-ordered keyset paging) to the store, the rest (other filters, sorting on other keys) in memory.
struct NeutronLister: Sendable {
    let documents: NetworkDocumentStore
    /// Rows read per round trip when paging by id with in-memory filters, so memory stays bounded.
    static let batchSize = 500

    /// `render` turns stored rows into the resources' JSON (adding derived attributes); `notFound` words an unknown marker.
    func respond(
        _ table: NetworkTable, collection: String, request: Request, query original: NeutronListQuery, base: NetworkDocumentQuery,
        parentKey: String? = nil, deviceKey: String? = nil,
        render: @Sendable ([NetworkDocument]) async throws -> [[String: JSONValue]],
        notFound: (String) -> NeutronError
    ) async throws -> Response {
        var query = original
        var base = base
        if let ids = query.take("id") { base.ids = ids }
        if let names = query.take("name") { base.names = names }
        if let projects = query.take("project_id") ?? query.take("tenant_id") {
            base.projectIDs = base.projectIDs.map { visible in projects.filter { visible.contains($0) } } ?? projects
            base.orDeviceIDs = []
        }
        if let parentKey, let values = query.take(parentKey) { base.parentIDs = values }
        if let deviceKey, let values = query.take(deviceKey) { base.deviceIDs = values }
        let byID = query.sort.isEmpty || (query.sort.count == 1 && query.sort[0].key == "id")
        var items: [[String: JSONValue]]
        if byID {
            let ascending = query.sort.first?.ascending ?? true
            if let marker = query.marker, try await documents.get(table, id: marker) == nil { throw notFound(marker) }
            // page_reverse walks backwards from the marker, then the page is put back in order.
            let descending = ascending == query.pageReverse
            base.descending = descending
            base.afterID = query.marker
            let want = query.limit.map { $0 + 1 }
            items = []
            var cursor = base
            while true {
                cursor.limit = want.map { max($0, Self.batchSize) } ?? Self.batchSize
                let rows = try await documents.list(table, cursor)
                for item in try await render(rows) where query.matches(item) { items.append(item) }
                if let want, items.count >= want { break }
                guard rows.count == cursor.limit, let last = rows.last else { break }
                cursor.afterID = last.id
            }
            var hasMore = false
            if let limit = query.limit, items.count > limit {
                items = Array(items.prefix(limit))
                hasMore = true
            }
            if query.pageReverse { items.reverse() }
            return page(items, query: query, collection: collection, request: request, hasMore: hasMore)
        }
        let rows = try await documents.list(table, base)
        items = try await render(rows).filter(query.matches)
        var sortKeys = query.sort
        if !sortKeys.contains(where: { $0.key == "id" }) { sortKeys.append(("id", sortKeys.first?.ascending ?? true)) }
        items.sort { a, b in
            for key in sortKeys {
                let x = a[key.key] ?? .null, y = b[key.key] ?? .null
                if x == y { continue }
                return key.ascending ? NeutronListQuery.less(x, y) : NeutronListQuery.less(y, x)
            }
            return false
        }
        var slice = items[...]
        if let marker = query.marker {
            guard let index = items.firstIndex(where: { $0["id"]?.stringValue == marker }) else { throw notFound(marker) }
            slice = query.pageReverse ? items[..<index] : items[(index + 1)...]
        }
        var hasMore = false
        if let limit = query.limit {
            hasMore = slice.count > limit
            slice = query.pageReverse ? slice.suffix(limit) : slice.prefix(limit)
        }
        return page(Array(slice), query: query, collection: collection, request: request, hasMore: hasMore)
    }

    /// The page with `fields` applied and `<collection>_links` as Neutron writes them.
    func page(_ items: [[String: JSONValue]], query: NeutronListQuery, collection: String, request: Request, hasMore: Bool) -> Response {
        var links: [JSONValue] = []
        if query.limit != nil {
            let forward = (first: items.first, last: items.last)
            if (hasMore || query.pageReverse), let last = forward.last?["id"]?.stringValue {
                links.append(["rel": "next", "href": .string(Self.pageHref(request, marker: last, reverse: false))])
            }
            if query.marker != nil, (hasMore || !query.pageReverse), let first = forward.first?["id"]?.stringValue {
                links.append(["rel": "previous", "href": .string(Self.pageHref(request, marker: first, reverse: true))])
            }
        }
        var body: [String: JSONValue] = [collection: .array(items.map { .object(NeutronHTTP.project($0, fields: query.fields)) })]
        if !links.isEmpty { body[collection + "_links"] = .array(links) }
        return NeutronHTTP.json(.object(body))
    }

    /// A next/previous link: the request's own query with `marker` (and `page_reverse`) replaced.
    static func pageHref(_ request: Request, marker: String, reverse: Bool) -> String {
        var parts: [String] = []
        for (key, value) in request.uri.queryParameters where key != "marker" && key != "page_reverse" {
            parts.append("\(key)=\(escape(String(value)))")
        }
        parts.append("marker=\(marker)")
        if reverse { parts.append("page_reverse=True") }
        return (PodForwarder.publicOrigin(of: request) ?? "") + request.uri.path + "?" + parts.joined(separator: "&")
    }

    static func escape(_ text: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+#")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
