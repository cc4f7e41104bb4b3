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
        group.get("snapshots", use: api.list(.snapshot, detail: false))
        group.get("snapshots/detail", use: api.list(.snapshot, detail: true))
        group.post("snapshots", use: create)
        // Show, update, metadata and actions of one snapshot: routed to its pod.
        group.get("snapshots/:id", use: api.routed(.snapshot))
        group.put("snapshots/:id", use: api.routed(.snapshot))
        group.delete("snapshots/:id", use: api.delete(.snapshot))
        for method in [HTTPRequest.Method.get, .post, .put, .delete] {
            group.on("snapshots/:id/metadata", method: method, use: api.routed(.snapshot, suffix: "/metadata"))
        }
        group.post("snapshots/:id/action", use: api.routed(.snapshot, suffix: "/action"))
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
        var snapshot = SnapshotCreate(object: try api.member(raw, "snapshot"))
        guard let volumeID = snapshot.volumeID else {
            throw VolumeAPI.badRequest("Invalid input for field/attribute snapshot. 'volume_id' is a required property")
        }
        let (pod, bottomVolume) = try await api.locate(volumeID, type: .volume, call: call)
        snapshot.volumeID = bottomVolume
        try await VolumeQuota(api: api).reserveSnapshot(volumeID: volumeID, projectID: call.caller.projectID, claim: claim)
        var outgoing = (try? JSONValue(data: Data(buffer: raw)))?.objectValue ?? [:]
        outgoing["snapshot"] = .object(snapshot.object)
        let response = try await api.forward(call, to: pod, path: "/snapshots", body: VolumeAPI.encode(.object(outgoing)))
        guard response.isSuccess else { return api.relay(response, call) }
        let answer = try? JSONValue(data: response.data)
        let id = try api.createdID(answer, member: "snapshot", in: pod)
        try await api.recordCreated(id, type: .snapshot, in: pod, call: call, claim: claim,
                                    amounts: ["snapshots": 1, "gigabytes": answer?["snapshot"]?["size"]?.intValue ?? 0])
        return api.relay(response, call)
    }
}
