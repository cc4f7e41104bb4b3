import Foundation
import Hummingbird
import Synchronization

/// A token issued by the simulated Keystone, as the in-process regions see it.
public struct SimulatedToken: Sendable, Equatable {
    public let id: String
    public let userID: String
    public let userName: String
    /// Empty for unscoped and domain-scoped tokens.
    public let projectID: String
    public let projectName: String
    /// Role names on the scope.
    public let roles: [String]
    public let expiresAt: Date
    public let issuedAt: Date
    /// Set for domain-scoped tokens.
    public let domainID: String?
    /// Authentication methods that produced the token ("password", "token").
    public let methods: [String]
    /// Chain id shared by a token and the tokens derived from it with the "token" method.
    let auditIDs: [String]

    /// True when the token carries the admin role.
    public var isAdmin: Bool { roles.contains("admin") }

    public init(
        id: String, userID: String, userName: String, projectID: String, projectName: String,
        roles: [String], expiresAt: Date, issuedAt: Date = Date(), domainID: String? = nil,
        methods: [String] = ["password"]
    ) {
        self.id = id
        self.userID = userID
        self.userName = userName
        self.projectID = projectID
        self.projectName = projectName
        self.roles = roles
        self.expiresAt = expiresAt
        self.issuedAt = issuedAt
        self.domainID = domainID
        self.methods = methods
        self.auditIDs = [Self.randomAuditID()]
    }

    init(
        id: String, userID: String, userName: String, projectID: String, projectName: String,
        roles: [String], expiresAt: Date, issuedAt: Date, domainID: String?, methods: [String],
        auditIDs: [String]
    ) {
        self.id = id
        self.userID = userID
        self.userName = userName
        self.projectID = projectID
        self.projectName = projectName
        self.roles = roles
        self.expiresAt = expiresAt
        self.issuedAt = issuedAt
        self.domainID = domainID
        self.methods = methods
        self.auditIDs = auditIDs
    }

    static func randomAuditID() -> String {
        // Keystone audit ids are 22 chars of urlsafe base64.
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// An in-process Keystone v3: users, projects, roles, regions, a catalog, and token issue/validate/revoke.
public final class SimulatedIdentity: Sendable {
    let state: Mutex<IdentityState>
    let adminPassword: String
    let tokenLifetime: Duration
    /// The clock tokens are issued and checked against.
    let now: @Sendable () -> Date

    /// Seeds domain "default", projects admin/service/demo/alt_demo, roles admin/member/reader, and
    /// users admin, tricircle (the gateway's service user), demo and alt_demo.
    public convenience init(adminPassword: String = "secret", tokenLifetime: Duration = .seconds(3600)) {
        self.init(adminPassword: adminPassword, tokenLifetime: tokenLifetime, clock: { Date() })
    }

    /// As `init(adminPassword:tokenLifetime:)`, with a clock tests can move forward.
    public init(adminPassword: String = "secret", tokenLifetime: Duration = .seconds(3600), clock: @escaping @Sendable () -> Date) {
        self.adminPassword = adminPassword
        self.tokenLifetime = tokenLifetime
        self.now = clock
        self.state = Mutex(IdentityState.seeded(adminPassword: adminPassword))
    }

    /// Registers a region (idempotent).
    public func addRegion(_ name: String) {
        state.withLock { $0.addRegion(id: name, description: "", parentRegionID: nil) }
    }

    /// Sets the endpoint of `serviceType` in `region` for `interface`, creating the service (named
    /// `serviceName`, or joining the one of that type already registered) and region when missing and
    /// replacing an existing endpoint for the same triple.
    public func setEndpoint(
        region: String, serviceType: String, serviceName: String, interface: String = "public", url: String
    ) {
        state.withLock { state in
            state.addRegion(id: region, description: "", parentRegionID: nil)
            let serviceID = state.ensureService(type: serviceType, name: serviceName)
            state.endpoints = state.endpoints.filter {
                !($0.value.serviceID == serviceID && $0.value.regionID == region && $0.value.interface == interface)
            }
            let endpoint = IdentityState.EndpointRecord(
                id: IdentityState.newID(), serviceID: serviceID, regionID: region, interface: interface,
                url: url, enabled: true)
            state.endpoints[endpoint.id] = endpoint
        }
    }

    /// Removes every endpoint of `serviceType` in `region` (a region without that service, as real regions
    /// without Trove are).
    public func removeEndpoints(region: String, serviceType: String) {
        state.withLock { state in
            let serviceIDs = Set(state.services.values.filter { $0.type == serviceType }.map(\.id))
            state.endpoints = state.endpoints.filter { !(serviceIDs.contains($0.value.serviceID) && $0.value.regionID == region) }
        }
    }

    /// Returns the token when it exists, has not expired and was not revoked.
    public func validate(token: String) -> SimulatedToken? {
        let now = now()
        return state.withLock { state in
            guard let found = state.tokens[token], found.expiresAt > now else { return nil }
            return found
        }
    }

    /// Whether Keystone knows the project (Nova asks before it stores a quota for one).
    public func hasProject(_ id: String) -> Bool {
        state.withLock { $0.projects[id] != nil }
    }

    /// Revokes a token (and nothing else); later validations fail.
    public func revoke(token: String) {
        _ = state.withLock { $0.tokens.removeValue(forKey: token) }
    }

    /// Issues a project-scoped token by password, for tests and tools that skip HTTP.
    public func issueToken(
        userName: String, password: String, projectName: String, domainID: String = "default"
    ) -> SimulatedToken? {
        let request = AuthRequestPlan(
            identity: .password(userID: nil, userName: userName, userDomainID: domainID, userDomainName: nil,
                                password: password),
            scope: .project(id: nil, name: projectName, domainID: domainID, domainName: nil))
        guard case .success(let token) = authenticate(request) else { return nil }
        return token
    }

    /// Routes for Keystone v3, mounted at the root ("/", "/v3/...").
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        addRoutes(to: router)
        return router
    }
}
