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
        registry.register(NeutronSyncJob(provisioner: provisioner))
        registry.register(NeutronCleanupJob(provisioner: provisioner))
        registry.register(ShadowPortJob(provisioner: provisioner))
    }

    /// What a boot uses to materialize networks, ports and security groups in its pod.
    public var networkProvisioner: (any NetworkProvisioning)? { provisioner }
    public var component: GatewayComponents { .network }
    public var name: String { "network" }
    public var port: Int { runtime.config.networkPort }
    public var serviceType: String { "network" }
    public var catalogPath: String { "" }

    public func makeRouter() -> GatewayRouter {
        let router = runtime.frontEndRouter(format: .neutron)
        let versions = NeutronVersionRoutes()
        versions.register(on: router)
        let group = runtime.authenticated(router, format: .neutron)
            .add(middleware: QuotaEnforcementMiddleware(service: service))
        versions.registerAuthenticated(on: group)
        let ports = PortRoutes(service: service, provisioner: provisioner)
        let groups = SecurityGroupRoutes(service: service, provisioner: provisioner)
        NetworkRoutes(service: service, provisioner: provisioner).register(on: group)
        SubnetRoutes(service: service, provisioner: provisioner).register(on: group)
        ports.register(on: group)
        RouterRoutes(service: service, ports: ports, provisioner: provisioner).register(on: group)
        groups.register(on: group)
        SecurityGroupRuleRoutes(service: service, provisioner: provisioner).register(on: group)
        FloatingIPRoutes(service: service, provisioner: provisioner).register(on: group)
        PlacementRoutes(service: service, provisioner: provisioner).register(on: group)
        QuotaRoutes(service: service).register(on: group)
        AvailabilityZoneRoutes(service: service).register(on: group)
        return router
    }
}
