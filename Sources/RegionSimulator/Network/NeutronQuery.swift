import Foundation
import Hummingbird
import OpenStackModels

/// A Neutron resource that list endpoints can filter, sort and page.
protocol NeutronListable: Codable, Sendable {
    var id: String { get }
    var tags: [String] { get }
    var revisionNumber: Int { get }
    /// Scalar attributes read straight from the struct (fast path); nil sends the lookup to the JSON form.
    func quickAttribute(_ key: String) -> JSONValue?
    /// Every attribute name a client may filter or sort on.
    static var attributeNames: Set<String> { get }
}

extension NeutronListQuery {
    /// The request's query read as Neutron does (see `NeutronListQuery` in OpenStackModels).
    init(_ request: Request, attributes: Set<String>, extraFilters: Set<String> = []) throws {
        try self.init(parameters: QueryString.decoded(request.uri.query),
                      attributes: attributes, extraFilters: extraFilters)
    }
}

/// An item with its JSON form computed at most once.
struct NeutronListEntry<T: NeutronListable> {
    var item: T
    var json: [String: JSONValue]?

    init(_ item: T) { self.item = item }

    mutating func attribute(_ key: String) -> JSONValue {
        if let quick = item.quickAttribute(key) { return quick }
        if json == nil { json = (try? JSONValue(encoding: item))?.objectValue ?? [:] }
        return json?[key] ?? .null
    }
}

enum NeutronList {
    /// True when `item` passes the query's filters and tag filters (run under the state lock, so
    /// non-matching items are never copied out).
    static func matches<T: NeutronListable>(
        _ item: T, _ query: NeutronListQuery, extraFilter: ((inout NeutronListEntry<T>, String, [String]) -> Bool?)?
    ) -> Bool {
        guard query.matchesTags(item.tags) else { return false }
        guard !query.filters.isEmpty else { return true }
        var entry = NeutronListEntry(item)
        for (key, values) in query.filters {
            if let special = extraFilter?(&entry, key, values) {
                if !special { return false }
                continue
            }
            if !NeutronListQuery.matches(entry.attribute(key), values) { return false }
        }
        return true
    }

    /// Sorts and pages filtered `items` (with their creation sequence) and renders the collection body.
    static func respond<T: NeutronListable>(
        _ items: [(T, UInt64)], query: NeutronListQuery, collection: String, request: Request,
        notFound: (String) -> NeutronError, requestID: String
    ) throws -> Response {
        var entries: [NeutronListEntry<T>]
        // Neutron sorts by the requested keys with id as the tie-breaker; paging without keys sorts by id.
        var sortKeys = query.sort
        if sortKeys.isEmpty, query.limit == nil, query.marker == nil {
            entries = items.sorted { $0.1 < $1.1 }.map { NeutronListEntry($0.0) }
        } else if sortKeys.isEmpty || sortKeys.count == 1 && sortKeys[0].key == "id" {
            let ascending = sortKeys.first?.ascending ?? true
            if let limit = query.limit, !query.pageReverse {
                // The common "next page by id" request: select the page without sorting everything.
                return try respondPage(
                    items.map(\.0), ascending: ascending, limit: limit, query: query, collection: collection,
                    request: request, notFound: notFound, requestID: requestID)
            }
            entries = items.map(\.0).sorted { ascending ? $0.id < $1.id : $0.id > $1.id }.map { NeutronListEntry($0) }
        } else {
            if !sortKeys.contains(where: { $0.key == "id" }) { sortKeys.append(("id", sortKeys.first?.ascending ?? true)) }
            var keyed: [(values: [JSONValue], entry: NeutronListEntry<T>)] = []
            keyed.reserveCapacity(items.count)
            for (item, _) in items {
                var entry = NeutronListEntry(item)
                let values = sortKeys.map { entry.attribute($0.key) }
                keyed.append((values, entry))
            }
            keyed.sort { a, b in
                for (index, key) in sortKeys.enumerated() {
                    let x = a.values[index], y = b.values[index]
                    if x == y { continue }
                    return key.ascending ? NeutronListQuery.less(x, y) : NeutronListQuery.less(y, x)
                }
                return false
            }
            entries = keyed.map(\.entry)
        }
        return try render(entries, query: query, collection: collection, request: request, notFound: notFound, requestID: requestID)
    }

    /// Pages by id when the sort is by id only: one pass keeps the `limit` smallest ids after the marker.
    static func respondPage<T: NeutronListable>(
        _ items: [T], ascending: Bool, limit: Int, query: NeutronListQuery, collection: String, request: Request,
        notFound: (String) -> NeutronError, requestID: String
    ) throws -> Response {
        if let marker = query.marker, !items.contains(where: { $0.id == marker }) { throw notFound(marker) }
        func before(_ a: String, _ b: String) -> Bool { ascending ? a < b : a > b }
        var best: [T] = []
        best.reserveCapacity(limit + 1)
        for item in items {
            if let marker = query.marker, !before(marker, item.id) { continue }
            if best.count == limit, let last = best.last, !before(item.id, last.id) { continue }
            var low = 0, high = best.count
            while low < high {
                let mid = (low + high) / 2
                if before(best[mid].id, item.id) { low = mid + 1 } else { high = mid }
            }
            best.insert(item, at: low)
            if best.count > limit { best.removeLast() }
        }
        var unmarked = query
        unmarked.marker = nil
        return try render(best.map { NeutronListEntry($0) }, query: unmarked, collection: collection, request: request,
                          notFound: notFound, requestID: requestID, originalMarker: query.marker)
    }

    /// Applies marker and limit to sorted entries and renders them with `<collection>_links`.
    static func render<T: NeutronListable>(
        _ entries: [NeutronListEntry<T>], query: NeutronListQuery, collection: String, request: Request,
        notFound: (String) -> NeutronError, requestID: String, originalMarker: String? = nil
    ) throws -> Response {
        var page = entries[...]
        if let marker = query.marker {
            guard let index = entries.firstIndex(where: { $0.item.id == marker }) else { throw notFound(marker) }
            page = query.pageReverse ? entries[..<index] : entries[(index + 1)...]
        } else if query.pageReverse {
            page = entries[...]
        }
        if let limit = query.limit {
            page = query.pageReverse ? page.suffix(limit) : page.prefix(limit)
        }
        let pageEntries = Array(page)
        var links: [Link] = []
        if let limit = query.limit {
            if !(pageEntries.count < limit && !query.pageReverse), let last = pageEntries.last {
                links.append(Link(rel: "next", href: pageHref(request, marker: last.item.id, reverse: false)))
            }
            // Like Neutron, a previous link only once the client has paged (a marker was given).
            if !(pageEntries.count < limit && query.pageReverse), originalMarker ?? query.marker != nil,
               let first = pageEntries.first {
                links.append(Link(rel: "previous", href: pageHref(request, marker: first.item.id, reverse: true)))
            }
        }
        if query.fields.isEmpty {
            return try NeutronHTTP.encoded(
                CollectionBody(key: collection, items: pageEntries.map(\.item), links: links), requestID: requestID)
        }
        var objects: [JSONValue] = []
        objects.reserveCapacity(pageEntries.count)
        for var entry in pageEntries {
            var object: [String: JSONValue] = [:]
            for field in query.fields where T.attributeNames.contains(field) { object[field] = entry.attribute(field) }
            objects.append(.object(object))
        }
        var body: [String: JSONValue] = [collection: .array(objects)]
        if !links.isEmpty {
            body[collection + "_links"] = .array(links.map { .object(["rel": .string($0.rel), "href": .string($0.href)]) })
        }
        return NeutronHTTP.json(.object(body), requestID: requestID)
    }

    /// A next/previous link: the request's own query with `marker` (and `page_reverse`) replaced.
    static func pageHref(_ request: Request, marker: String, reverse: Bool) -> String {
        NeutronListQuery.pageHref(
            origin: SimHTTP.baseURL(request), path: request.uri.path,
            parameters: request.uri.queryParameters.map { (String($0.key), String($0.value)) }, marker: marker, reverse: reverse)
    }

    /// Projects a single resource onto `fields` when the request names any.
    static func single<T: NeutronListable>(_ item: T, key: String, request: Request, requestID: String, status: Int = 200) throws -> Response {
        let fields = request.uri.queryParameters.getAll("fields").flatMap { $0.split(separator: ",").map(String.init) }
        if fields.isEmpty {
            return try NeutronHTTP.encoded(SingleBody(key: key, item: item), status: status, requestID: requestID)
        }
        var entry = NeutronListEntry(item)
        var object: [String: JSONValue] = [:]
        for field in fields where T.attributeNames.contains(field) { object[field] = entry.attribute(field) }
        return NeutronHTTP.json(.object([key: .object(object)]), status: status, requestID: requestID)
    }
}

/// `{"<key>": [...], "<key>_links": [...]}` without building JSON values.
struct CollectionBody<T: Encodable>: Encodable {
    var key: String
    var items: [T]
    var links: [Link]

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: DynamicKey.self)
        try container.encode(items, forKey: DynamicKey(key))
        if !links.isEmpty { try container.encode(links, forKey: DynamicKey(key + "_links")) }
    }
}

/// `{"<key>": {...}}`.
struct SingleBody<T: Encodable>: Encodable {
    var key: String
    var item: T

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: DynamicKey.self)
        try container.encode(item, forKey: DynamicKey(key))
    }
}

struct DynamicKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ value: String) { stringValue = value }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
