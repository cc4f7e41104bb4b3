import Hummingbird
import OpenStackModels
import TricircleGateway
import TricircleJobs

/// The Networking API (Neutron v2.0) at the top: its own state in the gateway's database, central address
/// allocation, and copies in the pods made for boots and kept in step by jobs.
public struct NetworkFrontEnd: GatewayFrontEnd {
    public let runtime: GatewayRuntime
    let service: NetworkService
    let provisioner: NetworkProvisioner

    /// Registers this module's job handlers (keeping pods in step) with `registry`.
    public init(runtime: GatewayRuntime, registry: JobHandlerRegistry) {
        self.runtime = runtime
        self.service = NetworkService(runtime: runtime)
        self.provisioner = NetworkProvisioner(service: service)
        registry.register(NeutronSyncJob(syncer: provisioner.syncer))
        registry.register(NeutronCleanupJob(cleaner: provisioner.cleaner))
        registry.register(ShadowPortJob(shadows: provisioner.shadows))
    }

    /// What a boot uses to materialize networks, ports and security groups in its pod.
    public var networkProvisioner: (any NetworkProvisioning)? { provisioner }
    /// What `tricircle audit` checks of this module's own records: ports boots made and never settled.
    public var bootPortAudit: (any TopRecordAuditing)? { StrandedBootPorts(service: service, serverPorts: provisioner.serverPorts) }
    public var component: GatewayComponents { .network }
    public var name: String { "network" }
    public var port: Int { runtime.config.networkPort }
    public var serviceType: String { "network" }
    public var catalogPath: String { "" }

    public func makeRouter() -> GatewayRouter {
        let router = runtime.frontEndRouter(format: .neutron)
        VersionRoutes().addRoutes(to: router.group())
        let v = runtime.authenticated(router, format: .neutron)
            .add(middleware: QuotaEnforcementMiddleware(service: service))
            .group("/v2.0")
        let p = provisioner
        let ports = PortRoutes(service: service, queue: p.queue, cleaner: p.cleaner, floatingIPRelease: p.floatingIPRelease)
        let resources: [any APIRoutes] = [
            ExtensionRoutes(),
            NetworkRoutes(service: service, queue: p.queue, serverPorts: p.serverPorts, cleaner: p.cleaner),
            SubnetRoutes(service: service, queue: p.queue, serverPorts: p.serverPorts, cleaner: p.cleaner),
            ports,
            RouterRoutes(service: service, ports: ports, queue: p.queue, cleaner: p.cleaner, routers: p.routers, northSouth: p.northSouth),
            SecurityGroupRoutes(service: service, cleaner: p.cleaner),
            SecurityGroupRuleRoutes(service: service, queue: p.queue),
            FloatingIPRoutes(service: service, queue: p.queue, floatingIPs: p.floatingIPs),
            PlacementRoutes(service: service, routing: runtime.routing, podDirectory: runtime.podDirectory, pods: p.pods),
            QuotaRoutes(service: service),
            AvailabilityZoneRoutes(service: service),
            SubnetPoolRoutes(service: service),
            AddressScopeRoutes(service: service),
            TagRoutes(service: service),
        ]
        for r in resources { r.addRoutes(to: v) }
        return router
    }
}
