import Foundation
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway

/// `GET /instances` and `/instances/detail`: every pod's Trove asked at once, merged oldest first and paged
/// across pods with Trove's `limit`/`marker` and a `next` link back to the gateway. A pod that fails or is
/// too slow is left out of the page (the lister logs it); a pod refusing the caller's token is a 401.
struct InstanceListRoutes: APIRoutes {
    let api: DatabaseAPI

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("instances", use: list)
        group.get("instances/detail", use: detail)
    }

    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await merged(try api.begin(request, context), detail: false)
    }

    func detail(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await merged(try api.begin(request, context), detail: true)
    }

    /// Trove lists oldest first; ties (timestamps have whole seconds) by id, the same in every pod.
    static let order = [SortKey("created", ascending: true), SortKey("id", ascending: true)]

    func merged(_ call: DatabaseCall, detail: Bool) async throws -> Response {
        let query = QueryString.decoded(call.request.uri.query)
        var limit = DatabaseAPI.pageSize
        if let text = query.first(where: { $0.0 == "limit" })?.1 {
            guard let n = Int(text), n > 0 else { throw DatabaseAPI.badRequest("Validation error: limit must be a positive integer") }
            limit = min(n, DatabaseAPI.pageSize)
        }
        let marker = query.first(where: { $0.0 == "marker" })?.1
        let filters = query.filter { $0.0 != "limit" && $0.0 != "marker" }.map { URLQueryItem(name: $0.0, value: $0.1) }
        let pods = try await api.pods.bottomPods()
        let source = TroveInstanceSource(api: api, call: call, path: detail ? "/instances/detail" : "/instances", filters: filters)
        let signature = (["database_instances", call.caller.projectID, detail ? "detail" : "list"]
            + filters.map { "\($0.name)=\($0.value ?? "")" }.sorted()).joined(separator: "|")
        let page: CrossPodPage<[String: JSONValue]>
        do {
            page = try await api.lister.page(
                source, pods: pods, limit: limit, marker: marker, sortKeys: Self.order, signature: signature,
                podTimeout: api.listTimeout)
        } catch CrossPodListError.markerNotFound(let missing) {
            throw DatabaseAPI.fault(TroveError.notFound(missing))
        }
        var body: [String: JSONValue] = ["instances": .array(page.items.map { .object($0) })]
        if let next = page.nextMarker {
            var components = URLComponents()
            components.queryItems = filters + [URLQueryItem(name: "limit", value: String(limit)), URLQueryItem(name: "marker", value: next)]
            body["links"] = [["href": .string(call.origin + call.request.uri.path + "?" + (components.percentEncodedQuery ?? "")), "rel": "next"]]
        }
        return api.json(.object(body))
    }
}

/// One pod's instances for `CrossPodLister`: its whole list (followed over Trove's own pages), in the
/// merged order, after the pod's cursor. Items are the pod's JSON with links rewritten to the gateway.
struct TroveInstanceSource: CrossPodListSource {
    typealias Item = [String: JSONValue]
    let api: DatabaseAPI
    let call: DatabaseCall
    let path: String
    let filters: [URLQueryItem]

    func fetch(pod: Pod, limit: Int, marker: String?, sortKeys: [SortKey]) async throws -> [Item] {
        var all: [Item] = []
        var podMarker: String?
        // Trove pages at its own size whatever the limit asked; a pod with more is read page by page.
        for _ in 0..<1000 {
            var query = filters + [URLQueryItem(name: "limit", value: "1000")]
            if let podMarker { query.append(URLQueryItem(name: "marker", value: podMarker)) }
            let response = try await api.send(call, .get(path, query: query), to: pod)
            guard response.isSuccess else { throw PodListFailure(status: response.status) }
            var body = response.body
            if let from = PodForwarder.origin(of: response.url), !call.origin.isEmpty { body = body.replacingAll(from, with: call.origin) }
            let page = (try? JSONValue(data: Data(buffer: body)))
            let items = page?["instances"]?.arrayValue?.compactMap(\.objectValue) ?? []
            all += items
            guard let next = page?["links"]?.arrayValue?.first(where: { $0["rel"]?.stringValue == "next" }), next["href"] != nil,
                  let last = items.last?["id"]?.stringValue, !items.isEmpty else { break }
            podMarker = last
        }
        let ordered = all.sorted { CrossPodOrder.precedes($0, $1, sortKeys, value: sortValue) }
        var start = ordered.startIndex
        if let marker, let index = ordered.firstIndex(where: { $0["id"]?.stringValue == marker }) { start = index + 1 }
        return Array(ordered[start...].prefix(limit))
    }

    func id(of item: Item) -> String { item["id"]?.stringValue ?? "" }
    func bottomID(of item: Item) -> String { id(of: item) }
    func sortValue(of item: Item, field: String) -> JSONValue? { item[field] }

    func locate(marker: String) async throws -> (pod: Pod, item: Item)? {
        guard let row = try await api.routing.resolveOne(
                  topID: marker, type: .databaseInstance, projectID: call.caller.isAdmin ? nil : call.caller.projectID),
              let pod = try await api.pods.pod(id: row.podID),
              let response = try? await api.send(call, .get("/instances/\(row.bottomID ?? marker)"), to: pod), response.isSuccess,
              let item = (try? JSONValue(data: response.data))?["instance"]?.objectValue
        else { return nil }
        return (pod, item)
    }
}

/// A pod's list answered an error: that pod is left out of the page.
struct PodListFailure: Error, CustomStringConvertible {
    let status: Int
    var description: String { "the pod answered \(status)" }
}

/// The merged order applied to one pod's items (the lister's comparison, for the pod-side cut).
enum CrossPodOrder {
    static func precedes<Item>(_ a: Item, _ b: Item, _ keys: [SortKey], value: (Item, String) -> JSONValue?) -> Bool {
        for key in SortKey.total(keys) {
            let c = SortKey.compare(value(a, key.field), value(b, key.field))
            if c != 0 { return key.ascending ? c < 0 : c > 0 }
        }
        return false
    }
}
