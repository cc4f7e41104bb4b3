import Foundation
import Hummingbird
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway

/// `/os-aggregates` (admin only, as in Nova): one aggregate `ag_<region>` per pod in its AZ, as the
/// original Tricircle made at pod registration, plus the pods' own aggregates. Ids are made unique
/// across pods by `PodSlots` (`ag_<region>` is the pod's slot itself); hosts are `<region>:<host>`.
/// Changes go to the aggregate's pod; `ag_<region>` stands for the region and cannot be changed.
struct AggregateRoutes: APIRoutes {
    let admin: ComputeAdminCalls

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("os-aggregates", use: list)
        group.post("os-aggregates", use: create)
        group.get("os-aggregates/:aggregate", use: show)
        group.put("os-aggregates/:aggregate", use: update)
        group.delete("os-aggregates/:aggregate", use: delete)
        group.post("os-aggregates/:aggregate/action", use: action)
    }

    // MARK: Views

    /// The top's aggregate standing for a pod: its AZ, its compute hosts.
    func podAggregate(_ pod: Pod, slots: PodSlots, hosts: [String], call: ComputeAdminCalls.Call) -> JSONValue {
        var o: [String: JSONValue] = [
            "id": .int(slots.slot(of: pod)), "name": .string("ag_\(pod.regionName)"),
            "availability_zone": .string(pod.azName), "hosts": .array(hosts.map { .string(TopHost.name($0, in: pod)) }),
            "metadata": ["availability_zone": .string(pod.azName)],
            "created_at": .string(pod.createdAt), "updated_at": .null, "deleted_at": .null, "deleted": false,
        ]
        if call.atLeast(2, 41) { o["uuid"] = .string(Self.uuid(for: pod)) }
        return .object(o)
    }

    /// A stable UUID for `ag_<region>`: the pod's id is one already.
    static func uuid(for pod: Pod) -> String { pod.podID }

    /// A pod's aggregate as the top shows it: top id, qualified hosts, the top's AZ name.
    func view(_ aggregate: JSONValue, pod: Pod, slots: PodSlots) -> JSONValue {
        guard case .object(var o) = aggregate else { return aggregate }
        o["id"] = slots.topID(o["id"], in: pod)
        if let hosts = o["hosts"]?.arrayValue {
            o["hosts"] = .array(hosts.map { $0.stringValue.map { .string(TopHost.name($0, in: pod)) } ?? $0 })
        }
        if let zone = o["availability_zone"]?.stringValue { o["availability_zone"] = .string(TopHost.zone(zone, in: pod)) }
        if let zone = o["metadata"]?["availability_zone"]?.stringValue, let metadata = o["metadata"] {
            o["metadata"] = metadata.setting("availability_zone", .string(TopHost.zone(zone, in: pod)))
        }
        return .object(o)
    }

    // MARK: Handlers

    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await admin.begin(request, context, rule: "os_compute_api:os-aggregates:index")
        return admin.json(["aggregates": .array(try await all(call))], call)
    }

    /// Every aggregate at the top, in id order.
    func all(_ call: ComputeAdminCalls.Call) async throws -> [JSONValue] {
        let pods = try await admin.calls.pods.bottomPods()
        let slots = PodSlots(pods)
        async let aggregates = admin.askEvery(call, "/os-aggregates", pods: pods)
        async let services = admin.askEvery(call, "/os-services?binary=nova-compute", pods: pods)
        let hosts = Dictionary(try await services.map { answer in
            (answer.pod.podID, answer.body?["services"]?.arrayValue?.compactMap { $0["host"]?.stringValue } ?? [])
        }, uniquingKeysWith: { first, _ in first })
        var out = pods.map { podAggregate($0, slots: slots, hosts: hosts[$0.podID] ?? [], call: call) }
        for answer in try await aggregates {
            for item in answer.body?["aggregates"]?.arrayValue ?? [] { out.append(view(item, pod: answer.pod, slots: slots)) }
        }
        return out.sorted { ($0["id"]?.intValue ?? 0) < ($1["id"]?.intValue ?? 0) }
    }

    /// The aggregate behind a top id: its pod, and its id there (0: `ag_<region>`); Nova's 404 otherwise.
    func locate(_ text: String) async throws -> (pod: Pod, bottom: Int, slots: PodSlots) {
        let slots = PodSlots(try await admin.calls.pods.bottomPods())
        guard let id = Int(text), let (pod, bottom) = slots.resolve(id) else {
            throw Nova.notFound("Aggregate \(text) could not be found.")
        }
        return (pod, bottom, slots)
    }

    /// The pod's answer about one aggregate, for the client: the top's view, or the pod's error with
    /// its id said as the top's.
    func answer(_ response: RegionalResponse, topID: String, bottom: Int, pod: Pod, slots: PodSlots, call: ComputeAdminCalls.Call) throws -> Response {
        guard response.isSuccess else {
            if response.status == 404, String(buffer: response.body).contains("Aggregate \(bottom) could not be found") {
                throw Nova.notFound("Aggregate \(topID) could not be found.")
            }
            var rewritten = response
            rewritten.body = response.body.replacingAll("aggregate \(bottom)", with: "aggregate \(topID)")
                .replacingAll("Aggregate \(bottom) ", with: "Aggregate \(topID) ")
            throw RelayedPodAnswer(response: rewritten)
        }
        guard let body = try? response.decode(JSONValue.self), let aggregate = body["aggregate"] else {
            return admin.json([:], call, status: HTTPResponse.Status(code: response.status))
        }
        return admin.json(["aggregate": view(aggregate, pod: pod, slots: slots)], call, status: HTTPResponse.Status(code: response.status))
    }

    static func unchangeable(_ action: String, topID: String, pod: Pod) -> APIError {
        Nova.badRequest(
            "Cannot perform action '\(action)' on aggregate \(topID). Reason: it stands for region \(pod.regionName) and is kept by the gateway.")
    }

    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await admin.begin(request, context, rule: "os_compute_api:os-aggregates:show")
        let text = try context.parameters.require("aggregate")
        let (pod, bottom, slots) = try await locate(text)
        if bottom == 0 {
            let services = try await admin.askEvery(call, "/os-services?binary=nova-compute", pods: [pod])
            let hosts = services.first?.body?["services"]?.arrayValue?.compactMap { $0["host"]?.stringValue } ?? []
            return admin.json(["aggregate": podAggregate(pod, slots: slots, hosts: hosts, call: call)], call)
        }
        let response = try await admin.send(call, "GET", "/os-aggregates/\(bottom)", to: pod)
        return try answer(response, topID: text, bottom: bottom, pod: pod, slots: slots, call: call)
    }

    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await admin.begin(request, context, rule: "os_compute_api:os-aggregates:create")
        let body = try ComputePodCalls.jsonObject(try await ComputePodCalls.body(request))
        guard var aggregate = body["aggregate"]?.objectValue else {
            throw Nova.badRequest("Invalid input for field/attribute aggregate. Value: \(JSONValue.object(body)). 'aggregate' is a required property")
        }
        let zone = aggregate["availability_zone"]?.stringValue
        let pod: Pod
        do {
            pod = try await admin.calls.pods.podForCreate(availabilityZone: zone)
        } catch {
            throw Nova.badRequest("Invalid input for field/attribute availability_zone. Value: \(zone ?? ""). No region serves availability zone \(zone ?? "").")
        }
        if let name = aggregate["name"]?.stringValue, try await all(call).contains(where: { $0["name"]?.stringValue == name }) {
            throw Nova.conflict("Aggregate \(name) already exists.")
        }
        if let zone { aggregate["availability_zone"] = .string(TopHost.podZone(zone, in: pod)) }
        let slots = PodSlots(try await admin.calls.pods.bottomPods())
        let response = try await admin.send(call, "POST", "/os-aggregates", to: pod, body: ["aggregate": .object(aggregate)])
        return try answer(response, topID: "", bottom: -1, pod: pod, slots: slots, call: call)
    }

    func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await admin.begin(request, context, rule: "os_compute_api:os-aggregates:update")
        let text = try context.parameters.require("aggregate")
        let (pod, bottom, slots) = try await locate(text)
        var body = try ComputePodCalls.jsonObject(try await ComputePodCalls.body(request))
        guard bottom != 0 else { throw Self.unchangeable("update", topID: text, pod: pod) }
        if let zone = body["aggregate"]?["availability_zone"]?.stringValue, let aggregate = body["aggregate"] {
            body["aggregate"] = aggregate.setting("availability_zone", .string(TopHost.podZone(zone, in: pod)))
        }
        let response = try await admin.send(call, "PUT", "/os-aggregates/\(bottom)", to: pod, body: .object(body))
        return try answer(response, topID: text, bottom: bottom, pod: pod, slots: slots, call: call)
    }

    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await admin.begin(request, context, rule: "os_compute_api:os-aggregates:delete")
        let text = try context.parameters.require("aggregate")
        let (pod, bottom, slots) = try await locate(text)
        guard bottom != 0 else { throw Self.unchangeable("delete", topID: text, pod: pod) }
        let response = try await admin.send(call, "DELETE", "/os-aggregates/\(bottom)", to: pod)
        guard response.isSuccess else { return try answer(response, topID: text, bottom: bottom, pod: pod, slots: slots, call: call) }
        var headers = HTTPFields()
        ComputeMicroversions.addHeaders(call.version, to: &headers)
        headers[.contentLength] = "0"
        return Response(status: HTTPResponse.Status(code: response.status), headers: headers)
    }

    /// `add_host` / `remove_host` (hosts named `<region>:<host>`, in the aggregate's region) and `set_metadata`.
    func action(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let body = try ComputePodCalls.jsonObject(try await ComputePodCalls.body(request))
        guard body.count == 1, let (name, args) = body.first else { throw Nova.malformedBody }
        let rule = ["add_host", "remove_host", "set_metadata"].contains(name) ? name : "index"
        let call = try await admin.begin(request, context, rule: "os_compute_api:os-aggregates:\(rule)")
        let text = try context.parameters.require("aggregate")
        let (pod, bottom, slots) = try await locate(text)
        var sent = args
        switch name {
        case "add_host", "remove_host":
            guard let host = args["host"]?.stringValue else { break }
            guard let parsed = TopHost.parse(host), parsed.region == pod.regionName else {
                if name == "remove_host" { throw Nova.notFound("Aggregate \(text) has no host \(host).") }
                throw Nova.notFound("Compute host \(host) could not be found.")
            }
            sent = args.setting("host", .string(parsed.host))
        case "set_metadata":
            if let zone = args["metadata"]?["availability_zone"]?.stringValue, let metadata = args["metadata"] {
                sent = args.setting("metadata", metadata.setting("availability_zone", .string(TopHost.podZone(zone, in: pod))))
            }
        default:
            break
        }
        guard bottom != 0 else { throw Self.unchangeable(name, topID: text, pod: pod) }
        let response = try await admin.send(call, "POST", "/os-aggregates/\(bottom)/action", to: pod, body: [name: sent])
        return try answer(response, topID: text, bottom: bottom, pod: pod, slots: slots, call: call)
    }
}
