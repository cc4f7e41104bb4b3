import Hummingbird

/// Stands in for Trove until `SimulatedDatabase` lands (answers 503 on every route).
struct SimulatedDatabasePlaceholder: SimulatedService {
    let serviceType = "database"
    let serviceName = "trove"
    let endpointPath = "/v1.0"
    func makeRouter(context: SimulatedRegionContext) -> Router<BasicRequestContext> {
        Router()
    }
}
