import Logging
import TricircleComputeAPI
import TricircleCore
import TricircleDatabaseAPI
import TricircleGateway
import TricircleImageAPI
import TricircleJobs
import TricircleNetworkAPI
import TricircleVolumeAPI

/// A whole gateway process: the runtime, every OpenStack front-end wired to the others (a boot asks the
/// image, flavor, key pair and network parts to prepare its pod), and the job handlers they need.
public struct GatewayAssembly: Sendable {
    public let runtime: GatewayRuntime
    /// Every OpenStack API front-end; which ones listen is decided by the components run.
    public let frontEnds: [any GatewayFrontEnd]
    /// The front-ends' own top records `tricircle audit` checks (ports boots made).
    public let topRecordAuditors: [any TopRecordAuditing]
    /// How the audit forgets a server its pod no longer has: as Compute does, releasing the boot's ports.
    let goneServers: GoneServers

    /// Opens the runtime and builds the front-ends and job handlers.
    /// `sharingStoreOf`: another gateway in this process whose store this one uses (and leaves open; tests).
    public static func start(
        config: TricircleConfig, sharingStoreOf other: GatewayRuntime? = nil, logger: Logger = Logger(label: "tricircle")
    ) async throws -> GatewayAssembly {
        let registry = JobHandlerRegistry()
        let runtime = if let other {
            GatewayRuntime.start(config: config, sharingStoreOf: other, registry: registry, logger: logger)
        } else {
            try await GatewayRuntime.start(config: config, registry: registry, logger: logger)
        }
        let image = ImageFrontEnd(runtime: runtime, registry: registry)
        var volume = VolumeFrontEnd(runtime: runtime, registry: registry)
        // A volume made from a top image needs the image in its pod first, as a boot does.
        if let images = image.imageProvisioner { volume = volume.with(images: images) }
        let network = NetworkFrontEnd(runtime: runtime, registry: registry)
        let catalog = ComputeCatalogRoutes(runtime: runtime, registry: registry)
        let provisioners = BootProvisioners(
            image: image.imageProvisioner, flavor: catalog.flavorMapping, keypair: catalog.keypairProvisioning,
            network: network.networkProvisioner)
        let compute = ComputeFrontEnd(runtime: runtime, catalog: catalog, provisioners: provisioners)
        var database = DatabaseFrontEnd(runtime: runtime, registry: registry)
        // A database flavorRef means the same flavor in every region, as a boot's does.
        if let flavors = catalog.flavorMapping { database = database.with(flavors: flavors) }
        // Its `nics` name top networks, made ready in the instance's region as for a boot.
        if let networks = network.networkProvisioner { database = database.with(network: networks) }
        registry.register(ServerAdoptionJob(runtime: runtime, network: provisioners.network))
        // Whoever notices that a pod deleted a server (a show, a delete's confirmation, the audit) forgets it
        // the same way, so the ports its boot made never outlive it.
        let goneServers = GoneServers(runtime: runtime, network: provisioners.network)
        registry.register(ServerDeleteConfirmJob(runtime: runtime, servers: goneServers))
        let auditors: [any TopRecordAuditing] = [network.bootPortAudit].compactMap { $0 }
        AuditJob.register(in: registry, runtime: runtime, topRecords: auditors, servers: goneServers)
        registry.register(QuotaReconcileJob(runtime: runtime))
        registry.register(QuotaPodSyncJob(runtime: runtime))
        return GatewayAssembly(
            runtime: runtime, frontEnds: [compute, volume, image, network, database], topRecordAuditors: auditors, goneServers: goneServers)
    }

    /// The audit of this process's pods and records (`tricircle audit`), with every front-end's own checks.
    public func audit(graceSeconds: Double, logger: Logger = Logger(label: "tricircle.audit")) -> GatewayAudit {
        GatewayAudit(runtime: runtime, graceSeconds: graceSeconds, topRecords: topRecordAuditors, servers: goneServers, logger: logger)
    }

    /// Runs the requested components until SIGTERM/SIGINT or cancellation.
    public func run(components: GatewayComponents, onListening: @escaping @Sendable (String, Int) async -> Void = { _, _ in }) async throws {
        let runtime = runtime
        guard components.contains(.jobs), runtime.config.jobWorkers > 0 else {
            try await runtime.run(components: components, frontEnds: frontEnds, onListening: onListening)
            return
        }
        // Worker processes also queue the periodic audit and quota reconcile (each returns at once when its
        // interval is 0); they stop with the gateway.
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await AuditJob.schedule(runtime: runtime) }
            group.addTask { await QuotaReconcileJob.schedule(runtime: runtime) }
            defer { group.cancelAll() }
            try await runtime.run(components: components, frontEnds: frontEnds, onListening: onListening)
        }
    }

    /// The front-end answering for a component.
    public func frontEnd(_ component: GatewayComponents) -> (any GatewayFrontEnd)? {
        frontEnds.first { $0.component == component }
    }

    /// Releases the store and HTTP client.
    public func shutdown() async { await runtime.shutdown() }
}
