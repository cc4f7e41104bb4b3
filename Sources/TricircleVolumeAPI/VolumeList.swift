import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels
import Synchronization
import TricircleCore
import TricircleGateway

/// How volumes (or snapshots) are listed in one pod for `CrossPodLister`: the pod's detail list at the
/// negotiated microversion with the client's filters, in the merged order; items are the pods' JSON
/// objects, whose ids are the top ids (top id = bottom id for volumes and snapshots).
struct CinderCollectionSource: CrossPodListSource {
    typealias Item = [String: JSONValue]

    let api: VolumeAPI
    let call: VolumeCall
    /// "volumes" or "snapshots": the path and the answer's member.
    let collection: String
    let type: ResourceType
    /// The client's filters, passed to every pod.
    let filters: [URLQueryItem]
    /// The first 4xx a pod answered (bad filter): told to the client when no pod could answer.
    let clientError = FirstRefusal()

    /// A pod's refusal of the list query.
    struct PodRefused: Error, CustomStringConvertible {
        let status: Int
        var description: String { "the pod answered \(status)" }
    }

    func fetch(pod: Pod, limit: Int, marker: String?, sortKeys: [SortKey]) async throws -> [Item] {
        var query = filters
        query.append(URLQueryItem(name: "limit", value: String(limit)))
        if let marker { query.append(URLQueryItem(name: "marker", value: marker)) }
        // Cinder's snapshot list takes `name` as a sort key only from 3.30 (its column `display_name` always).
        query.append(URLQueryItem(name: "sort", value: sortKeys.map {
            "\($0.field == "name" ? "display_name" : $0.field):\($0.ascending ? "asc" : "desc")"
        }.joined(separator: ",")))
        let response = try await api.send(call, .get("/\(collection)/detail", query: query), to: pod)
        guard response.isSuccess else {
            if (400..<500).contains(response.status) { clientError.keep(response) }
            throw PodRefused(status: response.status)
        }
        let items = (try? JSONValue(data: response.data))?[collection]?.arrayValue ?? []
        let podOrigin = PodForwarder.origin(of: response.url)
        return items.compactMap { item -> Item? in
            guard let podObject = item.objectValue else { return nil }
            // The top's AZ names and host names, not the pod's.
            var object = VolumeRoutes.topVolume(podObject, pod: pod)
            // The pod's own links with its origin replaced, exactly as a routed show relays them: clients
            // (Tempest's VolumesListTestJSON) compare a listed volume with its show field by field, and
            // Cinder writes the project into its links even on project-less URLs.
            if let podOrigin, !call.origin.isEmpty, let links = object["links"]?.arrayValue {
                object["links"] = .array(links.map { link in
                    guard var entry = link.objectValue, let href = entry["href"]?.stringValue else { return link }
                    entry["href"] = .string(href.replacingOccurrences(of: podOrigin, with: call.origin))
                    return .object(entry)
                })
            }
            return object
        }
    }

    func id(of item: Item) -> String { item["id"]?.stringValue ?? "" }
    func bottomID(of item: Item) -> String { item["id"]?.stringValue ?? "" }
    func sortValue(of item: Item, field: String) -> JSONValue? { item[field == "display_name" ? "name" : field] }

    /// The marker's pod from the routing table; a resource made in a pod directly (no row) is looked
    /// for in every pod at once.
    func locate(marker: String) async throws -> (pod: Pod, item: Item)? {
        let project = call.caller.isAdmin ? nil : call.caller.projectID
        var candidates: [Pod]
        if let row = try await api.routing.resolveOne(topID: marker, type: type, projectID: project),
           let pod = try await api.pods.pod(id: row.podID) {
            candidates = [pod]
        } else {
            candidates = try await api.pods.bottomPods()
        }
        let found = await Fanout.first(candidates) { pod -> (pod: Pod, item: Item)? in
            guard let response = try? await api.send(call, .get("/\(collection)/\(marker)"), to: pod), response.isSuccess,
                  let object = (try? JSONValue(data: response.data))?[String(collection.dropLast())]?.objectValue
            else { return nil }
            return (pod, object)
        }
        // A pod that refused the caller's token did not say the marker is unknown: the answer is a 401, not a 404.
        if found == nil, let rejection = await CallerTokenCheck.current?.rejection() { throw rejection }
        return found
    }
}

/// Merged, paged lists of volumes and snapshots (`VolumeRoutes`, `SnapshotRoutes`).
extension VolumeAPI {
    /// Keys Cinder sorts volumes and snapshots by.
    static let sortable: Set<String> = [
        "created_at", "updated_at", "id", "name", "display_name", "size", "status", "availability_zone", "bootable", "volume_id",
    ]
    /// Cinder's page ceiling (`osapi_max_limit`).
    static let maxLimit = 1000
    /// Query parameters the gateway interprets itself instead of passing on.
    static let pagingParameters: Set<String> = ["limit", "marker", "sort", "sort_key", "sort_dir", "offset", "with_count"]

    /// The client's `offset` (0 when absent), with Cinder's 400s (`validate_integer`).
    static func offset(_ query: [(String, String)]) throws -> Int {
        guard let text = query.first(where: { $0.0 == "offset" })?.1 else { return 0 }
        guard let value = Int(text) else { throw badRequest("offset must be an integer") }
        guard value >= 0 else { throw badRequest("offset must be >= 0") }
        return min(value, Int(Int32.max))
    }

    /// The client's `sort` (or legacy `sort_key`/`sort_dir`), newest first when absent; 400 for unknown keys.
    static func sortKeys(_ query: [(String, String)]) throws -> [SortKey] {
        var keys: [SortKey] = []
        if let sort = query.first(where: { $0.0 == "sort" })?.1 {
            for part in sort.split(separator: ",") {
                let pieces = part.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                let direction = pieces.count > 1 ? pieces[1].lowercased() : "desc"
                guard let field = pieces.first, sortable.contains(field), direction == "asc" || direction == "desc" else {
                    throw badRequest("Invalid input received: Invalid sort key \(pieces.first ?? "") or direction \(direction)")
                }
                keys.append(SortKey(field == "display_name" ? "name" : field, ascending: direction == "asc"))
            }
        } else {
            let fields = query.first(where: { $0.0 == "sort_key" })?.1.split(separator: ",").map(String.init) ?? []
            let directions = query.first(where: { $0.0 == "sort_dir" })?.1.split(separator: ",").map { $0.lowercased() } ?? []
            for (index, field) in fields.enumerated() {
                let direction = index < directions.count ? directions[index] : (directions.last ?? "desc")
                guard sortable.contains(field), direction == "asc" || direction == "desc" else {
                    throw badRequest("Invalid input received: Invalid sort key \(field) or direction \(direction)")
                }
                keys.append(SortKey(field == "display_name" ? "name" : field, ascending: direction == "asc"))
            }
        }
        return keys.isEmpty ? SortKey.newestFirst : keys
    }

    /// `GET /volumes[/detail]` and `GET /snapshots[/detail]`: every pod asked at once (time-boxed by the
    /// list timeout), merged in the requested order and paged across pods with `limit` and `marker`, with
    /// a next link back to the gateway. A pod that fails is left out (and logged by the lister); a pod
    /// that refuses the caller's token (401) makes the whole list a 401 (`PodRejectedToken`, thrown by the
    /// lister and rendered by itself), never a list without that pod's volumes.
    func mergedList(_ call: VolumeCall, collection: String, type: ResourceType, detail: Bool) async throws -> Response {
        let query = QueryString.decoded(call.request.uri.query)
        var limit = Self.maxLimit
        if let text = query.first(where: { $0.0 == "limit" })?.1 {
            guard let n = Int(text) else { throw Self.badRequest("limit param must be an integer") }
            guard n >= 0 else { throw Self.badRequest("limit param must be positive") }
            limit = min(n, Self.maxLimit)
        }
        let marker = query.first(where: { $0.0 == "marker" })?.1
        let offset = try Self.offset(query)
        let keys = try Self.sortKeys(query)

        var pods = try await self.pods.bottomPods()
        var filters: [URLQueryItem] = []
        for (name, value) in query where !Self.pagingParameters.contains(name) {
            if name == "availability_zone" {
                // Only the pod serving that AZ can have matches; it knows the AZ by its own name.
                pods = pods.filter { $0.azName == value }
                filters.append(URLQueryItem(name: name, value: pods.first?.bottomAZ ?? value))
            } else {
                filters.append(URLQueryItem(name: name, value: value))
            }
        }
        let source = CinderCollectionSource(
            api: self, call: call, collection: collection, type: type, filters: filters)
        var items: [[String: JSONValue]] = []
        var nextMarker: String?
        if limit > 0, !pods.isEmpty {
            let signature = ([collection, call.caller.projectID, keys.map { "\($0.field):\($0.ascending)" }.joined(separator: ",")]
                + filters.map { "\($0.name)=\($0.value ?? "")" }.sorted()).joined(separator: "|")
            let page: CrossPodPage<[String: JSONValue]>
            do {
                // Cinder skips `offset` items of the sorted list (after the marker), then takes `limit`.
                page = try await lister.page(
                    source, pods: pods, limit: limit + offset, marker: marker, sortKeys: keys, signature: signature,
                    podTimeout: listTimeout)
            } catch CrossPodListError.markerNotFound(let missing) {
                throw APIError(.notFound, "Marker \(missing) could not be found.", format: .fault)
            }
            if page.items.isEmpty, page.failedPods.count == pods.count, let refusal = source.clientError.first {
                // Every pod refused the query itself (a bad filter): that is the client's answer.
                return relay(refusal, call)
            }
            items = Array(page.items.dropFirst(offset))
            nextMarker = items.isEmpty ? nil : page.nextMarker
        }

        let rendered: [JSONValue] = items.map { item in
            var object = item
            let id = item["id"]?.stringValue ?? ""
            let links: JSONValue = [
                ["rel": "self", "href": .string("\(call.base)/\(collection)/\(id)")],
                ["rel": "bookmark", "href": .string("\(call.origin)/\(call.urlProject.map { "\($0)/" } ?? "")\(collection)/\(id)")],
            ]
            if collection == "volumes" || collection == "backups" {
                // The pod's links (made to lead here) when it gave some, so a listed volume equals its show.
                let links = item["links"] ?? links
                object["links"] = links
                if !detail { return ["id": .string(id), "name": item["name"] ?? .null, "links": links] }
            } else if !detail {
                // Cinder's summary snapshot view drops the extended attributes.
                object = object.filter { !$0.key.hasPrefix("os-extended-snapshot-attributes:") }
            }
            return .object(object)
        }
        var body: [String: JSONValue] = [collection: .array(rendered)]
        if let nextMarker {
            var next = URLComponents()
            next.queryItems = query.filter { $0.0 != "marker" }.map { URLQueryItem(name: $0.0, value: $0.1) }
                + [URLQueryItem(name: "marker", value: nextMarker)]
            let href = call.origin + call.request.uri.path + "?" + (next.percentEncodedQuery ?? "")
            body[collection + "_links"] = [["rel": "next", "href": .string(href)]]
        }
        return json(.object(body), call: call)
    }
}

/// The first refusal a pod gave a list query, shared by the list's concurrent pod calls.
final class FirstRefusal: Sendable {
    private let value = Mutex<RegionalResponse?>(nil)

    func keep(_ response: RegionalResponse) { value.withLock { $0 = $0 ?? response } }
    var first: RegionalResponse? { value.withLock { $0 } }
}
