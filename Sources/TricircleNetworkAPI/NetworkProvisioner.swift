import OpenStackModels
import TricircleCore
import TricircleGateway

/// The Networking module's pod side, wired once: what a boot uses (`NetworkProvisioning`, the boundary
/// Compute sees) and the parts the routes and job handlers use, each with only the dependencies it needs.
///
/// - `boot` makes a pod ready for a boot (through `PodCopies` and `SecurityGroupSync`); `serverPorts`
///   keeps a server's top ports in step with it.
/// - `routers` (east-west), `northSouth` and `floatingIPs` set up L3 in the pods, over `BridgeNetworks`.
/// - `shadows` keeps stretched VXLAN networks' shadow ports; `cleaner` deletes copies; `syncer` runs
///   `neutron_sync`; `queue` submits the jobs after changes at the top.
///
/// Routes and job handlers are given the whole of it (`init(..., provisioner:)`, as `NetworkFrontEnd`
/// builds them) and keep only the parts they call.
struct NetworkProvisioner: NetworkProvisioning {
    let pods: PodNeutron
    let queue: NeutronSyncQueue
    let shadows: ShadowPortKeeper
    let cleaner: PodCopyCleaner
    let northSouth: NorthSouthBridge
    let floatingIPs: FloatingIPSync
    let routers: RouterSync
    let floatingIPRelease: FloatingIPDisassociator
    let serverPorts: ServerPortBinder
    let syncer: NeutronSyncer
    let boot: BootPreparer

    init(service: NetworkService) {
        let routing = service.services.routing, podDirectory = service.services.pods
        let pods = PodNeutron(forwarder: service.neutronForwarder, keystone: service.keystone)
        let queue = NeutronSyncQueue(service: service, routing: routing, jobs: service.services.jobs)
        let copies = PodCopies(service: service, routing: routing, pods: pods, podDirectory: podDirectory, queue: queue)
        let groupSync = SecurityGroupSync(service: service, routing: routing, pods: pods)
        let shadows = ShadowPortKeeper(service: service, routing: routing, pods: pods, podDirectory: podDirectory, copies: copies)
        let cleaner = PodCopyCleaner(service: service, routing: routing, pods: pods, podDirectory: podDirectory, queue: queue, shadows: shadows)
        let bridges = BridgeNetworks(service: service)
        let northSouth = NorthSouthBridge(service: service, routing: routing, pods: pods, podDirectory: podDirectory, copies: copies,
                                          cleaner: cleaner)
        let floatingIPs = FloatingIPSync(service: service, routing: routing, pods: pods, podDirectory: podDirectory, copies: copies,
                                         northSouth: northSouth, bridges: bridges, cleaner: cleaner, queue: queue)
        let routers = RouterSync(service: service, routing: routing, pods: pods, podDirectory: podDirectory, copies: copies,
                                 northSouth: northSouth, bridges: bridges, cleaner: cleaner, queue: queue)
        let floatingIPRelease = FloatingIPDisassociator(service: service, queue: queue)
        let serverPorts = ServerPortBinder(service: service, routing: routing, pods: pods, podDirectory: podDirectory, queue: queue,
                                           cleaner: cleaner, floatingIPs: floatingIPRelease)
        self.pods = pods
        self.queue = queue
        self.shadows = shadows
        self.cleaner = cleaner
        self.northSouth = northSouth
        self.floatingIPs = floatingIPs
        self.routers = routers
        self.floatingIPRelease = floatingIPRelease
        self.serverPorts = serverPorts
        self.syncer = NeutronSyncer(service: service, routing: routing, pods: pods, podDirectory: podDirectory, copies: copies,
                                    groupSync: groupSync, routers: routers, floatingIPs: floatingIPs)
        self.boot = BootPreparer(service: service, routing: routing, pods: pods, copies: copies, groupSync: groupSync,
                                 serverPorts: serverPorts, queue: queue)
    }

    // MARK: NetworkProvisioning

    func prepare(networks: JSONValue?, securityGroups: [String], in pod: Pod, context: PodCallContext) async throws -> PreparedNetworks {
        try await boot.prepare(networks: networks, securityGroups: securityGroups, in: pod, context: context)
    }

    func release(_ prepared: PreparedNetworks, in pod: Pod, context: PodCallContext) async {
        await boot.release(prepared, in: pod, context: context)
    }

    func serverCreated(serverID: String, prepared: PreparedNetworks, in pod: Pod, context: PodCallContext) async {
        await serverPorts.serverCreated(serverID: serverID, prepared: prepared, in: pod, context: context)
    }

    func serverDeleting(serverID: String, in pod: Pod, context: PodCallContext) async {
        await serverPorts.serverDeleting(serverID: serverID, in: pod, context: context)
    }

    func serverGone(serverID: String, in pod: Pod, context: PodCallContext) async {
        await serverPorts.serverGone(serverID: serverID, in: pod, context: context)
    }
}
