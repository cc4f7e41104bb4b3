import Hummingbird
import Logging
import OpenStackClient
import ServiceLifecycle

extension GatewayRuntime {
    /// The admin API listener: version documents open, everything under /v1.0 behind Keystone and the admin role.
    func makeAdminApplication(onListening: @escaping @Sendable (String, Int) async -> Void) -> some Service {
        let router = Router(context: GatewayRequestContext.self)
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: PublicOriginMiddleware(origin: publicOrigin))
        let admin = AdminAPI(
            store: store, jobs: jobs, regionExists: { [self] in try await self.regionExists($0) },
            maxBodySize: config.maxBodyBytes,
            publicURL: nil)
        // Prometheus scrapes without a token (as it does every exporter); the series carry no tenant data.
        router.get("/metrics") { [self] _, _ in try await self.metricsResponse() }
        router.get("/dashboard") { _, _ in OperatorDashboard.response() }
        admin.addVersionRoutes(to: router)
        let protected = router.group()
            .add(middleware: KeystoneAuthMiddleware(validator: keystone, configuration: authConfiguration, cache: tokenCache, errorBody: .admin))
            .add(middleware: RequireAdminMiddleware(errorBody: .admin))
        protected.get("/v1.0/status") { [self] _, _ in AdminJSON.response(try await self.operatorStatus()) }
        protected.get("/v1.0/quotas/:project") { [self] _, context in
            AdminJSON.response(try await self.quotaView(project: context.parameters.require("project")))
        }
        admin.addRoutes(to: protected)
        return Application(
            router: InstrumentedRouter(router, api: "admin", metrics: metrics), server: serverBuilder, configuration: listenerConfiguration(port: config.adminPort, name: "admin"),
            onServerRunning: { channel in await onListening("admin", Self.boundPort(channel)) },
            logger: Logger(label: "tricircle.admin"))
    }
}
