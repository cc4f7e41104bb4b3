import Foundation
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// The Database quota at the top (one per project over all regions): an instance create reserves one
/// instance and its volume's GiB, a volume resize its growth, before any pod is asked; over the limit is
/// Trove's 413 `overLimit` ("Quota exceeded for resources: ['instances']."), as `QuotaEngine.reserve` says.
struct DatabaseQuota: Sendable {
    let api: DatabaseAPI

    var quota: QuotaService { QuotaService(runtime: api.runtime) }

    /// A new claim on the Database quota.
    func claim() -> QuotaClaim { QuotaClaim(quota: quota, scope: .database) }

    /// What an instance with a volume of `volumeSize` GiB holds (Trove's `deltas` of a create).
    static func instanceAmounts(volumeSize: Int?) -> [String: Int] {
        var out = ["instances": 1]
        if let volumeSize, volumeSize > 0 { out["volumes"] = volumeSize }
        return out
    }

    /// Reserves `amounts` for the caller's project, or throws Trove's 413 naming every resource over.
    func reserve(_ amounts: [String: Int], projectID: String, claim: QuotaClaim) async throws {
        switch try await quota.reserve(.database, project: projectID, perUnit: amounts) {
        case .reserved(let id, _):
            claim.taken(id, perUnit: amounts)
        case .exceeded(let overs, _, _, _):
            throw Self.overQuota(overs)
        }
    }

    /// Reserves a volume resize's growth; returns what the instance holds afterwards (nil: nothing to
    /// check, as the top never counted the instance or the volume does not grow).
    func reserveVolumeGrowth(instanceID: String, newSize: Int, projectID: String, claim: QuotaClaim) async throws -> QuotaHolding? {
        guard var holding = try await quota.holding(objectType: ResourceType.databaseInstance.rawValue, objectID: instanceID) else {
            return nil
        }
        let growth = newSize - (holding.amounts["volumes"] ?? 0)
        guard growth > 0 else { return nil }
        try await reserve(["volumes": growth], projectID: projectID, claim: claim)
        holding.amounts["volumes"] = newSize
        return holding
    }

    /// Trove's `QuotaExceeded`: 413 with the sorted resources as Python prints a list.
    static func overQuota(_ overs: [String]) -> APIError {
        let list = overs.sorted().map { "'\($0)'" }.joined(separator: ", ")
        return APIError(.contentTooLarge, "Quota exceeded for resources: [\(list)].", format: .trove)
    }
}
