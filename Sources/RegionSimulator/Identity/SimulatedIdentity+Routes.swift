import Foundation
import Hummingbird

extension SimulatedIdentity {
    func addRoutes(to router: Router<BasicRequestContext>) {
    }
}
