import Foundation
import OpenStackModels
import TricircleGateway
import TricircleStore

/// Compute's quota at the top: a boot reserves its instances, cores and RAM (one quota per project over all
/// regions) before any pod is asked, and a resize its cores and RAM growth, as Nova's API checks them.
struct ServerQuota: Sendable {
    let calls: ComputePodCalls

    var quota: QuotaService { calls.quota }

    /// What one server of a top flavor holds (a flavor the top does not know holds only an instance: the
    /// pod refuses the boot with Nova's own words).
    func perServer(flavorRef: String?, requestID: String) async throws -> [String: Int] {
        guard let flavorRef, !flavorRef.isEmpty else { return ["instances": 1] }
        let id = ServerActionRoutes.lastComponent(flavorRef)
        let store = calls.flavors
        var flavor = try await store.get(id)
        // The top's catalog is filled from the pods on first use: before the first flavor call, it may be empty.
        if flavor == nil, let mapper = calls.provisioners.flavor as? FlavorMapper {
            try? await mapper.seeder.ensureSeeded(requestID: requestID)
            flavor = try await store.get(id)
        }
        guard let flavor else { return ["instances": 1] }
        return ["instances": 1, "cores": flavor.vcpus, "ram": flavor.ram]
    }

    /// Reserves a boot's servers: `max_count` if they fit, else as many as fit down to `min_count` (the
    /// body's `max_count` is lowered to that, as Nova boots what fits); Nova's 403 when not even
    /// `min_count` fits. Counts that Nova would refuse as invalid are left to the pod.
    func reserve(_ server: inout ServerCreate, projectID: String, requestID: String, claim: QuotaClaim) async throws {
        let minCount = server.minCount ?? 1
        let maxCount = server.maxCount ?? minCount
        guard minCount >= 1, maxCount >= minCount else { return }
        // Nova's MetadataLimitExceeded (403) against the project's limit at the top.
        if quota.enforced, let count = server.object["metadata"]?.objectValue?.count, count > 0,
           let allowed = try await quota.limits(.compute, project: projectID)["metadata_items"], allowed >= 0, count > allowed {
            throw APIError(.forbidden, "Maximum number of metadata items exceeds \(allowed)", format: .fault)
        }
        let perUnit = try await perServer(flavorRef: server.flavorReference, requestID: requestID)
        switch try await quota.reserve(.compute, project: projectID, perUnit: perUnit, minUnits: minCount, maxUnits: maxCount) {
        case .reserved(let id, let units):
            claim.taken(id, perUnit: perUnit)
            if units < maxCount { server.object["max_count"] = .int(units) }
        case .exceeded(let overs, let counts, let limits, _):
            throw Self.quotaExceeded(overs: overs, requested: perUnit.mapValues { $0 * maxCount }, counts: counts, limits: limits)
        }
    }

    /// Reserves a resize's growth in cores and RAM (to the top's flavor `flavorRef`); returns what the
    /// server holds once the pod accepted (nil: the top has not counted the server yet, the reconcile job
    /// will). A smaller flavor reserves nothing; Nova's 403 when the growth does not fit.
    func reserveResize(serverID: String, flavorRef: String, projectID: String, requestID: String, claim: QuotaClaim) async throws -> QuotaHolding? {
        guard var holding = try await quota.holding(objectType: "server", objectID: serverID) else { return nil }
        let target = try await perServer(flavorRef: flavorRef, requestID: requestID)
        guard target["cores"] != nil else { return nil }
        var growth: [String: Int] = [:]
        for key in ["cores", "ram"] {
            let delta = (target[key] ?? 0) - (holding.amounts[key] ?? 0)
            if delta > 0 { growth[key] = delta }
        }
        if !growth.isEmpty {
            switch try await quota.reserve(.compute, project: holding.projectID, perUnit: growth) {
            case .reserved(let id, _):
                claim.taken(id, perUnit: growth)
            case .exceeded(let overs, let counts, let limits, _):
                throw Self.quotaExceeded(overs: overs, requested: growth, counts: counts, limits: limits)
            }
        }
        holding.amounts = target
        return holding
    }

    /// Nova's `TooManyInstances` (403): "Quota exceeded for instances: Requested 1, but already used 10 of 10 instances".
    static func quotaExceeded(overs: [String], requested: [String: Int], counts: [String: Int], limits: [String: Int]) -> APIError {
        let first = overs.first ?? "instances"
        let names = overs.joined(separator: ",")
        return APIError(
            .forbidden,
            "Quota exceeded for \(names): Requested \(requested[first] ?? 0), but already used \(counts[first] ?? 0) of \(limits[first] ?? 0) \(names)",
            format: .fault)
    }
}
