import Foundation
import HTTPTypes
import Hummingbird
import OpenStackModels

/// Cinder (Block Storage API v3) of one simulated region: volumes with actions, snapshots, types,
/// availability zones, limits and quotas. Answers both `/v3/{project_id}/...` and `/v3/...` (3.67 style).
public struct SimulatedBlockStorage: SimulatedService {
    public let serviceType = "volumev3"
    public let serviceName = "cinderv3"
    public let endpointPath = "/v3"
    /// The region state shared with this region's compute and image services.
    public let store: RegionStore

    /// Highest microversion answered (Cinder 2024.1).
    public static let maxVersion = Microversion(3, 71)
    static let policy = MicroversionPolicy(
        serviceWord: "volume", minimum: Microversion(3, 0), maximum: maxVersion, legacyHeader: nil)

    public init(store: RegionStore) { self.store = store }

    public func makeRouter(context: SimulatedRegionContext) -> Router<BasicRequestContext> {
        let router = Router()
        let api = BlockStorageAPI(region: context, store: store)
        router.get("/") { request, _ in api.versions(request, status: 300) }
        router.get("/v3") { request, _ in api.versions(request, status: 200) }
        for prefix in ["/v3/:project_id", "/v3"] {
            let v = router.group(RouterPath(prefix))
            v.get("volumes", use: api.handler(api.listVolumes(detail: false)))
            v.get("volumes/detail", use: api.handler(api.listVolumes(detail: true)))
            v.post("volumes", use: api.handler(api.createVolume))
            v.get("volumes/:id", use: api.handler(api.showVolume))
            v.put("volumes/:id", use: api.handler(api.updateVolume))
            v.delete("volumes/:id", use: api.handler(api.deleteVolume))
            v.post("volumes/:id/action", use: api.handler(api.volumeAction))
            v.get("volumes/:id/metadata", use: api.handler(api.showVolumeMetadata))
            v.post("volumes/:id/metadata", use: api.handler(api.mergeVolumeMetadata))
            v.put("volumes/:id/metadata", use: api.handler(api.replaceVolumeMetadata))
            v.get("snapshots", use: api.handler(api.listSnapshots(detail: false)))
            v.get("snapshots/detail", use: api.handler(api.listSnapshots(detail: true)))
            v.post("snapshots", use: api.handler(api.createSnapshot))
            v.get("snapshots/:id", use: api.handler(api.showSnapshot))
            v.put("snapshots/:id", use: api.handler(api.updateSnapshot))
            v.delete("snapshots/:id", use: api.handler(api.deleteSnapshot))
            v.get("backups", use: api.handler(api.listBackups(detail: false)))
            v.get("backups/detail", use: api.handler(api.listBackups(detail: true)))
            v.post("backups", use: api.handler(api.createBackup))
            v.get("backups/:id", use: api.handler(api.showBackup))
            v.delete("backups/:id", use: api.handler(api.deleteBackup))
            v.post("backups/:id/restore", use: api.handler(api.restoreBackup))
            v.get("attachments", use: api.handler(api.listAttachments(detail: false)))
            v.get("attachments/detail", use: api.handler(api.listAttachments(detail: true)))
            v.post("attachments", use: api.handler(api.createAttachment))
            v.get("attachments/:id", use: api.handler(api.showAttachment))
            v.put("attachments/:id", use: api.handler(api.updateAttachment))
            v.delete("attachments/:id", use: api.handler(api.deleteAttachment))
            v.post("attachments/:id/action", use: api.handler(api.attachmentAction))
            v.get("types", use: api.handler(api.listTypes))
            v.get("types/default", use: api.handler(api.showDefaultType))
            v.post("types", use: api.handler(api.createType))
            v.get("types/:id", use: api.handler(api.showType))
            v.delete("types/:id", use: api.handler(api.deleteType))
            v.get("types/:id/extra_specs", use: api.handler(api.listExtraSpecs))
            v.post("types/:id/extra_specs", use: api.handler(api.mergeExtraSpecs))
            v.get("types/:id/extra_specs/:key", use: api.handler(api.showExtraSpec))
            v.put("types/:id/extra_specs/:key", use: api.handler(api.setExtraSpec))
            v.delete("types/:id/extra_specs/:key", use: api.handler(api.deleteExtraSpec))
            v.get("os-availability-zone", use: api.handler(api.listZones))
            v.get("limits", use: api.handler(api.limits))
            v.get("os-quota-sets/:project", use: api.handler(api.showQuota))
            v.put("os-quota-sets/:project", use: api.handler(api.updateQuota))
            v.get("os-quota-sets/:project/defaults", use: api.handler(api.showQuotaDefaults))
            v.get("os-services", use: api.handler(api.listServices))
            v.get("scheduler-stats/get_pools", use: api.handler(api.getPools))
        }
        return router
    }
}

/// One authenticated Block Storage API call.
typealias VolumeCall = MicroversionedCall

extension MicroversionedCall {
    /// `/v3/{project}` as the client addressed it (links use the same form).
    var prefix: String {
        if let project = context.parameters.get("project_id") { return "\(base)/v3/\(project)" }
        return "\(base)/v3"
    }
}

/// Cinder's handlers over one region's state.
struct BlockStorageAPI: Sendable {
    let region: SimulatedRegionContext
    let store: RegionStore

    typealias Handler = MicroversionedCall.Handler

    /// Wraps a handler with authentication, microversion negotiation and Cinder's response headers.
    func handler(_ body: @escaping @Sendable (VolumeCall) async throws -> Response) -> Handler {
        MicroversionedCall.handler(
            region: region, policy: SimulatedBlockStorage.policy, requestIDHeaders: ["x-openstack-request-id"],
            check: { _, context, token in
                if let project = context.parameters.get("project_id"), project != token.projectID, !token.isAdmin {
                    throw SimulatorError.badRequest("Malformed request url")
                }
            }, body)
    }

    var transition: TimeInterval { region.transitionSeconds(for: "volumev3") }

    func versions(_ request: Request, status: Int) -> Response {
        let base = SimHTTP.baseURL(request)
        return SimHTTP.json(
            [
                "versions": [
                    [
                        "id": "v3.0", "status": "CURRENT", "version": .string(SimulatedBlockStorage.maxVersion.description),
                        "min_version": "3.0", "updated": "2023-08-31T00:00:00Z",
                        "links": [
                            ["rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"],
                            ["rel": "self", "href": .string("\(base)/v3/")],
                        ],
                        "media-types": [["base": "application/json", "type": "application/vnd.openstack.volume+json;version=3"]],
                    ]
                ]
            ], status: status)
    }

    func requireAdmin(_ call: VolumeCall, _ rule: String) throws {
        guard call.isAdmin else { throw SimulatorError.forbidden("Policy doesn't allow \(rule) to be performed.") }
    }

    /// `limit`/`marker`/`sort` paging over ids in the given order; 400 on an unknown marker.
    static func page<T>(_ items: [T], id: (T) -> String, limit: Int?, marker: String?) throws -> (page: [T], full: Bool) {
        var start = 0
        if let marker {
            guard let index = items.firstIndex(where: { id($0) == marker }) else {
                throw SimulatorError.badRequest("Invalid marker: \(marker)")
            }
            start = index + 1
        }
        let size = min(limit ?? 1000, 1000)
        let page = Array(items.dropFirst(start).prefix(size))
        return (page, page.count == size && size > 0)
    }

    /// The request's URL with `marker` replaced.
    func nextLink(call: VolumeCall, path: String, marker: String) -> String {
        var items: [URLQueryItem] = []
        for (key, value) in call.request.uri.queryParameters where key != "marker" {
            items.append(URLQueryItem(name: String(key), value: String(value)))
        }
        items.append(URLQueryItem(name: "marker", value: marker))
        var components = URLComponents()
        components.queryItems = items
        return "\(call.prefix)/\(path)?\(components.percentEncodedQuery ?? "")"
    }
}
