import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OpenStackClient
import OpenStackModels
import Synchronization
import TricircleCore
import TricircleGateway
import TricircleStore

/// `GET /servers` and `/servers/detail`: every pod that can hold matching servers is asked at once
/// (an `availability_zone` filter narrows them), the answers are merge-sorted and paged with `limit` and
/// `marker` by `CrossPodLister`. A pod that fails or exceeds `client.list_timeout` is left out (and
/// logged); from microversion 2.69 its servers known to the routing table are shown as Nova shows
/// servers of a down cell: `status` UNKNOWN and only the fields the top knows. A pod that answers 401 to
/// the caller's token is not down: the lister throws `PodRejectedToken` and the list is a 401, never a
/// partial list nor one built from the routing table (which would show a revoked token's servers).
struct ServerListRoutes: APIRoutes {
    let calls: ComputePodCalls

    /// Nova's `max_limit`: a page never holds more.
    static let maxLimit = 1000
    /// Query parameters the gateway sets per pod itself (image and flavor are top ids, translated per pod).
    static let ownParameters: Set<String> = ["limit", "marker", "availability_zone", "image", "flavor"]

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("servers", use: list)
        group.get("servers/detail", use: listDetail)
    }

    /// `GET /servers`.
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await list(request, context, detail: false)
    }

    /// `GET /servers/detail`.
    func listDetail(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await list(request, context, detail: true)
    }

    func list(_ request: Request, _ context: GatewayRequestContext, detail: Bool) async throws -> Response {
        let caller = try context.requireCaller()
        let credentials = caller.credentials(requestID: context.requestID)
        let version = try await calls.microversions.negotiate(request, credentials: credentials)
        let pairs = QueryString.pairs(request.uri.query)
        func value(_ key: String) -> String? { pairs.last { $0.key == key }?.value }

        var limit = Self.maxLimit
        if let text = value("limit") {
            guard let parsed = Int(text), parsed >= 0, text.allSatisfy(\.isNumber) else {
                throw Nova.badRequest("Invalid input for query parameters limit. Value: \(text). '\(text)' does not match '^[0-9]*$'")
            }
            limit = min(parsed, Self.maxLimit)
        }
        let keys = pairs.filter { $0.key == "sort_key" }.map(\.value)
        let dirs = pairs.filter { $0.key == "sort_dir" }.map(\.value)
        if let problem = ServerSort.problem(keys: keys, directions: dirs) { throw Nova.badRequest(problem) }
        // Nova: created_at desc by default; each key without a direction takes the first given one.
        let sortKeys: [SortKey] = keys.isEmpty
            ? [SortKey("created_at", ascending: (dirs.first ?? "desc") == "asc")]
            : keys.indices.map { i in SortKey(keys[i], ascending: (i < dirs.count ? dirs[i] : (dirs.first ?? "desc")) == "asc") }

        let allTenants = caller.isAdmin && value("all_tenants").map { $0 != "0" && $0.lowercased() != "false" } == true
        let scope: String? = allTenants ? (value("project_id") ?? value("tenant_id")) : caller.projectID
        var pods = try await calls.pods.bottomPods()
        let azFilter = value("availability_zone")
        if let azFilter { pods = pods.filter { $0.azName == azFilter } }
        let kept = pairs.filter { !Self.ownParameters.contains($0.key) }.map(\.raw)
        let marker = value("marker")
        let root = ComputePodCalls.gatewayRoot(request)
        let source = ServerListSource(
            calls: calls, credentials: credentials, version: version, query: kept, narrowedByAZ: azFilter != nil,
            image: value("image"), flavor: value("flavor"), scope: scope, gatewayRoot: root)

        var items: [PodServer] = []
        var nextMarker: String?
        var failed: [(pod: Pod, reason: String)] = []
        if limit > 0, !pods.isEmpty {
            let page: CrossPodPage<PodServer>
            do {
                page = try await calls.lister.page(
                    source, pods: pods, limit: limit, marker: marker, sortKeys: sortKeys,
                    signature: (scope ?? "*") + "|" + (kept + ["availability_zone", "image", "flavor"].map { "\($0)=\(value($0) ?? "")" })
                        .sorted().joined(separator: "&"), podTimeout: calls.listTimeout)
            } catch CrossPodListError.markerNotFound(let id) {
                throw Nova.badRequest("marker [\(id)] not found")
            }
            // The same query went to every pod: a pod's 4xx is the client's mistake, answered as the pod wrote it.
            if let refusal = source.refusal.value.withLock({ $0 }) { return ComputePodCalls.relay(refusal, request: request) }
            items = page.items
            // A server whose delete finished shows DELETED in its pod for a moment before it is gone; the top's
            // show already answers 404 for it, so a plain list leaves it out too (asked-for deleted ones stay).
            let wantsDeleted = value("changes-since") != nil || value("changes-before") != nil
                || value("deleted").map { $0 == "1" || $0.lowercased() == "true" } == true
            if !wantsDeleted { items.removeAll { $0.object["status"]?.stringValue == "DELETED" } }
            nextMarker = page.nextMarker
            failed = page.failedPods
        }

        var rendered: [JSONValue] = []
        rendered.reserveCapacity(items.count)
        if version >= Microversion(2, 69), marker == nil, !failed.isEmpty {
            rendered += try await downCellServers(failed.map(\.pod), scope: scope, limit: limit, detail: detail, root: root)
        }
        for item in items {
            if detail {
                rendered.append(.object(item.object))
            } else {
                rendered.append(["id": item.object["id"] ?? .null, "name": item.object["name"] ?? .null, "links": item.object["links"] ?? .null])
            }
        }
        var body: [String: JSONValue] = ["servers": .array(rendered)]
        if let nextMarker {
            let path = detail ? "servers/detail" : "servers"
            var query = kept
            var components = URLComponents()
            components.queryItems = [URLQueryItem(name: "limit", value: String(limit)), URLQueryItem(name: "marker", value: nextMarker)]
            for key in ["availability_zone", "image", "flavor"] {
                if let given = value(key) { components.queryItems?.append(URLQueryItem(name: key, value: given)) }
            }
            query.append(components.percentEncodedQuery ?? "")
            body["servers_links"] = [["rel": "next", "href": .string("\(root)/v2.1/\(path)?\(query.joined(separator: "&"))")]]
        }
        return ComputeJSON.response(.object(body))
    }

    /// Nova's minimal construct for servers of pods that did not answer, from the routing table.
    func downCellServers(_ pods: [Pod], scope: String?, limit: Int, detail: Bool, root: String) async throws -> [JSONValue] {
        var out: [JSONValue] = []
        for pod in pods {
            let rows = try await calls.routing.routings.list(
                filter: RoutingFilter(podID: pod.podID, projectID: scope, resourceType: .server), limit: limit)
            for row in rows where row.isComplete {
                var server: [String: JSONValue] = [
                    "id": .string(row.topID), "status": "UNKNOWN",
                    "links": [
                        ["rel": "self", "href": .string("\(root)/v2.1/servers/\(row.topID)")],
                        ["rel": "bookmark", "href": .string("\(root)/servers/\(row.topID)")],
                    ],
                ]
                if detail {
                    server["tenant_id"] = .string(row.projectID)
                    // Stored with microseconds; Nova shows seconds.
                    server["created"] = .string(String(row.createdAt.prefix(19)) + "Z")
                }
                out.append(.object(server))
            }
        }
        return out
    }
}

/// One server as a pod listed it, with that pod.
struct PodServer: Sendable {
    let pod: Pod
    let object: [String: JSONValue]
}

/// How `/servers/detail` is listed in one pod, for `CrossPodLister`.
struct ServerListSource: CrossPodListSource {
    let calls: ComputePodCalls
    let credentials: ServiceCredentials
    let version: Microversion
    /// The client's query without limit, marker and AZ, raw.
    let query: [String]
    /// Whether the client filtered by AZ (each pod then gets its own AZ name as the filter).
    let narrowedByAZ: Bool
    /// The `image` and `flavor` filters as top ids: each pod is asked with its own copy's / mapping's id.
    let image: String?
    let flavor: String?
    let scope: String?
    let gatewayRoot: String
    /// The first client-error answer of a pod (the same query is wrong everywhere).
    let refusal = RefusalBox()

    init(calls: ComputePodCalls, credentials: ServiceCredentials, version: Microversion, query: [String],
         narrowedByAZ: Bool, image: String? = nil, flavor: String? = nil, scope: String?, gatewayRoot: String) {
        self.image = image
        self.flavor = flavor
        self.calls = calls
        self.credentials = credentials
        self.version = version
        self.query = query
        self.narrowedByAZ = narrowedByAZ
        self.scope = scope
        self.gatewayRoot = gatewayRoot
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func fetch(pod: Pod, limit: Int, marker: String?, sortKeys: [SortKey]) async throws -> [PodServer] {
        // A pod whose circuit is open is left out at once instead of after the list timeout.
        if calls.health.isOpen(podID: pod.podID) { throw Failure(description: "region \(pod.regionName) is not answering") }
        var components = URLComponents()
        var items = [URLQueryItem(name: "limit", value: String(limit))]
        if let marker { items.append(URLQueryItem(name: "marker", value: marker)) }
        if narrowedByAZ { items.append(URLQueryItem(name: "availability_zone", value: pod.bottomAZ)) }
        // A copied image has its own id in the pod; a mapped flavor may too. Without a copy or mapping the
        // pod's servers were booted with the same id, or none uses it: the top id is sent as it is.
        if let image {
            let copy = try await calls.routing.resolve(topID: image, type: .image, podID: pod.podID, projectID: nil)?.bottomID
            items.append(URLQueryItem(name: "image", value: copy ?? image))
        }
        if let flavor {
            items.append(URLQueryItem(name: "flavor", value: try await calls.provisioners.flavor?.mappedFlavor(flavor, in: pod) ?? flavor))
        }
        components.queryItems = items
        let own = (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        let path = "/servers/detail?" + (query + [own]).joined(separator: "&")
        let response = try await calls.call("GET", path, pod: pod, version: version, credentials: credentials)
        guard response.isSuccess else {
            if (400..<500).contains(response.status), response.status != 401 {
                refusal.value.withLock { if $0 == nil { $0 = response } }
            }
            throw Failure(description: "region \(pod.regionName) answered \(response.status)")
        }
        // Links name the pod: rewritten on the bytes, as a relayed answer's are, before the one parse.
        var answer = response
        if let podRoot = ComputePodCalls.podRoot(of: response, sentPath: path) {
            answer.body = response.body.replacingAll(podRoot, with: gatewayRoot)
        }
        guard let json = try? answer.decode(JSONValue.self), let servers = json["servers"]?.arrayValue else {
            throw Failure(description: "region \(pod.regionName) answered something that is not a server list")
        }
        let objects = servers.compactMap(\.objectValue)
        return await calls.views.translate(objects, pod: pod, root: gatewayRoot).map { PodServer(pod: pod, object: $0) }
    }

    func id(of item: PodServer) -> String { item.object["id"]?.stringValue ?? "" }

    func bottomID(of item: PodServer) -> String { id(of: item) }

    /// Nova's sort keys read from the detailed view. `id` — the tie-break `CrossPodLister` adds — is the
    /// pod: within one pod the pod's own order stands (the merge keeps it), across pods ties go by pod.
    func sortValue(of item: PodServer, field: String) -> JSONValue? {
        let o = item.object
        switch field {
        case "id": return .string(item.pod.azName + "|" + item.pod.podID)
        case "created_at": return o["created"]
        case "updated_at": return o["updated"]
        case "display_name": return o["name"]
        case "uuid": return o["id"]
        case "vm_state": return o["OS-EXT-STS:vm_state"]
        case "task_state": return o["OS-EXT-STS:task_state"]
        case "power_state": return o["OS-EXT-STS:power_state"]
        case "availability_zone": return o["OS-EXT-AZ:availability_zone"]
        case "key_name": return o["key_name"]
        case "launched_at": return o["OS-SRV-USG:launched_at"]
        case "terminated_at": return o["OS-SRV-USG:terminated_at"]
        case "project_id": return o["tenant_id"]
        case "user_id": return o["user_id"]
        case "host", "node": return o["OS-EXT-SRV-ATTR:host"]
        case "hostname": return o["OS-EXT-SRV-ATTR:hostname"]
        case "image_ref": return o["image"]?["id"] ?? o["image"]
        case "instance_type_id": return o["flavor"]?["id"] ?? o["flavor"]?["original_name"]
        case "display_description": return o["description"]
        case "access_ip_v4": return o["accessIPv4"]
        case "access_ip_v6": return o["accessIPv6"]
        case "progress": return o["progress"]
        case "config_drive": return o["config_drive"]
        case "launch_index": return o["OS-EXT-SRV-ATTR:launch_index"]
        case "root_device_name": return o["OS-EXT-SRV-ATTR:root_device_name"]
        case "kernel_id": return o["OS-EXT-SRV-ATTR:kernel_id"]
        case "ramdisk_id": return o["OS-EXT-SRV-ATTR:ramdisk_id"]
        case "auto_disk_config": return o["OS-DCF:diskConfig"]
        default: return o["created"]
        }
    }

    func locate(marker: String) async throws -> (pod: Pod, item: PodServer)? {
        guard let row = try await calls.routing.resolveOne(topID: marker, type: .server, projectID: scope),
              let pod = try await calls.pods.pod(id: row.podID)
        else { return nil }
        let response = try await calls.call("GET", "/servers/\(row.bottomID ?? marker)", pod: pod, version: version, credentials: credentials)
        guard response.isSuccess, let object = (try? JSONValue(data: response.data))?["server"]?.objectValue else { return nil }
        return (pod, PodServer(pod: pod, object: object))
    }
}

/// Holds the first client-error answer of a list's pods.
final class RefusalBox: Sendable {
    let value = Mutex<RegionalResponse?>(nil)
}
