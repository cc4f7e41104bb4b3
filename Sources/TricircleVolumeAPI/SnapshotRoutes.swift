import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// `/snapshots`: made in the pod of their volume, listed across pods, routed by id.
struct SnapshotRoutes: APIRoutes {
    let api: VolumeAPI

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("snapshots", use: list)
        group.get("snapshots/detail", use: listDetail)
        group.post("snapshots", use: create)
        group.get("snapshots/:id", use: show)
        group.put("snapshots/:id", use: show)
        group.delete("snapshots/:id", use: delete)
        for method in [HTTPRequest.Method.get, .post, .put, .delete] {
            group.on("snapshots/:id/metadata", method: method, use: metadata)
        }
        group.post("snapshots/:id/action", use: action)
    }

    /// `GET /snapshots`: merged across pods (see `VolumeAPI.mergedList`).
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await api.mergedList(try await api.begin(request, context), collection: "snapshots", type: .snapshot, detail: false)
    }

    /// `GET /snapshots/detail`.
    func listDetail(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await api.mergedList(try await api.begin(request, context), collection: "snapshots", type: .snapshot, detail: true)
    }

    /// Show and update of one snapshot: routed.
    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await routed(try await api.begin(request, context), suffix: "")
    }

    /// `/snapshots/{id}/metadata`: routed.
    func metadata(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await routed(try await api.begin(request, context), suffix: "/metadata")
    }

    /// `POST /snapshots/{id}/action`: routed.
    func action(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await routed(try await api.begin(request, context), suffix: "/action")
    }

    /// `POST /snapshots`: made in the pod of its volume, recorded at the top (top id = bottom id).
    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let claim = VolumeQuota(api: api).claim()
        return try await VolumeQuota.settling(claim) { try await create(request, context: context, claim: claim) }
    }

    /// The create holding its quota reservation (`VolumeQuota`), committed once the snapshot is recorded.
    func create(_ request: Request, context: GatewayRequestContext, claim: QuotaClaim) async throws -> Response {
        let call = try await api.begin(request, context)
        let raw = try await api.body(call)
        var snapshot = try api.member(raw, "snapshot")
        guard let volumeID = snapshot["volume_id"]?.stringValue else {
            throw VolumeAPI.badRequest("Invalid input for field/attribute snapshot. 'volume_id' is a required property")
        }
        let (pod, bottomVolume) = try await api.locate(volumeID, type: .volume, call: call)
        snapshot["volume_id"] = .string(bottomVolume)
        try await VolumeQuota(api: api).reserveSnapshot(volumeID: volumeID, projectID: call.caller.projectID, claim: claim)
        var outgoing = (try? JSONValue(data: Data(buffer: raw)))?.objectValue ?? [:]
        outgoing["snapshot"] = .object(snapshot)
        let response = try await api.forward(call, to: pod, path: "/snapshots", body: VolumeAPI.encode(.object(outgoing)))
        guard response.isSuccess else { return api.relay(response, call) }
        let answer = try? JSONValue(data: response.data)
        guard let id = answer?["snapshot"]?["id"]?.stringValue else {
            api.logger.error("pod accepted a snapshot create but its answer has no id", metadata: ["pod": "\(pod.regionName)"])
            throw APIError(.badGateway, "Region \(pod.regionName) accepted the snapshot but did not say its id.", format: .fault)
        }
        do {
            try await api.runtime.routing.record(topID: id, bottomID: id, podID: pod.podID, projectID: call.caller.projectID, type: .snapshot)
            claim.made(QuotaHolding(objectType: "snapshot", objectID: id, projectID: call.caller.projectID, podID: pod.podID,
                                    amounts: ["snapshots": 1, "gigabytes": answer?["snapshot"]?["size"]?.intValue ?? 0]))
        } catch {
            api.logger.error("recording a created snapshot failed; removing it from its pod", metadata: ["id": "\(id)", "error": "\(error)"])
            await api.removeOrphan(call, path: "/snapshots/\(id)", in: pod)
            throw APIError(.serviceUnavailable, "The snapshot could not be recorded at the top and was removed from \(pod.azName); try again.", format: .fault)
        }
        return api.relay(response, call)
    }

    /// Show, update, metadata and actions of one snapshot: routed to its pod.
    func routed(_ call: VolumeCall, suffix: String) async throws -> Response {
        let id = try call.param("id")
        let (pod, bottomID) = try await api.locate(id, type: .snapshot, call: call)
        let hasBody = call.request.method == .post || call.request.method == .put
        let response = try await api.forward(call, to: pod, path: "/snapshots/\(bottomID)\(suffix)", body: hasBody ? try await api.body(call) : nil)
        if suffix.isEmpty, call.request.method == .get, response.status == 404 {
            try? await api.runtime.routing.forget(topID: id, type: .snapshot)
        }
        return api.relay(response, call)
    }

    /// `DELETE /snapshots/{id}`: routed; forgotten at the top once the pod says it is gone.
    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await api.begin(request, context)
        let id = try call.param("id")
        let (pod, bottomID) = try await api.locate(id, type: .snapshot, call: call)
        let response = try await api.forward(call, to: pod, path: "/snapshots/\(bottomID)")
        if response.status == 404 {
            try? await api.runtime.routing.forget(topID: id, type: .snapshot)
        } else if response.isSuccess {
            if let check = try? await api.send(call, .get("/snapshots/\(bottomID)"), to: pod), check.status == 404 {
                try? await api.runtime.routing.forget(topID: id, type: .snapshot)
            }
        }
        return api.relay(response, call)
    }
}
