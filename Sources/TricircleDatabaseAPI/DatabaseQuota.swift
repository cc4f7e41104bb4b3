import Foundation
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// The Database quota at the top (one per project over all regions): an instance create reserves one
/// instance, its flavor's RAM and its volume's GiB, a cluster create or grow all its members at once, a
/// backup one backup, a resize its growth, before any pod is asked; over the limit is
/// Trove's 413 `overLimit` ("Quota exceeded for resources: ['instances']."), as `QuotaEngine.reserve` says.
struct DatabaseQuota: Sendable {
    let api: DatabaseAPI

    var quota: QuotaService { QuotaService(runtime: api.runtime) }

    /// A new claim on the Database quota.
    func claim() -> QuotaClaim { QuotaClaim(quota: quota, scope: .database) }

    /// What an instance holds (Trove 25's `deltas` of a create: `instances` 1, `ram` its flavor's MB, `volumes`
    /// its GiB); an unknown flavor's RAM is not counted.
    static func instanceAmounts(volumeSize: Int?, ram: Int = 0) -> [String: Int] {
        var out = ["instances": 1]
        if let volumeSize, volumeSize > 0 { out["volumes"] = volumeSize }
        if ram > 0 { out["ram"] = ram }
        return out
    }

    /// The RAM (MB) of a top flavor (`flavorRef` may be a link), 0 when the top does not know it.
    func ram(ofFlavor flavorRef: String?) async throws -> Int {
        guard let flavorRef else { return 0 }
        let id = flavorRef.split(separator: "/").last.map(String.init) ?? flavorRef
        return try await api.flavorStore.get(id)?.ram ?? 0
    }

    /// What each cluster member (or grow item) of `specs` holds, in order.
    func memberAmounts(_ specs: [[String: JSONValue]]) async throws -> [[String: Int]] {
        var out: [[String: Int]] = []
        for spec in specs {
            let flavor = InstanceCreateRoutes.text(spec["flavorRef"]) ?? spec["flavorRef"]?.intValue.map(String.init)
            let size = spec["volume"]?["size"]?.intValue ?? InstanceCreateRoutes.text(spec["volume"]?["size"]).flatMap { Int($0) }
            out.append(Self.instanceAmounts(volumeSize: size, ram: try await ram(ofFlavor: flavor)))
        }
        return out
    }

    /// Reserves every member of a cluster create or grow at once (all or nothing, as Trove's cluster
    /// strategies `check_quotas` them together); returns each group's members' amounts, in order.
    func reserveMembers(_ groups: [(pod: Pod, specs: [[String: JSONValue]])], projectID: String, claim: QuotaClaim) async throws -> [[[String: Int]]] {
        var amounts: [[[String: Int]]] = []
        for group in groups { amounts.append(try await memberAmounts(group.specs)) }
        try await reserve(Self.total(amounts.flatMap { $0 }), projectID: projectID, claim: claim)
        return amounts
    }

    /// The sum of several holdings' amounts.
    static func total(_ amounts: [[String: Int]]) -> [String: Int] {
        amounts.reduce(into: [:]) { sum, one in sum.merge(one, uniquingKeysWith: +) }
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

    /// Reserves what a resize adds (`new`: the resources it changes, a volume's GiB or a flavor's RAM);
    /// returns what the instance holds afterwards (nil: nothing to record, as the top never counted the
    /// instance or nothing changes). A shrink reserves nothing but is recorded once the pod accepted it.
    func reserveGrowth(instanceID: String, to new: [String: Int], projectID: String, claim: QuotaClaim) async throws -> QuotaHolding? {
        guard var holding = try await quota.holding(objectType: ResourceType.databaseInstance.rawValue, objectID: instanceID) else {
            return nil
        }
        guard new.contains(where: { holding.amounts[$0.key] != $0.value }) else { return nil }
        var growth: [String: Int] = [:]
        for (resource, amount) in new {
            let delta = amount - (holding.amounts[resource] ?? 0)
            if delta > 0 { growth[resource] = delta }
            holding.amounts[resource] = amount
        }
        if !growth.isEmpty { try await reserve(growth, projectID: projectID, claim: claim) }
        return holding
    }

    /// Members a pod made, each holding the amounts of the item it was made for (`ClusterParts.match`).
    static func made(_ members: [(id: String, item: Int)], holding amounts: [[String: Int]], in pod: Pod, claim: QuotaClaim, call: DatabaseCall) {
        for (id, item) in members where amounts.indices.contains(item) {
            claim.made(QuotaHolding(objectType: ResourceType.databaseInstance.rawValue, objectID: id,
                                    projectID: call.caller.projectID, podID: pod.podID, amounts: amounts[item]))
        }
    }

    /// Forgets what deleted (or shrunk away) instances held: Trove frees their quota when it accepts.
    func forget(instances ids: [String]) async {
        for id in ids { await quota.forget(objectType: ResourceType.databaseInstance.rawValue, objectID: id) }
    }

    /// Trove's `QuotaExceeded`: 413 with the sorted resources as Python prints a list.
    static func overQuota(_ overs: [String]) -> APIError {
        let list = overs.sorted().map { "'\($0)'" }.joined(separator: ", ")
        return APIError(.contentTooLarge, "Quota exceeded for resources: [\(list)].", format: .trove)
    }
}
