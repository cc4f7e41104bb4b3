import Foundation
import Logging
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleJobs
import TricircleStore

/// Queues the jobs that bring the pods in step after a change at the top (syncs, cleanups, shadow ports):
/// the request path only submits, the pods are called by the jobs.
struct NeutronSyncQueue: Sendable {
    let service: NetworkService
    let routing: RoutingService
    let jobs: JobEngine
    let logger = Logger(label: "tricircle.network.jobs")

    /// A context for pod calls made by jobs (pod calls use the service token; this only carries a request id).
    static func jobContext(project: String) -> PodCallContext {
        PodCallContext(
            caller: AuthenticatedCaller(token: "", userID: "", userName: "tricircle", projectID: project, projectName: "",
                                        roles: ["admin"], expiresAt: Date.distantFuture),
            requestID: GatewayRequestContext.newRequestID())
    }

    /// Queues a sync when some pod holds a copy (nothing to do otherwise).
    func scheduleSync(_ kind: SyncKind, id: String) async throws {
        guard kind != .router else {
            try await jobs.submit(NeutronSyncJob.self, projectID: "", payload: .init(kind: kind, topID: id))
            return
        }
        guard try await !routing.resolve(topID: id, type: kind.resourceType, projectID: nil).isEmpty else { return }
        try await jobs.submit(NeutronSyncJob.self, projectID: "", payload: .init(kind: kind, topID: id))
    }

    /// Queues the deletion of the pods' copies of a top resource (a pod that is down gets it when it is back).
    func scheduleCleanup(_ kind: SyncKind, id: String) async throws {
        try await jobs.submit(NeutronCleanupJob.self, projectID: "", payload: .init(kind: kind, topID: id))
    }

    /// Queues the router setup of every router attached to a network (after the network reached a new pod).
    func scheduleRouters(ofNetwork networkID: String) async throws {
        let routers = Set(try await service.ports(ofNetwork: networkID).filter { $0.deviceOwner == DeviceOwners.routerInterface }.map(\.deviceID))
        for router in routers {
            try await jobs.submit(NeutronSyncJob.self, projectID: "", payload: .init(kind: .router, topID: router))
        }
    }

    /// Always queues the floating IP's sync (a new or changed association has no pod copy yet).
    func scheduleFloatingIPSync(_ id: String) async throws {
        try await jobs.submit(NeutronSyncJob.self, projectID: "", payload: .init(kind: .floatingIP, topID: id))
    }

    /// Queues the sync of a router's associated floating IPs (after its pods' routers were set up, which a
    /// floating IP in a pod needs first).
    func scheduleFloatingIPs(ofRouter routerID: String, project: String) async throws {
        for doc in try await service.documents.list(.floatingIPs, NetworkDocumentQuery(projectIDs: [project])) {
            guard let fip = try? service.model(FloatingIP.self, doc), fip.routerID == routerID, fip.portID != nil else { continue }
            try await scheduleFloatingIPSync(fip.id)
        }
    }

    /// Queues the shadow job of a VXLAN network held by more than one pod. A boot never fails for it: a
    /// submit that fails is logged and the next port materialized on the network submits again.
    func scheduleShadows(of network: Network) async {
        guard network.providerNetworkType == "vxlan" else { return }
        do {
            let pods = Set(try await routing.resolve(topID: network.id, type: .network, projectID: nil).map(\.podID))
            guard pods.count > 1 else { return }
            try await jobs.submit(ShadowPortJob.self, projectID: network.projectID, payload: .init(networkID: network.id))
        } catch {
            logger.warning("could not queue the shadow ports of a stretched network",
                           metadata: ["network": "\(network.id)", "error": "\(error)"])
        }
    }

    /// The same for a network known by id (after a port update at the top: its shadows follow its addresses).
    func scheduleShadows(ofNetworkID networkID: String) async {
        do {
            guard let doc = try await service.documents.get(.networks, id: networkID) else { return }
            await scheduleShadows(of: try service.model(Network.self, doc))
        } catch {
            logger.warning("could not queue the shadow ports of a stretched network", metadata: ["network": "\(networkID)", "error": "\(error)"])
        }
    }
}
