import Foundation
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// Block Storage's quota at the top (one per project over all regions): a volume create, an extend and a
/// snapshot reserve what they add before the pod is asked, with Cinder's 413 when it does not fit.
struct VolumeQuota: Sendable {
    let api: VolumeAPI

    var quota: QuotaService { api.quota }

    /// A new claim on Block Storage's quota.
    func claim() -> QuotaClaim { QuotaClaim(quota: quota, scope: .volume) }

    /// Runs `body` holding `claim`, then commits or releases it, whatever `body` did.
    static func settling<T: Sendable>(_ claim: QuotaClaim, _ body: () async throws -> T) async throws -> T {
        try await claim.settling(body)
    }

    /// What a volume of `size` GiB and type `type` holds.
    static func volumeAmounts(size: Int, type: String?) -> [String: Int] {
        var out = ["volumes": 1, "gigabytes": size]
        if let type, !type.isEmpty {
            out["volumes_\(type)"] = 1
            out["gigabytes_\(type)"] = size
        }
        return out
    }

    /// Reserves a new volume (a size not given, as for one made from a snapshot, is counted once the pod
    /// says it). Also Cinder's per-volume limit.
    func reserveVolume(size: Int?, type: String?, projectID: String, claim: QuotaClaim) async throws {
        let size = size ?? 0
        let limits = try await quota.limits(.volume, project: projectID)
        if let largest = limits["per_volume_gigabytes"], largest >= 0, size > largest {
            throw APIError(.contentTooLarge, "Requested volume size \(size)G is larger than maximum allowed limit \(largest)G.",
                           format: .fault, headers: [.retryAfter: "0"])
        }
        try await reserve(Self.volumeAmounts(size: size, type: type), projectID: projectID, claim: claim)
    }

    /// Reserves a snapshot of a volume (Cinder counts its size in `gigabytes`).
    func reserveSnapshot(volumeID: String, projectID: String, claim: QuotaClaim) async throws {
        let size = try await quota.holding(objectType: ResourceType.volume.rawValue, objectID: volumeID)?.amounts["gigabytes"] ?? 0
        try await reserve(["snapshots": 1, "gigabytes": size], projectID: projectID, claim: claim)
    }

    /// Reserves an extend's growth; returns what the volume holds afterwards (nil: the top never counted
    /// it, the reconcile job will).
    func reserveExtend(volumeID: String, newSize: Int, projectID: String, claim: QuotaClaim) async throws -> QuotaHolding? {
        guard var holding = try await quota.holding(objectType: ResourceType.volume.rawValue, objectID: volumeID) else { return nil }
        let growth = newSize - (holding.amounts["gigabytes"] ?? 0)
        guard growth > 0 else { return nil }
        var adding = ["gigabytes": growth]
        for key in holding.amounts.keys where key.hasPrefix("gigabytes_") { adding[key] = growth }
        try await reserve(adding, projectID: projectID, claim: claim)
        for key in adding.keys { holding.amounts[key, default: 0] += growth }
        return holding
    }

    func reserve(_ amounts: [String: Int], projectID: String, claim: QuotaClaim) async throws {
        switch try await quota.reserve(.volume, project: projectID, perUnit: amounts) {
        case .reserved(let id, _):
            claim.taken(id, perUnit: amounts)
        case .exceeded(let overs, let counts, let limits, _):
            throw Self.overQuota(overs: overs, requested: amounts, counts: counts, limits: limits)
        }
    }

    /// Cinder's 413 for the first resource over its limit, gigabytes first, in Cinder's words
    /// (`VolumeSizeExceedsAvailableQuota`, `VolumeLimitExceeded`, `SnapshotLimitExceeded`).
    static func overQuota(overs: [String], requested: [String: Int], counts: [String: Int], limits: [String: Int]) -> APIError {
        // Cinder names the size first (`VolumeSizeExceedsAvailableQuota`, `VolumeBackupSizeExceedsAvailableQuota`).
        let over = overs.first { $0.hasPrefix("gigabytes") || $0 == "backup_gigabytes" } ?? overs.first ?? "volumes"
        let allowed = limits[over] ?? 0
        let message: String
        if over == "backup_gigabytes" {
            message = "Requested backup exceeds allowed Backup gigabytes quota. Requested \(requested[over] ?? 0)G, "
                + "quota is \(allowed)G and \(counts[over] ?? 0)G has been consumed."
        } else if over == "backups" {
            message = "Maximum number of backups allowed (\(allowed)) exceeded"
        } else if over.hasPrefix("gigabytes") {
            message = "Requested volume or snapshot exceeds allowed \(over) quota. Requested \(requested[over] ?? 0)G, "
                + "quota is \(allowed)G and \(counts[over] ?? 0)G has been consumed."
        } else if over.hasPrefix("snapshots") {
            message = "Maximum number of snapshots allowed (\(allowed)) exceeded"
        } else {
            message = "Maximum number of volumes allowed (\(allowed)) exceeded for quota '\(over)'."
        }
        return APIError(.contentTooLarge, message, format: .fault, headers: [.retryAfter: "0"])
    }
}
