import Foundation
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway

/// `GET /instances` and `/instances/detail`: every pod's Trove asked at once, merged oldest first and paged
/// across pods (`TroveListing`). A pod that fails or is too slow is left out of the page (the lister logs
/// it); a pod refusing the caller's token is a 401.
struct InstanceListRoutes: APIRoutes {
    let api: DatabaseAPI

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("instances", use: list)
        group.get("instances/detail", use: detail)
    }

    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await merged(try api.begin(request, context), detail: false)
    }

    func detail(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await merged(try api.begin(request, context), detail: true)
    }

    /// Trove lists oldest first; ties (timestamps have whole seconds) by id, the same in every pod.
    static let order = [SortKey("created", ascending: true), SortKey("id", ascending: true)]

    func merged(_ call: DatabaseCall, detail: Bool) async throws -> Response {
        try await TroveListing(api: api).page(
            call, collection: "instances", kind: detail ? "database_instances|detail" : "database_instances|list", order: Self.order
        ) { filters in
            // both ask the regions' /detail: Trove's brief view has no `created`, the merge's first key (the
            // contract checks against trove-api 25.1.0 found it); the brief list then carries the detail's fields
            TroveListSource(api: api, call: call, path: "/instances/detail", collection: "instances", filters: filters) {
                [api, call] marker in try await Self.locate(marker, api: api, call: call)
            }
        }
    }

    /// The instance a marker names, from its pod (nil: unknown or another project's).
    static func locate(_ marker: String, api: DatabaseAPI, call: DatabaseCall) async throws -> (pod: Pod, item: [String: JSONValue])? {
        guard let row = try await api.routing.resolveOne(
                  topID: marker, type: .databaseInstance, projectID: call.caller.isAdmin ? nil : call.caller.projectID),
              let pod = try await api.pods.pod(id: row.podID),
              let response = try? await api.send(call, .get("/instances/\(row.bottomID ?? marker)"), to: pod), response.isSuccess,
              let item = (try? JSONValue(data: response.data))?["instance"]?.objectValue
        else { return nil }
        return (pod, item)
    }
}
