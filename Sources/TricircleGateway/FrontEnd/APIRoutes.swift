import Hummingbird

/// One API resource's routes: a `<Resource>Routes` type whose `addRoutes` lists them first in its file, each a method reference.
public protocol APIRoutes: Sendable {
    /// Adds the routes, paths relative to the front-end's version group ("servers/:id").
    func addRoutes(to group: RouterGroup<GatewayRequestContext>)
}
