import Foundation
import Hummingbird
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway

/// `/backups`: a backup is made by its instance's Trove and its data stays in that region, so the create is
/// routed to the instance's pod, a backup is found by asking every pod, and the list merges them all.
struct BackupRoutes: APIRoutes {
    let api: DatabaseAPI

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("backups", use: list)
        group.post("backups", use: create)
        group.get("backups/:id", use: show)
        group.delete("backups/:id", use: delete)
    }

    /// `GET /backups`: every region's backups, oldest first (regions that fail are left out and logged).
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        let answers = try await PodAnswers(api: api).all(call, path: "/backups" + PodForwarder.query(of: request), as: JSONValue.self)
        let backups = answers.flatMap { $0.value["backups"]?.arrayValue ?? [] }.sorted {
            ($0["created"]?.stringValue ?? "", $0["id"]?.stringValue ?? "") < ($1["created"]?.stringValue ?? "", $1["id"]?.stringValue ?? "")
        }
        return api.json(["backups": .array(backups)])
    }

    /// `POST /backups`: made by the Trove holding `backup.instance`.
    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        let raw = try await api.body(call)
        let (_, backup) = try api.member(raw, "backup")
        guard let instance = InstanceCreateRoutes.text(backup["instance"]) else {
            throw DatabaseAPI.badRequest("Validation error: backup['instance'] is a required property")
        }
        let (pod, _) = try await api.locate(instance, call: call)
        return api.relay(try await api.forward(call, to: pod, path: "/backups", body: raw), call)
    }

    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        let id = try call.param("id")
        let pod = try await holder(of: id, call: call)
        return api.relay(try await api.forward(call, to: pod, path: "/backups/\(PlacementCheck.escape(id))"), call)
    }

    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        let id = try call.param("id")
        let pod = try await holder(of: id, call: call)
        return api.relay(try await api.forward(call, to: pod, path: "/backups/\(PlacementCheck.escape(id))"), call)
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
