import Foundation
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway

/// `/configurations`: a configuration group is kept by one region's Trove and can only be attached to that
/// region's instances (its values are for that region's datastore version). A create goes to the region
/// named by `region_name`, else the home region (`[image] home_region`); afterwards a group is found by
/// asking every region at once (each region's Trove checks the caller's project), as backups are; the list
/// merges every region's, paged by id as Trove pages them. Attaching a group to an instance of another
/// region (or creating an instance with one) is a 400 naming both regions: nothing is copied silently.
struct ConfigurationRoutes: APIRoutes {
    let api: DatabaseAPI

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("configurations", use: list)
        group.post("configurations", use: create)
        group.get("configurations/:id", use: routed)
        group.put("configurations/:id", use: routed)
        group.patch("configurations/:id", use: routed)
        group.delete("configurations/:id", use: routed)
        group.get("configurations/:id/instances", use: routed)
    }

    /// Trove orders and pages configuration groups by id (`id > marker`).
    static let order = [SortKey("id", ascending: true)]

    static func notFound(_ id: String) -> APIError {
        APIError(.notFound, "Configuration group with ID \(id) could not be found.", format: .trove)
    }

    /// `GET /configurations`: every region's groups merged by id, paged (`TroveListing`).
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        return try await TroveListing(api: api).page(
            call, collection: "configurations", kind: "database_configurations", order: Self.order, markerNotFound: Self.notFound
        ) { filters in
            TroveListSource(api: api, call: call, path: "/configurations", collection: "configurations", filters: filters) {
                [self, call] marker in
                guard let pod = try? await holder(of: marker, call: call),
                      let shown = try? await api.send(call, .get("/configurations/\(PlacementCheck.escape(marker))"), to: pod), shown.isSuccess,
                      let item = (try? JSONValue(data: shown.data))?["configuration"]?.objectValue
                else { return nil }
                return (pod, item)
            }
        }
    }

    /// `POST /configurations`: made by the Trove of `region_name` (else the home region's), which checks
    /// the datastore version and the values itself; the region is not sent `region_name`.
    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        var (whole, configuration) = try api.member(try await api.body(call), "configuration")
        let pods = try await api.pods.bottomPods()
        let pod: Pod
        if let region = InstanceCreateRoutes.text(configuration["region_name"]) {
            guard let named = pods.first(where: { $0.regionName == region }) else {
                let known = pods.map(\.regionName).sorted().joined(separator: ", ")
                throw DatabaseAPI.badRequest("Region '\(region)' is not a region configuration groups can be created in (known: \(known)).")
            }
            pod = named
        } else if let home = pods.first(where: { $0.regionName == api.imageHomeRegion }) ?? pods.first {
            pod = home
        } else {
            throw APIError(.serviceUnavailable, PodSelectionError.noBottomPods.description, format: .trove)
        }
        configuration["region_name"] = nil
        whole["configuration"] = .object(configuration)
        return api.relay(try await api.forward(call, to: pod, path: "/configurations", body: DatabaseAPI.encode(.object(whole))), call)
    }

    /// Show, update (PUT), edit (PATCH), delete and `/instances` of one group: the same request in the
    /// region that keeps it.
    func routed(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        let id = try call.param("id")
        let pod = try await holder(of: id, call: call)
        let suffix = request.uri.path.hasSuffix("/instances") ? "/instances" : ""
        let body = [.put, .patch].contains(request.method) ? try await api.body(call) : nil
        return api.relay(try await api.forward(call, to: pod, path: "/configurations/\(PlacementCheck.escape(id))" + suffix, body: body), call)
    }

    /// The pod whose Trove keeps the group, every pod asked at once; Trove's 404 when none has it, a 503
    /// when a region that did not answer might.
    func holder(of id: String, call: DatabaseCall) async throws -> Pod {
        let pods = try await api.pods.bottomPods()
        let answers = try await Fanout.results(pods) { pod in
            try await api.send(call, .get("/configurations/\(PlacementCheck.escape(id))"), to: pod)
        }
        var silent: [String] = []
        for (pod, answer) in zip(pods, answers) {
            switch answer {
            case .success(let response) where response.isSuccess: return pod
            case .success(let response) where response.status == 404: continue
            case .success(let response): silent.append("\(pod.regionName) (HTTP \(response.status))")
            case .failure(let error): silent.append("\(pod.regionName) (\(error))")
            }
        }
        guard silent.isEmpty else {
            throw APIError(.serviceUnavailable, "Configuration group \(id) could not be looked up: no answer from \(silent.joined(separator: ", ")).",
                           format: .trove, headers: [.retryAfter: "5"])
        }
        throw Self.notFound(id)
    }

    /// A create or update of an instance kept by `pod`'s Trove naming `configuration` (an id or href;
    /// null or "" detaches): the group must be kept by the same region, else a 400 naming both.
    func requireSameRegion(_ configuration: JSONValue?, instance: String?, in pod: Pod, call: DatabaseCall) async throws {
        guard let ref = InstanceCreateRoutes.text(configuration) else { return }
        let id = ref.split(separator: "/").last.map(String.init) ?? ref
        let holder: Pod
        do {
            holder = try await self.holder(of: id, call: call)
        } catch let error as APIError where error.status == .notFound {
            // Trove's own words for a group it cannot find on attach.
            throw APIError(.notFound, "Configuration group id: \(id) could not be found.", format: .trove)
        }
        guard holder.podID != pod.podID else { return }
        let subject = instance.map { "instance \($0)" } ?? "the instance"
        throw DatabaseAPI.badRequest(
            "Configuration group \(id) is kept in region \(holder.regionName) and \(subject) is in region \(pod.regionName): "
                + "a configuration group can only be used by instances of its own region (create one in \(pod.regionName) with region_name).")
    }
}
