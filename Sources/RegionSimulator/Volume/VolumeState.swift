import Foundation
import OpenStackModels

/// A volume's attachment to a server.
struct VolumeAttachRecord: Sendable, Hashable {
    var attachmentID: String
    var serverID: String
    var device: String?
    var attachedAt: Date
    var hostName: String?
}

/// A simulated Cinder record whose status becomes `pending.target` once `pending.due` has passed.
protocol SettlingRecord: Sendable {
    var status: String { get set }
    var pending: Pending<String>? { get set }
    var updated: Date { get set }
}

extension SettlingRecord {
    func settled(at now: Date) -> Self {
        guard let pending, pending.due <= now else { return self }
        var copy = self
        copy.status = pending.target
        copy.updated = max(updated, pending.due)
        copy.pending = nil
        return copy
    }

    mutating func settle(at now: Date) { self = settled(at: now) }
}

/// A simulated Cinder volume.
struct VolumeRecord: SettlingRecord {
    var id: String
    var name: String?
    var description: String?
    var size: Int
    var status: String
    var pending: Pending<String>?
    var availabilityZone: String
    var volumeTypeID: String
    var projectID: String
    var userID: String
    var created: Date
    var updated: Date
    var metadata: [String: String]
    var bootable: Bool
    var readonly: Bool = false
    var multiattach: Bool = false
    var attachments: [VolumeAttachRecord] = []
    var snapshotID: String?
    var sourceVolumeID: String?
    var imageMetadata: [String: String]?
    var host: String
    /// Fields of the create request this simulator does not interpret.
    var request: [String: JSONValue]
}

/// A simulated Cinder snapshot.
struct SnapshotRecord: SettlingRecord {
    var id: String
    var name: String?
    var description: String?
    var volumeID: String
    var size: Int
    var status: String
    var pending: Pending<String>?
    var projectID: String
    var userID: String
    var created: Date
    var updated: Date
    var metadata: [String: String]
}

/// Cinder's state in one region.
struct VolumeState: Sendable {
    var volumes: [String: VolumeRecord] = [:]
    var order: [String] = []
    var snapshots: [String: SnapshotRecord] = [:]
    var snapshotOrder: [String] = []
    var backups: [String: BackupRecord] = [:]
    var backupOrder: [String] = []
    /// Attachments made through the attachments API (3.27+), by id.
    var attachments: [String: CinderAttachmentRecord] = [:]
    var types: [String: VolumeType] = [:]
    var defaultTypeID: String
    var quotaDefaults: [String: Int]
    var quotas: [String: [String: Int]] = [:]

    static func seeded(regionName: String, quotaDefaults: QuotaDefaults) -> VolumeState {
        let lvm = VolumeType(
            id: SeedID.uuid("\(regionName)/volume-type/lvmdriver-1"), name: "lvmdriver-1", description: nil,
            isPublic: true, extraSpecs: ["volume_backend_name": "lvmdriver-1"])
        let fallback = VolumeType(
            id: SeedID.uuid("\(regionName)/volume-type/__DEFAULT__"), name: "__DEFAULT__",
            description: "Default Volume Type", isPublic: true, extraSpecs: [:])
        var state = VolumeState(defaultTypeID: lvm.id, quotaDefaults: quotaDefaults.volume)
        state.types[lvm.id] = lvm
        state.types[fallback.id] = fallback
        return state
    }

    /// A type by id or name.
    func type(named idOrName: String) -> VolumeType? {
        types[idOrName] ?? types.values.first { $0.name == idOrName }
    }

    func quota(_ resource: String, project: String) -> Int {
        quotas[project]?[resource] ?? quotaDefaults[resource] ?? -1
    }

    func usage(project: String) -> (volumes: Int, gigabytes: Int, snapshots: Int) {
        var result = (volumes: 0, gigabytes: 0, snapshots: 0)
        for volume in volumes.values where volume.projectID == project {
            result.volumes += 1
            result.gigabytes += volume.size
        }
        for snapshot in snapshots.values where snapshot.projectID == project {
            result.snapshots += 1
            result.gigabytes += snapshot.size
        }
        return result
    }
}
