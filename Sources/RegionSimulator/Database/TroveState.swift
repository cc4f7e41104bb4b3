import Foundation
import OpenStackModels

/// One Trove instance as the simulator keeps it; its status is derived from timestamps on read, so
/// no timer runs per instance.
struct TroveInstanceRecord: Sendable {
    enum Phase: Sendable {
        case building(until: Date)
        case active
        case rebooting(until: Date)
        case resizingFlavor(until: Date, flavorID: String)
        case resizingVolume(until: Date, size: Int)
        case deleting(until: Date)
        case failed(message: String)
    }

    var id: String
    var name: String
    var projectID: String
    var flavorID: String
    var volumeSize: Int?
    var volumeType: String?
    var datastore: DatastoreRef
    var region: String
    var availabilityZone: String?
    var created: Date
    var updated: Date
    var phase: Phase
    var clusterID: String?
    var memberType: String?
    var address: String
    /// Set when the requested zone does not exist here: the build ends in ERROR, as Nova's scheduler would.
    var failBuild: Bool = false
    /// The replication source this instance replicates (nil: none).
    var replicaOf: String?
    /// Databases, users (name -> their databases) and whether root is enabled, as the guest holds them.
    var databases: [String] = []
    var users: [String: [String]] = [:]
    var rootEnabled = false
    /// The configuration group attached (nil: none).
    var configurationID: String?
}

/// A Trove cluster; members are instance records carrying its id.
struct TroveClusterRecord: Sendable {
    enum Task: Sendable {
        case none
        case building(until: Date)
        case growing(until: Date)
        case shrinking(until: Date, removing: [String])
        case deleting(until: Date)
    }

    var id: String
    var name: String
    var projectID: String
    var datastore: DatastoreRef
    var created: Date
    var updated: Date
    var task: Task
    var locality: String?
}

/// A Trove backup: NEW until its transition time has come, then COMPLETED (status derived on read).
struct TroveBackupRecord: Sendable {
    var id: String
    var name: String
    var description: String?
    var projectID: String
    var instanceID: String
    var datastore: DatastoreRef
    var size: Double
    var created: Date
    var completes: Date
}

/// Everything one simulated Trove knows.
struct TroveState: Sendable {
    var regionName = "RegionOne"
    var availabilityZone = "nova"
    var instances: [String: TroveInstanceRecord] = [:]
    var clusters: [String: TroveClusterRecord] = [:]
    var order: [String: UInt64] = [:]
    var sequence: UInt64 = 0
    var nextAddress: UInt32 = 0x0A00_0003
    /// Instances and clusters with a transition still to come; `settle` looks at these only.
    var pendingInstances: Set<String> = []
    var pendingClusters: Set<String> = []
    /// Backups of this region's instances (their data stays in this region's object store).
    var backups: [String: TroveBackupRecord] = [:]
    /// Configuration groups kept by this region's Trove.
    var configurations: [String: TroveConfigurationRecord] = [:]
    /// This region's datastores (an operator may remove versions: the mgmt API).
    var catalog: [Datastore] = TroveState.datastores
    /// Images registered for versions by the mgmt API (else a stable id per datastore and version).
    var versionImages: [String: String] = [:]
    /// The flavors this Trove knows, read on every use (its region's Nova's when it has one).
    var flavorCatalog: @Sendable () -> [DatabaseFlavor] = { TroveState.flavors }

    static let datastores: [Datastore] = {
        let catalog: [(String, [String])] = [
            ("mysql", ["5.7.29", "8.0.21"]), ("mariadb", ["10.4"]), ("postgresql", ["12.4", "13.4"]),
            ("mongodb", ["4.0.3"]), ("redis", ["5.0.7"]), ("cassandra", ["3.11"]),
        ]
        return catalog.map { name, versions in
            let datastoreID = stableID("datastore-\(name)")
            let entries = versions.map { DatastoreVersion(id: stableID("version-\(name)-\($0)"), name: $0) }
            return Datastore(id: datastoreID, name: name, defaultVersion: entries.last?.id, versions: entries)
        }
    }()

    /// Datastores Trove can build clusters of.
    static let clusterCapable: Set<String> = ["mariadb", "mongodb", "redis", "cassandra", "pxc", "vertica"]

    /// Nova's enabled flavors as Trove lists them (by id).
    static func flavors(fromNova records: some Sequence<FlavorRecord>) -> [DatabaseFlavor] {
        records.filter { $0.flavor.disabled != true }
            .map { DatabaseFlavor(id: $0.flavor.id, name: $0.flavor.name, ram: $0.flavor.ram, vcpus: $0.flavor.vcpus,
                                  disk: $0.flavor.disk, ephemeral: $0.flavor.ephemeral ?? 0) }
            .sorted { $0.id < $1.id }
    }

    /// A Trove without a Nova next to it: devstack's m1.* flavors.
    static let flavors: [DatabaseFlavor] = [
        DatabaseFlavor(id: "1", name: "m1.tiny", ram: 512, vcpus: 1, disk: 1),
        DatabaseFlavor(id: "2", name: "m1.small", ram: 2048, vcpus: 1, disk: 20),
        DatabaseFlavor(id: "3", name: "m1.medium", ram: 4096, vcpus: 2, disk: 40),
        DatabaseFlavor(id: "4", name: "m1.large", ram: 8192, vcpus: 4, disk: 80),
        DatabaseFlavor(id: "5", name: "m1.xlarge", ram: 16384, vcpus: 8, disk: 160),
        DatabaseFlavor(id: "d2", name: "ds2G", ram: 2048, vcpus: 2, disk: 10),
    ]

    /// A deterministic UUID-shaped id, so datastore ids are the same in every region.
    static func stableID(_ seed: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var hash2: UInt64 = 0x8422_2325_cbf2_9ce4
        for byte in seed.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
            hash2 = (hash2 ^ UInt64(byte)) &* 0x100_0000_01b3 &+ 7
        }
        let hex = String(format: "%016llx%016llx", hash, hash2)
        let chars = Array(hex)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(chars[$0]) }.joined(separator: "-")
    }

    static func newID() -> String { UUID().uuidString.lowercased() }

    mutating func register(_ id: String) {
        sequence += 1
        order[id] = sequence
    }

    mutating func allocateAddress() -> String {
        let value = nextAddress
        nextAddress += 1
        return "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)"
    }

    // MARK: Lazy transitions

    /// Stores an instance, remembering it when a transition is due later.
    mutating func put(_ record: TroveInstanceRecord) {
        instances[record.id] = record
        switch record.phase {
        case .active, .failed: pendingInstances.remove(record.id)
        default: pendingInstances.insert(record.id)
        }
    }

    mutating func put(_ record: TroveClusterRecord) {
        clusters[record.id] = record
        if case .none = record.task { pendingClusters.remove(record.id) } else { pendingClusters.insert(record.id) }
    }

    /// Applies every transition whose time has come; called under the lock before any read or write.
    mutating func settle(now: Date) {
        for id in pendingInstances {
            guard var r = instances[id] else {
                pendingInstances.remove(id)
                continue
            }
            switch r.phase {
            case .building(let until) where until <= now:
                r.phase = r.failBuild ? .failed(message: "No valid host was found. There are not enough hosts available.") : .active
            case .rebooting(let until) where until <= now:
                r.phase = .active
            case .resizingFlavor(let until, let flavor) where until <= now:
                r.flavorID = flavor
                r.phase = .active
            case .resizingVolume(let until, let size) where until <= now:
                r.volumeSize = size
                r.phase = .active
            case .deleting(let until) where until <= now:
                instances[id] = nil
                order[id] = nil
                pendingInstances.remove(id)
                continue
            default:
                continue
            }
            r.updated = now
            put(r)
        }
        for id in pendingClusters {
            guard var c = clusters[id] else {
                pendingClusters.remove(id)
                continue
            }
            switch c.task {
            case .building(let until) where until <= now, .growing(let until) where until <= now:
                c.task = .none
            case .shrinking(let until, let removing) where until <= now:
                for member in removing {
                    instances[member] = nil
                    order[member] = nil
                    pendingInstances.remove(member)
                }
                c.task = .none
            case .deleting(let until) where until <= now:
                for (memberID, member) in instances where member.clusterID == id {
                    instances[memberID] = nil
                    order[memberID] = nil
                    pendingInstances.remove(memberID)
                }
                clusters[id] = nil
                order[id] = nil
                pendingClusters.remove(id)
                continue
            default:
                continue
            }
            c.updated = now
            put(c)
        }
    }
}

extension TroveInstanceRecord {
    var status: String {
        switch phase {
        case .building: "BUILD"
        case .active: "ACTIVE"
        case .rebooting: "REBOOT"
        case .resizingFlavor, .resizingVolume: "RESIZE"
        case .deleting: "SHUTDOWN"
        case .failed: "ERROR"
        }
    }

    var isActive: Bool { if case .active = phase { true } else { false } }
}

extension TroveClusterRecord {
    var taskModel: DatabaseClusterTask {
        switch task {
        case .none: .none
        case .building: .buildingInitial
        case .growing: .growingCluster
        case .shrinking: .shrinkingCluster
        case .deleting: .deleting
        }
    }
}
