import Foundation
import Hummingbird
import OpenStackModels
import TricircleGateway
import TricircleStore

extension NeutronListQuery {
    /// The request's query read as Neutron does (see `NeutronListQuery` in OpenStackModels).
    init(_ request: Request, attributes: Set<String>) throws {
        try self.init(parameters: QueryString.decoded(request.uri.query), attributes: attributes)
    }

    /// True when an item passes the remaining filters and the tag filters.
    func matches(_ item: [String: JSONValue]) -> Bool {
        guard matchesTags(item["tags"]?.arrayValue?.compactMap(\.stringValue) ?? []) else { return false }
        for (key, values) in filters {
            if key == "fixed_ips" {
                if !Self.matchesFixedIPs(item[key]?.arrayValue ?? [], values) { return false }
            } else if !Self.matches(item[key] ?? .null, values) {
                return false
            }
        }
        return true
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
        // Who may see what, before the client's filters narrow it: a marker outside it is unknown.
        let visibility = base
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
            // A marker the caller may not see answers as an unknown one, so a list never tells that it exists.
            if let marker = query.marker, !Self.isVisible(try await documents.get(table, id: marker), to: visibility) {
                throw notFound(marker)
            }
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

    /// Whether a row exists and falls within a list's visibility (its projects, or its "visible to all" device ids).
    static func isVisible(_ row: NetworkDocument?, to visibility: NetworkDocumentQuery) -> Bool {
        guard let row else { return false }
        guard let projects = visibility.projectIDs else { return true }
        return projects.contains(row.projectID) || visibility.orDeviceIDs.contains(row.deviceID)
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
        NeutronListQuery.pageHref(
            origin: PodForwarder.publicOrigin(of: request) ?? "", path: request.uri.path,
            parameters: QueryString.decoded(request.uri.query), marker: marker, reverse: reverse)
    }
}
