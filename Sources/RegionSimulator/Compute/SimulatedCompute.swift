import Foundation
import HTTPTypes
import Hummingbird
import OpenStackModels

/// Nova (Compute API v2.1) of one simulated region: servers and their actions, flavors, key pairs,
/// availability zones, metadata, tags, volume attachments, server groups, limits and quotas.
public struct SimulatedCompute: SimulatedService {
    public let serviceType = "compute"
    public let serviceName = "nova"
    public let endpointPath = "/v2.1"
    /// The region state shared with this region's block storage and image services.
    public let store: RegionStore

    /// Highest microversion answered (Nova 2024.1 "Caracal").
    public static let maxVersion = Microversion(2, 100)
    static let policy = MicroversionPolicy(
        serviceWord: "compute", minimum: Microversion(2, 1), maximum: maxVersion,
        legacyHeader: "X-OpenStack-Nova-API-Version")

    public init(store: RegionStore) { self.store = store }

    public func makeRouter(context: SimulatedRegionContext) -> Router<BasicRequestContext> {
        let router = Router()
        let api = ComputeAPI(region: context, store: store)
        router.get("/") { request, _ in api.versions(request) }
        router.get("/v2.1") { request, _ in api.version(request) }
        router.get("/v2") { request, _ in api.versions(request) }

        let v = router.group("/v2.1")
        // Servers.
        v.get("servers", use: api.handler(api.listServers(detail: false)))
        v.get("servers/detail", use: api.handler(api.listServers(detail: true)))
        v.post("servers", use: api.recordingAction(.create, api.handler(api.createServer)))
        v.get("servers/:id", use: api.handler(api.showServer))
        v.put("servers/:id", use: api.handler(api.updateServer))
        v.delete("servers/:id", use: api.recordingAction(.delete, api.handler(api.deleteServer)))
        v.post("servers/:id/action", use: api.recordingAction(.action, api.handler(api.serverAction)))
        v.get("servers/:id/os-instance-actions", use: api.handler(api.listInstanceActions))
        v.get("servers/:id/os-instance-actions/:request", use: api.handler(api.showInstanceAction))
        // Server sub-resources.
        v.get("servers/:id/metadata", use: api.handler(api.listMetadata))
        v.put("servers/:id/metadata", use: api.handler(api.replaceMetadata))
        v.post("servers/:id/metadata", use: api.handler(api.mergeMetadata))
        v.get("servers/:id/metadata/:key", use: api.handler(api.showMetadataItem))
        v.put("servers/:id/metadata/:key", use: api.handler(api.setMetadataItem))
        v.delete("servers/:id/metadata/:key", use: api.handler(api.deleteMetadataItem))
        v.get("servers/:id/tags", use: api.handler(api.listTags))
        v.put("servers/:id/tags", use: api.handler(api.replaceTags))
        v.delete("servers/:id/tags", use: api.handler(api.deleteAllTags))
        v.get("servers/:id/tags/:tag", use: api.handler(api.checkTag))
        v.put("servers/:id/tags/:tag", use: api.handler(api.addTag))
        v.delete("servers/:id/tags/:tag", use: api.handler(api.deleteTag))
        v.get("servers/:id/ips", use: api.handler(api.listIPs))
        v.get("servers/:id/ips/:network", use: api.handler(api.showIPs))
        v.get("servers/:id/os-interface", use: api.handler(api.listInterfaces))
        v.post("servers/:id/os-interface", use: api.handler(api.attachInterface))
        v.get("servers/:id/os-interface/:port", use: api.handler(api.showInterface))
        v.delete("servers/:id/os-interface/:port", use: api.handler(api.detachInterface))
        v.get("servers/:id/os-volume_attachments", use: api.handler(api.listVolumeAttachments))
        v.post("servers/:id/os-volume_attachments", use: api.handler(api.attachVolume))
        v.get("servers/:id/os-volume_attachments/:volume", use: api.handler(api.showVolumeAttachment))
        v.delete("servers/:id/os-volume_attachments/:volume", use: api.handler(api.detachVolume))
        v.put("servers/:id/os-volume_attachments/:volume", use: api.handler(api.updateVolumeAttachment))
        v.get("servers/:id/diagnostics", use: api.handler(api.diagnostics))
        v.post("servers/:id/remote-consoles", use: api.handler(api.remoteConsole))
        // Flavors.
        v.get("flavors", use: api.handler(api.listFlavors(detail: false)))
        v.get("flavors/detail", use: api.handler(api.listFlavors(detail: true)))
        v.post("flavors", use: api.handler(api.createFlavor))
        v.get("flavors/:flavor", use: api.handler(api.showFlavor))
        v.put("flavors/:flavor", use: api.handler(api.updateFlavor))
        v.delete("flavors/:flavor", use: api.handler(api.deleteFlavor))
        v.post("flavors/:flavor/action", use: api.handler(api.flavorAction))
        v.get("flavors/:flavor/os-flavor-access", use: api.handler(api.listFlavorAccess))
        v.get("flavors/:flavor/os-extra_specs", use: api.handler(api.listExtraSpecs))
        v.post("flavors/:flavor/os-extra_specs", use: api.handler(api.createExtraSpecs))
        v.get("flavors/:flavor/os-extra_specs/:key", use: api.handler(api.showExtraSpec))
        v.put("flavors/:flavor/os-extra_specs/:key", use: api.handler(api.updateExtraSpec))
        v.delete("flavors/:flavor/os-extra_specs/:key", use: api.handler(api.deleteExtraSpec))
        // Server groups.
        v.get("os-server-groups", use: api.handler(api.listServerGroups))
        v.post("os-server-groups", use: api.handler(api.createServerGroup))
        v.get("os-server-groups/:group", use: api.handler(api.showServerGroup))
        v.delete("os-server-groups/:group", use: api.handler(api.deleteServerGroup))
        // Key pairs, zones, limits, quotas.
        v.get("os-keypairs", use: api.handler(api.listKeypairs))
        v.post("os-keypairs", use: api.handler(api.createKeypair))
        v.get("os-keypairs/:name", use: api.handler(api.showKeypair))
        v.delete("os-keypairs/:name", use: api.handler(api.deleteKeypair))
        v.get("os-availability-zone", use: api.handler(api.listZones(detail: false)))
        v.get("os-availability-zone/detail", use: api.handler(api.listZones(detail: true)))
        v.get("limits", use: api.handler(api.limits))
        v.get("os-quota-sets/:project", use: api.handler(api.showQuota(kind: QuotaView.current)))
        v.get("os-quota-sets/:project/defaults", use: api.handler(api.showQuota(kind: QuotaView.defaults)))
        v.get("os-quota-sets/:project/detail", use: api.handler(api.showQuota(kind: QuotaView.detail)))
        v.put("os-quota-sets/:project", use: api.handler(api.updateQuota))
        v.delete("os-quota-sets/:project", use: api.handler(api.deleteQuota))
        // Admin surfaces: aggregates, hypervisors, services, usage; the extension list.
        v.get("os-aggregates", use: api.handler(api.listAggregates))
        v.post("os-aggregates", use: api.handler(api.createAggregate))
        v.get("os-aggregates/:aggregate", use: api.handler(api.showAggregate))
        v.put("os-aggregates/:aggregate", use: api.handler(api.updateAggregate))
        v.delete("os-aggregates/:aggregate", use: api.handler(api.deleteAggregate))
        v.post("os-aggregates/:aggregate/action", use: api.handler(api.aggregateAction))
        v.get("os-hypervisors", use: api.handler(api.listHypervisors(detail: false)))
        v.get("os-hypervisors/detail", use: api.handler(api.listHypervisors(detail: true)))
        v.get("os-hypervisors/statistics", use: api.handler(api.hypervisorStatistics))
        v.get("os-hypervisors/:hypervisor", use: api.handler(api.showHypervisor))
        v.get("os-hypervisors/:hypervisor/uptime", use: api.handler(api.hypervisorUptime))
        v.get("os-hypervisors/:hypervisor/search", use: api.handler(api.hypervisorsMatching(servers: false)))
        v.get("os-hypervisors/:hypervisor/servers", use: api.handler(api.hypervisorsMatching(servers: true)))
        v.get("os-services", use: api.handler(api.listServices))
        v.put("os-services/:service", use: api.handler(api.updateService))
        v.delete("os-services/:service", use: api.handler(api.deleteService))
        v.get("os-simple-tenant-usage", use: api.handler(api.listTenantUsage))
        v.get("os-simple-tenant-usage/:tenant", use: api.handler(api.showTenantUsage))
        v.get("extensions", use: api.handler(api.listExtensions))
        v.get("extensions/:alias", use: api.handler(api.showExtension))
        return router
    }
}

/// One authenticated Compute API call.
typealias ComputeCall = MicroversionedCall

/// Nova's handlers over one region's state.
struct ComputeAPI: Sendable {
    let region: SimulatedRegionContext
    let store: RegionStore

    typealias Handler = MicroversionedCall.Handler

    /// Wraps a handler with authentication, microversion negotiation and Nova's response headers.
    func handler(_ body: @escaping @Sendable (ComputeCall) async throws -> Response) -> Handler {
        MicroversionedCall.handler(
            region: region, policy: SimulatedCompute.policy,
            requestIDHeaders: ["x-openstack-request-id", "x-compute-request-id"], body)
    }

    var transition: TimeInterval { region.transitionSeconds(for: "compute") }

    // MARK: Version documents

    private func versionObject(_ base: String, current: Bool) -> JSONValue {
        [
            "id": "v2.1", "status": "CURRENT", "version": .string(SimulatedCompute.maxVersion.description),
            "min_version": "2.1", "updated": "2013-07-23T11:33:21Z",
            "links": current
                ? [
                    ["rel": "self", "href": .string("\(base)/v2.1/")],
                    ["rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"],
                ] : [["rel": "self", "href": .string("\(base)/v2.1/")]],
            "media-types": current
                ? [["base": "application/json", "type": "application/vnd.openstack.compute+json;version=2.1"]]
                : nil,
        ]
    }

    func versions(_ request: Request) -> Response {
        let base = SimHTTP.baseURL(request)
        var current = versionObject(base, current: false)
        if case .object(var object) = current {
            object["media-types"] = nil
            current = .object(object)
        }
        return SimHTTP.json([
            "versions": [
                [
                    "id": "v2.0", "status": "SUPPORTED", "version": "", "min_version": "",
                    "updated": "2011-01-21T11:33:21Z", "links": [["rel": "self", "href": .string("\(base)/v2/")]],
                ],
                current,
            ]
        ])
    }

    func version(_ request: Request) -> Response {
        SimHTTP.json(["version": versionObject(SimHTTP.baseURL(request), current: true)])
    }
}
