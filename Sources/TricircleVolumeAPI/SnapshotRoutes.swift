import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway

extension VolumeAPI {
    func addSnapshotRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("snapshots") { request, context in
            try await mergedList(try await begin(request, context), collection: "snapshots", type: .snapshot, detail: false)
        }
        group.get("snapshots/detail") { request, context in
            try await mergedList(try await begin(request, context), collection: "snapshots", type: .snapshot, detail: true)
        }
        group.post("snapshots") { request, context in try await createSnapshot(try await begin(request, context)) }
        group.get("snapshots/:id") { request, context in try await routedSnapshotCall(try await begin(request, context), suffix: "") }
        group.put("snapshots/:id") { request, context in try await routedSnapshotCall(try await begin(request, context), suffix: "") }
        group.delete("snapshots/:id") { request, context in try await deleteSnapshot(try await begin(request, context)) }
        for method in [HTTPRequest.Method.get, .post, .put, .delete] {
            group.on("snapshots/:id/metadata", method: method) { request, context in
                try await routedSnapshotCall(try await begin(request, context), suffix: "/metadata")
            }
        }
        group.post("snapshots/:id/action") { request, context in
            try await routedSnapshotCall(try await begin(request, context), suffix: "/action")
        }
    }

    /// `POST /snapshots`: made in the pod of its volume, recorded at the top (top id = bottom id).
    func createSnapshot(_ call: VolumeCall) async throws -> Response {
        let raw = try await body(call)
        var snapshot = try member(raw, "snapshot")
        guard let volumeID = snapshot["volume_id"]?.stringValue else {
            throw Self.badRequest("Invalid input for field/attribute snapshot. 'volume_id' is a required property")
        }
        let (pod, bottomVolume) = try await locate(volumeID, type: .volume, call: call)
        snapshot["volume_id"] = .string(bottomVolume)
        var outgoing = (try? JSONValue(data: Data(buffer: raw)))?.objectValue ?? [:]
        outgoing["snapshot"] = .object(snapshot)
        let response = try await forward(call, to: pod, path: "/snapshots", body: Self.encode(.object(outgoing)))
        guard response.isSuccess else { return relay(response, call) }
        guard let id = (try? JSONValue(data: response.data))?["snapshot"]?["id"]?.stringValue else {
            logger.error("pod accepted a snapshot create but its answer has no id", metadata: ["pod": "\(pod.regionName)"])
            throw APIError(.badGateway, "Region \(pod.regionName) accepted the snapshot but did not say its id.", format: .fault)
        }
        do {
            try await runtime.routing.record(topID: id, bottomID: id, podID: pod.podID, projectID: call.caller.projectID, type: .snapshot)
        } catch {
            logger.error("recording a created snapshot failed; removing it from its pod", metadata: ["id": "\(id)", "error": "\(error)"])
            await removeOrphan(call, path: "/snapshots/\(id)", in: pod)
            throw APIError(.serviceUnavailable, "The snapshot could not be recorded at the top and was removed from \(pod.azName); try again.", format: .fault)
        }
        return relay(response, call)
    }

    /// Show, update, metadata and actions of one snapshot: routed to its pod.
    func routedSnapshotCall(_ call: VolumeCall, suffix: String) async throws -> Response {
        let id = try call.param("id")
        let (pod, bottomID) = try await locate(id, type: .snapshot, call: call)
        let hasBody = call.request.method == .post || call.request.method == .put
        let response = try await forward(call, to: pod, path: "/snapshots/\(bottomID)\(suffix)", body: hasBody ? try await body(call) : nil)
        if suffix.isEmpty, call.request.method == .get, response.status == 404 {
            try? await runtime.routing.forget(topID: id, type: .snapshot)
        }
        return relay(response, call)
    }

    /// `DELETE /snapshots/{id}`: routed; forgotten at the top once the pod says it is gone.
    func deleteSnapshot(_ call: VolumeCall) async throws -> Response {
        let id = try call.param("id")
        let (pod, bottomID) = try await locate(id, type: .snapshot, call: call)
        let response = try await forward(call, to: pod, path: "/snapshots/\(bottomID)")
        if response.status == 404 {
            try? await runtime.routing.forget(topID: id, type: .snapshot)
        } else if response.isSuccess {
            if let check = try? await send(call, .get("/snapshots/\(bottomID)"), to: pod), check.status == 404 {
                try? await runtime.routing.forget(topID: id, type: .snapshot)
            }
        }
        return relay(response, call)
    }
}
