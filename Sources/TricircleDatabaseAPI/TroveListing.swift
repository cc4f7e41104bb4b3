import Foundation
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway

/// A Trove list merged over every pod and paged with Trove's `limit` (at most its page size, 20) and
/// `marker`, a `links: [{"rel": "next", "href": ...}]` back to the gateway when the page is full: the one
/// way instances, configurations, backups and clusters are listed at the top. Built on the kit's
/// `CrossPodLister`, so a pod that fails or is slower than `[client] list_timeout` is left out and logged.
struct TroveListing {
    let api: DatabaseAPI

    /// One merged page of `collection` (`"instances"`, `"configurations"`, ...). `source` gets the
    /// client's other query parameters (filters, passed on to every pod); `kind` names the list in the
    /// lister's cursor cache; an unknown marker is `markerNotFound`'s error.
    func page<Source: CrossPodListSource>(
        _ call: DatabaseCall, collection: String, kind: String, order: [SortKey],
        markerNotFound: (String) -> APIError = { DatabaseAPI.fault(TroveError.notFound($0)) },
        source: ([URLQueryItem]) -> Source
    ) async throws -> Response where Source.Item == [String: JSONValue] {
        let query = QueryString.decoded(call.request.uri.query)
        var limit = DatabaseAPI.pageSize
        if let text = query.first(where: { $0.0 == "limit" })?.1 {
            guard let n = Int(text), n > 0 else { throw DatabaseAPI.badRequest("Validation error: limit must be a positive integer") }
            limit = min(n, DatabaseAPI.pageSize)
        }
        let marker = query.first(where: { $0.0 == "marker" })?.1
        let filters = query.filter { $0.0 != "limit" && $0.0 != "marker" }.map { URLQueryItem(name: $0.0, value: $0.1) }
        let signature = ([kind, call.caller.projectID] + filters.map { "\($0.name)=\($0.value ?? "")" }.sorted()).joined(separator: "|")
        let page: CrossPodPage<[String: JSONValue]>
        do {
            page = try await api.lister.page(
                source(filters), pods: try await api.pods.bottomPods(), limit: limit, marker: marker, sortKeys: order,
                signature: signature, podTimeout: api.listTimeout)
        } catch CrossPodListError.markerNotFound(let missing) {
            throw markerNotFound(missing)
        }
        var body: [String: JSONValue] = [collection: .array(page.items.map { .object($0) })]
        if let next = page.nextMarker {
            var components = URLComponents()
            components.queryItems = filters + [URLQueryItem(name: "limit", value: String(limit)), URLQueryItem(name: "marker", value: next)]
            body["links"] = [["href": .string(call.origin + call.request.uri.path + "?" + (components.percentEncodedQuery ?? "")), "rel": "next"]]
        }
        return api.json(.object(body))
    }
}

/// One pod's part of a Trove list for `CrossPodLister`: its whole list (followed over Trove's own pages,
/// whatever their marker is: an id, or an offset for backups), in the merged order, after the cursor.
/// Items are the pod's JSON with links rewritten to the gateway; top id = bottom id.
struct TroveListSource: CrossPodListSource {
    typealias Item = [String: JSONValue]
    let api: DatabaseAPI
    let call: DatabaseCall
    let path: String
    let collection: String
    let filters: [URLQueryItem]
    /// The item a client's marker names and its pod (nil: not the caller's).
    let locator: @Sendable (String) async throws -> (pod: Pod, item: Item)?

    func fetch(pod: Pod, limit: Int, marker: String?, sortKeys: [SortKey]) async throws -> [Item] {
        let all = try await Self.everything(api: api, call: call, path: path, collection: collection, filters: filters, in: pod)
        return CrossPodOrder.page(all, after: marker, limit: limit, sortKeys)
    }

    /// Every item of a pod's list, page after page (Trove pages at its own size whatever the limit asked).
    static func everything(
        api: DatabaseAPI, call: DatabaseCall, path: String, collection: String, filters: [URLQueryItem], in pod: Pod
    ) async throws -> [Item] {
        var all: [Item] = []
        var podMarker: String?
        for _ in 0..<1000 {
            var query = filters + [URLQueryItem(name: "limit", value: "1000")]
            if let podMarker { query.append(URLQueryItem(name: "marker", value: podMarker)) }
            let response = try await api.send(call, .get(path, query: query), to: pod)
            guard response.isSuccess else { throw PodListFailure(status: response.status) }
            var body = response.body
            if let from = PodForwarder.origin(of: response.url), !call.origin.isEmpty { body = body.replacingAll(from, with: call.origin) }
            let page = try? JSONValue(data: Data(buffer: body))
            let items = page?[collection]?.arrayValue?.compactMap(\.objectValue) ?? []
            all += items
            guard !items.isEmpty, let href = page?["links"]?.arrayValue?.first(where: { $0["rel"]?.stringValue == "next" })?["href"]?.stringValue,
                  let next = URLComponents(string: href)?.queryItems?.first(where: { $0.name == "marker" })?.value, next != podMarker
            else { break }
            podMarker = next
        }
        return all
    }

    func id(of item: Item) -> String { item["id"]?.stringValue ?? "" }
    func bottomID(of item: Item) -> String { id(of: item) }
    func sortValue(of item: Item, field: String) -> JSONValue? { item[field] }
    func locate(marker: String) async throws -> (pod: Pod, item: Item)? { try await locator(marker) }
}

/// A pod's list answered an error: that pod is left out of the page.
struct PodListFailure: Error, CustomStringConvertible {
    let status: Int
    var description: String { "the pod answered \(status)" }
}

/// The merged order applied to one pod's items (the lister's comparison, for the pod-side cut).
enum CrossPodOrder {
    /// One pod's items in the merged order, after the item with id `marker` (from the start when it is
    /// not among them), at most `limit`.
    static func page(_ items: [[String: JSONValue]], after marker: String?, limit: Int, _ keys: [SortKey]) -> [[String: JSONValue]] {
        let ordered = items.sorted { precedes($0, $1, keys, value: { $0[$1] }) }
        var start = ordered.startIndex
        if let marker, let index = ordered.firstIndex(where: { $0["id"]?.stringValue == marker }) { start = index + 1 }
        return Array(ordered[start...].prefix(limit))
    }

    static func precedes<Item>(_ a: Item, _ b: Item, _ keys: [SortKey], value: (Item, String) -> JSONValue?) -> Bool {
        for key in SortKey.total(keys) {
            let c = SortKey.compare(value(a, key.field), value(b, key.field))
            if c != 0 { return key.ascending ? c < 0 : c > 0 }
        }
        return false
    }
}
