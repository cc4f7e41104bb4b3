import Foundation
import Synchronization
import TricircleCore
import TricircleStore

/// The OpenStack service a quota belongs to (its limits, usage and reservations are kept apart).
public enum QuotaScope: String, Sendable, CaseIterable {
    case compute, volume, network, database

    /// The names of the resources a service limits.
    public var resourceNames: [String] { options.map(\.resource) }

    /// The resources each service limits and their `[quota]` option (defaults of the whole cloud).
    var options: [(resource: String, option: String)] {
        switch self {
        case .compute:
            return ["instances", "cores", "ram", "key_pairs", "server_groups", "server_group_members", "metadata_items"].map { ($0, $0) }
        case .volume:
            return ["volumes", "gigabytes", "snapshots", "backups", "backup_gigabytes", "per_volume_gigabytes", "groups"].map { ($0, $0) }
        case .network:
            return ["network", "subnet", "port", "router", "floatingip", "security_group", "security_group_rule", "rbac_policy", "subnetpool"]
                .map { ($0, $0) }
        case .database:
            return [("instances", "database_instances"), ("volumes", "database_volumes"), ("backups", "database_backups"), ("ram", "database_ram")]
        }
    }
}

/// One quota per project over all regions: limits (config defaults + a project's overrides), usage counted
/// at the top, and reservations a create holds while its pod is asked (`QuotaLedger` in the state database,
/// exact across gateway processes on one database).
public struct QuotaService: Sendable {
    public let runtime: GatewayRuntime
    let ledger: QuotaLedger

    public init(runtime: GatewayRuntime) {
        self.runtime = runtime
        self.ledger = QuotaLedger(store: runtime.store)
    }

    /// Whether creates are checked at the top (`[quota] enforce`).
    public var enforced: Bool { runtime.config.values.bool("quota", "enforce") }

    /// Seconds a reservation counts before it is dropped: never shorter than a create can take.
    public var reservationTTL: Double {
        max(runtime.config.values.double("quota", "reservation_expire"), Double(runtime.config.podTimeout.components.seconds) * 2 + 5)
    }

    /// The configured defaults of a service's resources.
    public func defaults(_ scope: QuotaScope) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: scope.options.map { ($0.resource, runtime.config.values.int("quota", $0.option)) })
    }

    /// A project's limits: the defaults with its overrides (overrides of resources without a default, such
    /// as Block Storage's per-type ones, are kept too).
    public func limits(_ scope: QuotaScope, project: String) async throws -> [String: Int] {
        defaults(scope).merging(try await overrides(scope, project: project)) { _, override in override }
    }

    /// Only what was set for the project.
    public func overrides(_ scope: QuotaScope, project: String) async throws -> [String: Int] {
        switch scope {
        case .compute: return try await QuotaStore(store: runtime.store).overrides(projectID: project)
        case .network: return try await NetworkQuotaStore(store: runtime.store).overrides(projectID: project)
        case .volume, .database: return try await QuotaLimitStore(store: runtime.store, service: scope.rawValue).overrides(projectID: project)
        }
    }

    /// Every project with an override in `scope`.
    public func projectsWithOverrides(_ scope: QuotaScope) async throws -> [String] {
        switch scope {
        case .compute: return try await QuotaStore(store: runtime.store).allProjects()
        case .network: return try await NetworkQuotaStore(store: runtime.store).allOverrides().keys.sorted()
        case .volume, .database:
            return try await QuotaLimitStore(store: runtime.store, service: scope.rawValue).allOverrides().keys.sorted()
        }
    }

    /// Sets some of a project's limits (others keep theirs); the regions' own quotas follow (a sync job).
    public func setLimits(_ scope: QuotaScope, project: String, _ limits: [String: Int]) async throws {
        switch scope {
        case .compute: try await QuotaStore(store: runtime.store).set(projectID: project, limits: limits)
        case .network: try await NetworkQuotaStore(store: runtime.store).set(projectID: project, limits: limits)
        case .volume, .database:
            try await QuotaLimitStore(store: runtime.store, service: scope.rawValue).set(projectID: project, limits: limits)
        }
        await syncPods(scope, project: project)
    }

    /// Sets the regions' own quotas for a project whose Compute, Block Storage or Database limits changed, before the
    /// change is answered (a raised limit must not be refused by a region still holding the old share); a
    /// region that does not take it gets a job that retries.
    func syncPods(_ scope: QuotaScope, project: String) async {
        let sync = QuotaPodSync(runtime: runtime)
        guard scope != .network, sync.enabled else { return }
        if let failed = try? await sync.run(projects: [project]), failed.isEmpty { return }
        do {
            _ = try await runtime.jobs.submit(QuotaPodSyncJob.self, projectID: project, payload: .init(project: project))
        } catch {
            runtime.logger.warning("quota: could not queue the regions' quota sync; the next reconcile does it",
                                   metadata: ["project": "\(project)", "error": "\(error)"])
        }
    }

    /// A resource of `type` the top routed is gone: when it held a quota the regions' shares are kept
    /// for (servers; volumes, snapshots and backups; database instances and backups), a coalesced `quota_pod_sync` job sets them again, so a
    /// region's share does not lag a delete elsewhere until the next reconcile.
    func usageDropped(_ type: ResourceType, project: String) async {
        guard [.server, .volume, .snapshot, .volumeBackup, .databaseInstance, .databaseBackup].contains(type),
              QuotaPodSync(runtime: runtime).enabled else { return }
        do {
            _ = try await runtime.jobs.submit(QuotaPodSyncJob.self, projectID: project, payload: .init(project: project))
        } catch {
            runtime.logger.warning("quota: could not queue the regions' quota sync after a delete; the next reconcile does it",
                                   metadata: ["project": "\(project)", "error": "\(error)"])
        }
    }

    /// Drops a project's limits back to the defaults.
    public func resetLimits(_ scope: QuotaScope, project: String) async throws {
        switch scope {
        case .compute: try await QuotaStore(store: runtime.store).reset(projectID: project)
        case .network: try await NetworkQuotaStore(store: runtime.store).reset(projectID: project)
        case .volume, .database: try await QuotaLimitStore(store: runtime.store, service: scope.rawValue).reset(projectID: project)
        }
        await syncPods(scope, project: project)
    }

    /// In use and reserved per resource (`countedRows`: resources counted as a top table's project rows).
    public func counts(_ scope: QuotaScope, project: String, countedRows: [String: String] = [:]) async throws -> [String: QuotaCount] {
        try await ledger.counts(service: scope.rawValue, projectID: project, countedRows: countedRows)
    }

    /// Checks and reserves in one transaction: `maxUnits` if they fit, else as many as fit down to
    /// `minUnits`. When quotas are not enforced, everything asked is granted without a reservation.
    public func reserve(
        _ scope: QuotaScope, project: String, perUnit: [String: Int], minUnits: Int = 1, maxUnits: Int = 1,
        countedRows: [String: String] = [:]
    ) async throws -> QuotaDecision {
        guard enforced else { return .reserved(reservationID: "", units: maxUnits) }
        let decision = try await ledger.reserve(
            service: scope.rawValue, projectID: project, perUnit: perUnit, minUnits: minUnits, maxUnits: maxUnits,
            limits: try await limits(scope, project: project), ttl: reservationTTL, owner: Self.owner, countedRows: countedRows)
        if case .exceeded(let overs, _, _, _) = decision {
            runtime.metrics.quotaRejected(service: scope.rawValue, resource: overs.first ?? "-")
        }
        return decision
    }

    /// The pod made the resources: the reservation becomes what they hold. Never throws (a failure is
    /// logged; the reservation expires and the reconcile job records the holdings).
    public func commit(_ reservationID: String, _ scope: QuotaScope, holdings: [QuotaHolding]) async {
        do {
            try await ledger.commit(reservationID: reservationID, holdings: holdings, service: scope.rawValue)
        } catch {
            runtime.logger.error("quota: could not commit a reservation; the reconcile job will count the resources",
                                 metadata: ["reservation": "\(reservationID)", "error": "\(error)"])
        }
    }

    /// The pod refused: the reservation is dropped (a failure is logged; it expires).
    public func release(_ reservationID: String) async {
        guard !reservationID.isEmpty else { return }
        do { try await ledger.release(reservationID: reservationID) } catch {
            runtime.logger.error("quota: could not release a reservation; it expires", metadata: ["reservation": "\(reservationID)", "error": "\(error)"])
        }
    }

    /// What one object holds at the top (nil: not counted yet).
    public func holding(objectType: String, objectID: String) async throws -> QuotaHolding? {
        try await ledger.holding(objectType: objectType, objectID: objectID)
    }

    /// Forgets what a deleted object held (its routing row going also frees it).
    public func forget(objectType: String, objectID: String) async {
        try? await ledger.forget(objectType: objectType, objectID: objectID)
    }

    /// This process, as reservations name their owner.
    static let owner: String = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
}

/// A create's reservation from taking to settling: committed with what the pod made, released when the
/// pod refused, or left to expire when the pod's answer is unknown (the server may exist).
public final class QuotaClaim: Sendable {
    private let state: Mutex<(reservation: String?, perUnit: [String: Int], holdings: [QuotaHolding], settled: Bool, leftToExpire: Bool)>
    let quota: QuotaService
    let scope: QuotaScope

    public init(quota: QuotaService, scope: QuotaScope) {
        self.quota = quota
        self.scope = scope
        self.state = Mutex((nil, [:], [], false, false))
    }

    /// The reservation taken (empty: none, quotas not enforced) and what each unit made holds.
    public func taken(_ reservationID: String, perUnit: [String: Int]) {
        state.withLock {
            $0.reservation = reservationID
            $0.perUnit = perUnit
        }
    }

    /// Units the pod made (recorded at the top), each holding the reserved `perUnit`.
    public func made(objectType: String, ids: [String], projectID: String, podID: String) {
        state.withLock { s in
            for id in ids {
                s.holdings.append(QuotaHolding(objectType: objectType, objectID: id, projectID: projectID, podID: podID, amounts: s.perUnit))
            }
        }
    }

    /// A resource the pod made (recorded at the top), with what it holds.
    public func made(_ holding: QuotaHolding) { state.withLock { $0.holdings.append(holding) } }

    /// The pod's answer is unknown: the reservation keeps counting until it expires.
    public func leaveToExpire() { state.withLock { $0.leftToExpire = true } }

    /// Runs `body` holding this claim, then settles it, whatever `body` did (threw or not).
    public func settling<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            let result = try await body()
            await settle()
            return result
        } catch {
            await settle()
            throw error
        }
    }

    /// Commits what was made, or releases the reservation when nothing was; idempotent.
    public func settle() async {
        let (reservation, holdings, left) = state.withLock { s -> (String?, [QuotaHolding], Bool) in
            if s.settled { return (nil, [], true) }
            s.settled = true
            return (s.reservation, s.holdings, s.leftToExpire)
        }
        if !holdings.isEmpty {
            await quota.commit(reservation ?? "", scope, holdings: holdings)
        } else if let reservation, !left {
            await quota.release(reservation)
        }
    }
}
