import Hummingbird

/// One OpenStack API served at the top (Compute, Block Storage, Image, Networking, ...): its own listener.
///
/// Front-end modules implement this; `GatewayRuntime.services(components:frontEnds:)` runs the ones the
/// process was asked for, each on its configured port.
public protocol GatewayFrontEnd: Sendable {
    /// The component that turns this front-end on (`tricircle serve --only compute`).
    var component: GatewayComponents { get }
    /// Short name for logs and `onListening` ("compute", "volume", "image", "network").
    var name: String { get }
    /// The configured port (0: any free port, reported through `onListening`).
    var port: Int { get }
    /// The catalog service type this front-end answers for ("compute", "volumev3", "image", "network").
    var serviceType: String { get }
    /// Other service types the same endpoint is registered under ("block-storage" next to "volumev3").
    var serviceTypeAliases: [String] { get }
    /// The path the catalog endpoint should carry after host:port (e.g. "/v2.1", "/v3/$(project_id)s", "").
    var catalogPath: String { get }
    /// Builds the router with `GatewayRuntime.frontEndRouter(format:)`: version documents open, everything
    /// else in `GatewayRuntime.authenticated(_:format:)` (Keystone, then the body read once).
    func makeRouter() -> GatewayRouter
}

extension GatewayFrontEnd {
    /// No aliases unless a front-end names some.
    public var serviceTypeAliases: [String] { [] }

    /// Every service type the front-end's endpoint is registered under in the catalog.
    public var catalogServiceTypes: [String] { [serviceType] + serviceTypeAliases }
}
