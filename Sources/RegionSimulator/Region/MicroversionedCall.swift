import Foundation
import Hummingbird
import OpenStackModels

/// One authenticated call to a microversioned simulated API (Compute, Block Storage).
struct MicroversionedCall: Sendable {
    let request: Request
    let context: BasicRequestContext
    let token: SimulatedToken
    let version: Microversion
    /// `http://host:port`.
    let base: String
    let now: Date

    /// A path parameter; 404 when absent (cannot happen with the registered routes).
    func param(_ name: String) throws -> String {
        guard let value = context.parameters.get(name) else { throw SimulatorError.notFound("Not found") }
        return value.removingPercentEncoding ?? value
    }

    func atLeast(_ major: Int, _ minor: Int) -> Bool { version >= Microversion(major, minor) }
    var isAdmin: Bool { token.isAdmin }
    func query(_ key: String) -> String? { SimHTTP.query(request, key) }
}
