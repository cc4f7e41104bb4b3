import Foundation
import Hummingbird
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway

/// `/os-hypervisors` (admin only): every pod's hypervisors, `hypervisor_hostname` and the service's
/// host as `<region>:<host>`, integer ids (before 2.53) made unique by `PodSlots`, UUIDs (2.53+) as
/// the pods gave them; `statistics` (until 2.87) summed over the pods.
struct HypervisorRoutes: APIRoutes {
    let admin: ComputeAdminCalls

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("os-hypervisors", use: list)
        group.get("os-hypervisors/detail", use: detail)
        group.get("os-hypervisors/statistics", use: statistics)
        group.get("os-hypervisors/:hypervisor", use: show)
        group.get("os-hypervisors/:hypervisor/uptime", use: uptime)
        group.get("os-hypervisors/:hypervisor/search", use: search)
        group.get("os-hypervisors/:hypervisor/servers", use: servers)
    }

    /// A pod's hypervisor as the top shows it.
    static func view(_ hypervisor: JSONValue, pod: Pod, slots: PodSlots) -> JSONValue {
        guard case .object(var o) = hypervisor else { return hypervisor }
        o["id"] = slots.topID(o["id"], in: pod)
        if let name = o["hypervisor_hostname"]?.stringValue { o["hypervisor_hostname"] = .string(TopHost.name(name, in: pod)) }
        if case .object(var service)? = o["service"] {
            service["id"] = slots.topID(service["id"], in: pod)
            if let host = service["host"]?.stringValue { service["host"] = .string(TopHost.name(host, in: pod)) }
            o["service"] = .object(service)
        }
        return .object(o)
    }

    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await listing(request, context, detail: false)
    }

    func detail(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await listing(request, context, detail: true)
    }

    /// The merged list, paged at the top (`limit`/`marker` from 2.33; the marker is a top id).
    func listing(_ request: Request, _ context: GatewayRequestContext, detail: Bool) async throws -> Response {
        let call = try await admin.begin(request, context, rule: "os_compute_api:os-hypervisors:\(detail ? "detail" : "list")")
        var pods = try await admin.calls.pods.bottomPods()
        let slots = PodSlots(pods)
        var query = ComputeAdminCalls.query(request, dropping: ["limit", "marker", "hypervisor_hostname_pattern"])
        if let pattern = call.query("hypervisor_hostname_pattern") {
            // A pattern naming a region (`RegionOne:host`) asks only that region, for the host part.
            var bare = pattern
            if let parsed = TopHost.parse(pattern), pods.contains(where: { $0.regionName == parsed.region }) {
                pods = pods.filter { $0.regionName == parsed.region }
                bare = parsed.host
            }
            let item = URLQueryItem(name: "hypervisor_hostname_pattern", value: bare)
            var components = URLComponents()
            components.queryItems = [item]
            query += (query.isEmpty ? "?" : "&") + (components.percentEncodedQuery ?? "")
        }
        let answers = try await admin.askEvery(call, "/os-hypervisors\(detail ? "/detail" : "")\(query)", pods: pods)
        var items: [JSONValue] = []
        for answer in answers {
            for item in answer.body?["hypervisors"]?.arrayValue ?? [] { items.append(Self.view(item, pod: answer.pod, slots: slots)) }
        }
        if call.atLeast(2, 33) {
            if let marker = call.query("marker") {
                guard let index = items.firstIndex(where: { Self.idText($0["id"]) == marker }) else {
                    throw Nova.badRequest("marker [\(marker)] not found")
                }
                items = Array(items[(index + 1)...])
            }
            if let text = call.query("limit") {
                guard let limit = Int(text), limit >= 0 else { throw Nova.badRequest("limit param must be an integer") }
                items = Array(items.prefix(limit))
            }
        }
        return admin.json(["hypervisors": .array(items)], call)
    }

    static func idText(_ value: JSONValue?) -> String? {
        value?.intValue.map(String.init) ?? value?.stringValue
    }

    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await one(request, context, rule: "show", suffix: "")
    }

    /// `GET /os-hypervisors/{id}/uptime` (until 2.87).
    func uptime(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await admin.begin(request, context, rule: "os_compute_api:os-hypervisors:uptime")
        guard !call.atLeast(2, 88) else { throw Nova.notFound("The resource could not be found.") }
        return try await one(request, context, rule: "uptime", suffix: "/uptime")
    }

    /// One hypervisor (`suffix`: "" or "/uptime") by its top id: an integer says its pod, a UUID is
    /// looked for in every pod.
    func one(_ request: Request, _ context: GatewayRequestContext, rule: String, suffix: String) async throws -> Response {
        let call = try await admin.begin(request, context, rule: "os_compute_api:os-hypervisors:\(rule)")
        let id = try context.parameters.require("hypervisor")
        let pods = try await admin.calls.pods.bottomPods()
        let slots = PodSlots(pods)
        let notFound = Nova.notFound("Hypervisor with ID '\(id)' could not be found.")
        if call.atLeast(2, 53) {
            guard UUID(uuidString: id) != nil else { throw Nova.badRequest("Invalid uuid \(id)") }
            // UUIDs do not say their pod: the one pod that knows it answers.
            let answers = try await admin.askEvery(call, "/os-hypervisors/\(id)\(suffix)" + ComputeAdminCalls.query(request, dropping: []), pods: pods)
            guard let found = answers.first(where: { $0.body?["hypervisor"] != nil }), let hypervisor = found.body?["hypervisor"] else {
                throw notFound
            }
            return admin.json(["hypervisor": Self.view(hypervisor, pod: found.pod, slots: slots)], call)
        }
        guard let number = Int(id), let (pod, bottom) = slots.resolve(number), bottom > 0 else { throw notFound }
        let response = try await admin.send(call, "GET", "/os-hypervisors/\(bottom)\(suffix)", to: pod)
        guard response.isSuccess, let hypervisor = (try? response.decode(JSONValue.self))?["hypervisor"] else {
            if response.status == 404 { throw notFound }
            throw RelayedPodAnswer(response: response)
        }
        return admin.json(["hypervisor": Self.view(hypervisor, pod: pod, slots: slots)], call)
    }

    func search(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await matching(request, context, what: "search")
    }

    func servers(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await matching(request, context, what: "servers")
    }

    /// `GET /os-hypervisors/{pattern}/search|servers` (until 2.52): the hypervisors whose host name
    /// has the pattern, in every pod (a `<region>:` pattern asks that region for the rest).
    func matching(_ request: Request, _ context: GatewayRequestContext, what: String) async throws -> Response {
        let call = try await admin.begin(request, context, rule: "os_compute_api:os-hypervisors:\(what)")
        guard !call.atLeast(2, 53) else { throw Nova.notFound("The resource could not be found.") }
        let pattern = try context.parameters.require("hypervisor")
        let decoded = pattern.removingPercentEncoding ?? pattern
        var pods = try await admin.calls.pods.bottomPods()
        let slots = PodSlots(pods)
        var bare = decoded
        if let parsed = TopHost.parse(decoded), pods.contains(where: { $0.regionName == parsed.region }) {
            pods = pods.filter { $0.regionName == parsed.region }
            bare = parsed.host
        }
        let escaped = bare.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? bare
        var items: [JSONValue] = []
        do {
            for answer in try await admin.askEvery(call, "/os-hypervisors/\(escaped)/\(what)", pods: pods) {
                for item in answer.body?["hypervisors"]?.arrayValue ?? [] { items.append(Self.view(item, pod: answer.pod, slots: slots)) }
            }
        } catch is RelayedPodAnswer {
            // Every pod said it has no such hypervisor.
        }
        guard !items.isEmpty else { throw Nova.notFound("No hypervisor matching '\(decoded)' could be found.") }
        return admin.json(["hypervisors": .array(items)], call)
    }

    /// Nova removed the statistics in 2.88 (404 from then on).
    func statistics(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await admin.begin(request, context, rule: "os_compute_api:os-hypervisors:statistics")
        guard !call.atLeast(2, 88) else { throw Nova.notFound("The resource could not be found.") }
        let answers = try await admin.askEvery(call, "/os-hypervisors/statistics")
        let total = answers.compactMap { answer in
            try? answer.body?["hypervisor_statistics"]?.decode(HypervisorStatistics.self)
        }.reduce(HypervisorStatistics(), +)
        return admin.json(["hypervisor_statistics": try JSONValue(encoding: total)], call)
    }
}
