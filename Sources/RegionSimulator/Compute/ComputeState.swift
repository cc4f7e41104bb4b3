import Foundation
import OpenStackModels

/// One port plugged into a simulated server, as Nova's network info cache holds it (backs `addresses`,
/// `/ips` and `/os-interface`); the port itself lives in the region's Neutron.
struct ServerPortRecord: Sendable, Hashable {
    /// Network name: `addresses` is keyed by it, as in Nova.
    var network: String
    var networkID: String
    var portID: String
    var mac: String
    var fixedIPs: [FixedIP]
    /// Device tag given at boot (2.32+) or attach (2.49+).
    var tag: String? = nil
    /// Nova made this port (from a network request), so Nova deletes it; given ports are only unbound.
    var ownedByNova = false

    var ips: [String] { fixedIPs.compactMap(\.ipAddress) }
}

/// What a server becomes when its current task finishes.
struct ServerTarget: Sendable {
    var vmState: String
    var powerState: Int
    /// Set `launched_at` when reached (first boot, unshelve).
    var launches: Bool = false
    /// Flavor to switch to when reached (revert resize).
    var flavorID: String?
    /// The server is gone when reached (a delete in progress).
    var deletes: Bool = false
    /// The fault shown when this target is an error (e.g. no valid host).
    var fault: String? = nil
}

/// A simulated Nova instance.
struct ServerRecord: Sendable {
    var id: String
    var name: String
    var projectID: String
    var userID: String
    var created: Date
    var updated: Date
    var launchedAt: Date?
    var imageRef: String
    var flavorID: String
    var oldFlavorID: String?
    var vmState: String
    var taskState: String?
    var powerState: Int
    var pending: Pending<ServerTarget>?
    var metadata: [String: String]
    var tags: [String]
    var keyName: String?
    var userData: String?
    var description: String?
    var hostname: String
    var accessIPv4: String
    var accessIPv6: String
    var ports: [ServerPortRecord]
    var securityGroups: [String]
    var locked: Bool = false
    var lockedReason: String?
    var configDrive: String
    var diskConfig: String
    var reservationID: String
    var launchIndex: Int
    var host: String
    var availabilityZone: String
    var adminPass: String
    /// The create request as sent, for fields this simulator does not interpret.
    var request: [String: JSONValue]
    /// Attached volume ids in attach order.
    var volumeAttachments: [VolumeAttachmentRecord] = []
    /// The server group it was booted into (scheduler hint `group`).
    var serverGroupID: String? = nil
    /// The fault message of a server in ERROR.
    var faultMessage: String? = nil

    /// This record with any due transition applied.
    func settled(at now: Date) -> ServerRecord {
        guard let pending, pending.due <= now else { return self }
        var copy = self
        copy.apply(pending)
        return copy
    }

    mutating func settle(at now: Date) {
        if let pending, pending.due <= now { apply(pending) }
    }

    /// A delete whose transition has ended: the server no longer exists for any reader.
    @inline(__always)
    func isGone(at now: Date) -> Bool {
        vmState == "deleted" || (pending.map { $0.target.deletes && $0.due <= now } ?? false)
    }

    private mutating func apply(_ pending: Pending<ServerTarget>) {
        vmState = pending.target.vmState
        powerState = pending.target.powerState
        taskState = nil
        if pending.target.launches { launchedAt = pending.due }
        if let flavor = pending.target.flavorID { flavorID = flavor }
        if let fault = pending.target.fault { faultMessage = fault }
        updated = max(updated, pending.due)
        self.pending = nil
    }

    /// Nova's API status for a vm_state and task_state.
    var status: String {
        switch vmState {
        case "active":
            switch taskState {
            case "rebooting", "reboot_pending", "reboot_started": "REBOOT"
            case "rebooting_hard", "reboot_pending_hard", "reboot_started_hard": "HARD_REBOOT"
            case "rebuilding", "rebuild_block_device_mapping", "rebuild_spawning": "REBUILD"
            case "resize_prep", "resize_migrating", "resize_migrated", "resize_finish": "RESIZE"
            case "resize_reverting": "REVERT_RESIZE"
            case "updating_password": "PASSWORD"
            case "migrating": "MIGRATING"
            default: "ACTIVE"
            }
        case "building": "BUILD"
        case "stopped":
            switch taskState {
            case "resize_prep", "resize_migrating", "resize_migrated", "resize_finish": "RESIZE"
            case "rebuilding": "REBUILD"
            default: "SHUTOFF"
            }
        case "resized": taskState == "resize_reverting" ? "REVERT_RESIZE" : "VERIFY_RESIZE"
        case "paused": "PAUSED"
        case "suspended": "SUSPENDED"
        case "rescued": "RESCUE"
        case "error": "ERROR"
        case "deleted": "DELETED"
        case "soft-delete": "SOFT_DELETED"
        case "shelved": "SHELVED"
        case "shelved_offloaded": "SHELVED_OFFLOADED"
        default: "UNKNOWN"
        }
    }
}

/// A volume attached to a server, as Nova records it.
struct VolumeAttachmentRecord: Sendable, Hashable {
    var volumeID: String
    var attachmentID: String
    var device: String
    var tag: String?
    var deleteOnTermination: Bool
    var bdmUUID: String
}

/// A simulated flavor.
struct FlavorRecord: Sendable {
    var flavor: Flavor
    var extraSpecs: [String: String]
    var access: Set<String>
}

/// A key pair of one user.
struct KeypairRecord: Sendable {
    var keypair: Keypair
    var created: Date
    var id: Int
}

/// Nova's state in one region.
struct ComputeState: Sendable {
    var servers: [String: ServerRecord] = [:]
    /// Server ids in creation order (the default list order is its reverse).
    var order: [String] = []
    var flavors: [String: FlavorRecord] = [:]
    /// userID -> name -> key pair.
    var keypairs: [String: [String: KeypairRecord]] = [:]
    var nextKeypairID = 1
    var quotaDefaults: [String: Int]
    /// project -> overrides.
    var quotas: [String: [String: Int]] = [:]
    var nextAddress = 0
    var serverGroups: [String: ServerGroupRecord] = [:]
    /// Group ids in creation order (Nova lists groups in id order; creation order is stable here).
    var serverGroupOrder: [String] = []
    /// Servers being deleted -> when they are gone, so finished deletes are purged without a scan.
    var deleting: [String: Date] = [:]
    /// Host aggregates (`os-aggregates`).
    var aggregates = AggregateState()
    /// Server id -> its action log, oldest first (kept after the server is gone, as Nova's is).
    var instanceActions: [String: [InstanceActionRecord]] = [:]
    /// Service number -> what admins changed on it (`os-services`).
    var serviceChanges: [Int: ServiceChange] = [:]

    static func seeded(quotaDefaults: QuotaDefaults) -> ComputeState {
        var state = ComputeState(quotaDefaults: quotaDefaults.compute)
        // devstack's flavors.
        let seeds: [(String, String, Int, Int, Int)] = [
            ("1", "m1.tiny", 512, 1, 1), ("2", "m1.small", 2048, 1, 20), ("3", "m1.medium", 4096, 2, 40),
            ("4", "m1.large", 8192, 4, 80), ("5", "m1.xlarge", 16384, 8, 160), ("42", "m1.nano", 128, 1, 1),
            ("84", "m1.micro", 192, 1, 1), ("c1", "cirros256", 256, 1, 1), ("d1", "ds512M", 512, 1, 5),
            ("d2", "ds1G", 1024, 1, 10), ("d3", "ds2G", 2048, 2, 10), ("d4", "ds4G", 4096, 4, 20),
        ]
        for (id, name, ram, vcpus, disk) in seeds {
            state.flavors[id] = FlavorRecord(
                flavor: Flavor(id: id, name: name, ram: ram, vcpus: vcpus, disk: disk, description: nil),
                extraSpecs: [:], access: [])
        }
        return state
    }

    /// Limit of one quota resource for a project (-1 = unlimited).
    func quota(_ resource: String, project: String) -> Int {
        quotas[project]?[resource] ?? quotaDefaults[resource] ?? -1
    }

    /// Drops servers whose delete transition has ended (only the few being deleted are looked at).
    mutating func purgeDeleted(now: Date) {
        guard !deleting.isEmpty else { return }
        let gone = deleting.filter { $0.value <= now }.map(\.key)
        guard !gone.isEmpty else { return }
        for id in gone {
            deleting[id] = nil
            if let server = servers[id] { leaveGroup(server) }
            servers[id] = nil
        }
        let goneSet = Set(gone)
        order.removeAll { goneSet.contains($0) }
    }

    /// instances, cores and ram in use by a project (servers still being deleted count, as in Nova).
    func usage(project: String, now: Date = .distantPast) -> (instances: Int, cores: Int, ram: Int) {
        var result = (instances: 0, cores: 0, ram: 0)
        for server in servers.values where server.projectID == project && !server.isGone(at: now) {
            result.instances += 1
            if let flavor = flavors[server.flavorID]?.flavor {
                result.cores += flavor.vcpus
                result.ram += flavor.ram
            }
        }
        return result
    }

    /// Next simulated fixed IP and MAC.
    mutating func allocateAddress() -> (ip: String, mac: String) {
        nextAddress += 1
        let n = nextAddress
        let ip = "10.\((n >> 16) & 0xff).\((n >> 8) & 0xff).\(n & 0xff)"
        let mac = String(format: "fa:16:3e:%02x:%02x:%02x", (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff)
        return (ip, mac)
    }
}
