import Foundation

/// What `SimulatedCloud` starts: regions, their services, ports and timing.
public struct SimulatedCloudConfiguration: Sendable {
    /// A service a region can run.
    public enum ServiceKind: String, Sendable, CaseIterable, Codable, Hashable {
        case compute
        case volume = "volumev3"
        case image
        case network
        case database

        /// Accepts catalog types and service names ("nova", "cinderv3", "volume", "glance", "neutron", "trove").
        public init?(loose name: String) {
            switch name.lowercased() {
            case "compute", "nova": self = .compute
            case "volumev3", "volume", "cinder", "cinderv3", "block-storage": self = .volume
            case "image", "glance": self = .image
            case "network", "neutron": self = .network
            case "database", "trove": self = .database
            default: return nil
            }
        }
    }

    /// One simulated region.
    public struct Region: Sendable, Hashable {
        /// Keystone region name.
        public var name: String
        /// The availability zone its services report.
        public var availabilityZone: String
        /// The services it runs.
        public var services: [ServiceKind]

        public init(name: String, availabilityZone: String, services: [ServiceKind] = ServiceKind.allCases) {
            self.name = name
            self.availabilityZone = availabilityZone
            self.services = services
        }
    }

    /// Regions to simulate; default RegionOne/az1 and RegionTwo/az2 with every service.
    public var regions: [Region]
    /// Address every listener binds.
    public var host: String
    /// 0: ephemeral ports. Otherwise Keystone listens on `basePort` and the services on the ports after it,
    /// region by region in configuration order.
    public var basePort: Int
    /// Keystone admin password.
    public var adminPassword: String
    /// Token lifetime.
    public var tokenLifetime: Duration
    /// Delay of BUILD -> ACTIVE, creating -> available and every other transition (scaled by faults).
    public var transitionDelay: Duration
    /// How long a reboot or rebuild runs (scaled by faults): seconds, as in a real cloud, so a client
    /// polling once a second sees REBOOT, HARD_REBOOT or REBUILD.
    public var restartDelay: Duration = .seconds(3)
    /// Per-project quota defaults of every region.
    public var quotaDefaults: QuotaDefaults
    /// The simulated services' clock (tests substitute a manual one to step through transitions).
    public var now: @Sendable () -> Date

    public init(
        regions: [Region] = [
            Region(name: "RegionOne", availabilityZone: "az1"), Region(name: "RegionTwo", availabilityZone: "az2"),
        ],
        host: String = "127.0.0.1", basePort: Int = 0, adminPassword: String = "secret",
        tokenLifetime: Duration = .seconds(3600), transitionDelay: Duration = .milliseconds(200),
        quotaDefaults: QuotaDefaults = QuotaDefaults(), now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.now = now
        self.regions = regions
        self.host = host
        self.basePort = basePort
        self.adminPassword = adminPassword
        self.tokenLifetime = tokenLifetime
        self.transitionDelay = transitionDelay
        self.quotaDefaults = quotaDefaults
    }

    /// `count` regions named RegionOne... (then Region11...), AZs az1...azN, every service.
    public static func regions(_ count: Int, services: [ServiceKind] = ServiceKind.allCases) -> [Region] {
        let words = ["One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten"]
        return (1...max(1, count)).map { i in
            Region(name: i <= words.count ? "Region\(words[i - 1])" : "Region\(i)", availabilityZone: "az\(i)", services: services)
        }
    }
}
