import Foundation
import Hummingbird
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// `GET /v2.0/tricircle/placements/{kind}/{id}` (admin): where a top resource is materialized and in what
/// state: each pod's copy as the routing table records it, with the pod's live answer (status or error).
struct PlacementRoutes: APIRoutes {
    let service: NetworkService
    let routing: RoutingService
    let podDirectory: PodDirectory
    let pods: PodNeutron

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("tricircle/placements/:kind/:id", use: show)
    }

    /// `GET /v2.0/tricircle/placements/:kind/:id`.
    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        guard caller.isAdmin else { throw NeutronError.policyNotAuthorized("rule:context_is_admin") }
        let kindName = try context.parameters.require("kind")
        let id = try context.parameters.require("id")
        guard let kind = SyncKind(rawValue: kindName) else {
            throw NeutronError.httpBadRequest("Unknown kind '\(kindName)': one of network, subnet, port, security_group, router, floatingip")
        }
        var rows = try await routing.routings.lookup(topID: id, resourceType: kind.resourceType, projectID: nil)
        // A port's shadows (in the other pods of a stretched VXLAN network) are listed with its real copies.
        if kind == .port { rows += try await routing.routings.lookup(topID: id, resourceType: .shadowPort, projectID: nil) }
        let placements = try await Fanout.all(rows) { row in await describe(row, kind: kind) }
        let sorted = placements.sorted { ($0["region"]?.stringValue ?? "") < ($1["region"]?.stringValue ?? "") }
        return NeutronHTTP.json(["placements": .array(sorted), "top_id": .string(id), "kind": .string(kind.rawValue)])
    }

    /// One pod's copy: the routing row and what the pod says about it now.
    func describe(_ row: ResourceRouting, kind: SyncKind) async -> JSONValue {
        var out: [String: JSONValue] = [
            "pod_id": .string(row.podID), "bottom_id": .string(row.bottomID), "project_id": .string(row.projectID),
            "created_at": .string(row.createdAt), "updated_at": .string(row.updatedAt),
            "shadow": .bool(row.resourceType == .shadowPort),
        ]
        guard let pod = try? await podDirectory.pod(id: row.podID) else {
            out["state"] = "POD_UNKNOWN"
            return .object(out)
        }
        out["region"] = .string(pod.regionName)
        guard let bottomID = row.bottomID else {
            out["state"] = "CREATING"
            return .object(out)
        }
        do {
            let answer = try await pods.call("GET", "/\(kind.collection)/\(bottomID)", in: pod)
            let member = answer.objectValue?.values.first
            out["state"] = .string(member?["status"]?.stringValue ?? "PRESENT")
        } catch let error as PodNeutronError {
            out["state"] = error.status == 404 ? "MISSING" : "UNREACHABLE"
            out["error"] = .string(error.description)
        } catch {
            out["state"] = "UNREACHABLE"
            out["error"] = .string("\(error)")
        }
        return .object(out)
    }
}
