import Foundation
import Hummingbird
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway

/// `/backups`: a backup is made by its instance's Trove and its data stays in that region, so the create is
/// routed to the instance's pod (and reserves the project's `backups` quota at the top), a backup is found
/// by asking every pod, and the list merges them all.
struct BackupRoutes: APIRoutes {
    let api: DatabaseAPI

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("backups", use: list)
        group.post("backups", use: create)
        group.get("backups/:id", use: show)
        group.delete("backups/:id", use: delete)
    }

    /// `GET /backups`: every region's backups merged most recently updated first, as Trove orders them,
    /// and paged (`TroveListing`; the marker is a backup id, where Trove's own is an offset).
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        return try await TroveListing(api: api).page(call, collection: "backups", kind: "database_backups", order: Self.order) { filters in
            TroveListSource(api: api, call: call, path: "/backups", collection: "backups", filters: filters) { [self, call] marker in
                guard let pod = try? await holder(of: marker, call: call),
                      let shown = try? await api.send(call, .get("/backups/\(PlacementCheck.escape(marker))"), to: pod), shown.isSuccess,
                      let item = (try? JSONValue(data: shown.data))?["backup"]?.objectValue
                else { return nil }
                return (pod, item)
            }
        }
    }

    /// Trove lists backups by `updated`, newest first.
    static let order = [SortKey("updated", ascending: false)]

    /// `POST /backups`: made by the Trove holding `backup.instance`.
    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        let raw = try await api.body(call)
        let (_, backup) = try api.member(raw, "backup")
        guard let instance = InstanceCreateRoutes.text(backup["instance"]) else {
            throw DatabaseAPI.badRequest("Validation error: backup['instance'] is a required property")
        }
        let (pod, _) = try await api.locate(instance, call: call)
        // One quota over all regions: the backup is reserved before its region is asked (Trove's `backups` 1).
        let quota = DatabaseQuota(api: api)
        let claim = quota.claim()
        try await quota.reserve(["backups": 1], projectID: call.caller.projectID, claim: claim)
        return try await claim.settling {
            let response: RegionalResponse
            do {
                response = try await api.forward(call, to: pod, path: "/backups", body: raw)
            } catch {
                claim.leaveToExpire()
                throw error
            }
            // Routed (top id = bottom id) so its holding counts; unrecorded, the reservation expires and the
            // reconcile job does not see it either, so it is logged.
            if response.isSuccess, let id = (try? JSONValue(data: response.data))?["backup"]?["id"]?.stringValue {
                do {
                    try await api.routing.record(topID: id, bottomID: id, podID: pod.podID, projectID: call.caller.projectID, type: .databaseBackup)
                    claim.made(objectType: ResourceType.databaseBackup.rawValue, ids: [id], projectID: call.caller.projectID, podID: pod.podID)
                } catch {
                    claim.leaveToExpire()
                    api.logger.error("recording a database backup failed; it is not counted at the top", metadata: ["id": "\(id)", "error": "\(error)"])
                }
            }
            return api.relay(response, call)
        }
    }

    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        let id = try call.param("id")
        let pod = try await holder(of: id, call: call)
        return api.relay(try await api.forward(call, to: pod, path: "/backups/\(PlacementCheck.escape(id))"), call)
    }

    /// Trove frees a backup's quota when it accepts the delete (`backups` -1), so does the top.
    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        let id = try call.param("id")
        let pod = try await holder(of: id, call: call)
        let response = try await api.forward(call, to: pod, path: "/backups/\(PlacementCheck.escape(id))")
        if response.isSuccess {
            await DatabaseQuota(api: api).quota.forget(objectType: ResourceType.databaseBackup.rawValue, objectID: id)
            try? await api.routing.forget(topID: id, type: .databaseBackup)
        }
        return api.relay(response, call)
    }

    /// The pod whose Trove has the backup (asked all at once), or Trove's 404.
    func holder(of id: String, call: DatabaseCall) async throws -> Pod {
        let pods = try await api.pods.bottomPods()
        let found = await Fanout.first(pods) { pod -> Pod? in
            guard let response = try? await api.send(call, .get("/backups/\(PlacementCheck.escape(id))"), to: pod), response.isSuccess else { return nil }
            return pod
        }
        guard let found else { throw DatabaseAPI.fault(TroveError.notFound(id)) }
        return found
    }
}
