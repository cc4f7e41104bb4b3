/// The parts of the gateway a `tricircle serve` process runs; several processes may split them.
public struct GatewayComponents: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let admin = GatewayComponents(rawValue: 1 << 0)
    public static let jobs = GatewayComponents(rawValue: 1 << 1)
    public static let compute = GatewayComponents(rawValue: 1 << 2)
    public static let volume = GatewayComponents(rawValue: 1 << 3)
    public static let image = GatewayComponents(rawValue: 1 << 4)
    public static let network = GatewayComponents(rawValue: 1 << 5)
    public static let database = GatewayComponents(rawValue: 1 << 6)

    /// Everything this build can run.
    public static let all: GatewayComponents = [.admin, .jobs, .compute, .volume, .image, .network, .database]

    /// Names accepted on the command line, in display order.
    public static let names: [(String, GatewayComponents)] = [
        ("admin", .admin), ("jobs", .jobs), ("compute", .compute), ("volume", .volume), ("image", .image), ("network", .network),
        ("database", .database),
    ]

    /// Every API listener (the admin API and each front-end), no job workers: an API node behind a load balancer.
    public static let api: GatewayComponents = [.admin, .compute, .volume, .image, .network, .database]

    /// Names that stand for several components (`--only api` on API nodes, `--only jobs` on workers).
    public static let groups: [(String, GatewayComponents)] = [("api", .api)]

    /// Parses `admin,jobs` or `api`; the error names the first unknown entry.
    public static func parse(_ text: String) throws(ComponentNameError) -> GatewayComponents {
        var result: GatewayComponents = []
        for raw in text.split(separator: ",") {
            let name = raw.trimmingCharacters(in: .whitespaces)
            guard let match = (names + groups).first(where: { $0.0 == name }) else {
                throw ComponentNameError(message: "unknown component '\(name)'; known: \((names + groups).map(\.0).joined(separator: ", "))")
            }
            result.insert(match.1)
        }
        return result
    }
}

import Foundation

/// A component name `tricircle serve --only` does not know.
public struct ComponentNameError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
