import Foundation
import Logging
import Synchronization
import TricircleCore
import TricircleStore

/// Why a routed call could not find or create its bottom resource.
public enum RoutingError: Error, CustomStringConvertible, Sendable {
    /// Another creator kept the create-lock past our patience; the caller may retry.
    case lockTimeout(topID: String, resourceType: ResourceType, podID: String)

    public var description: String {
        switch self {
        case .lockTimeout(let topID, let type, let pod):
            return "\(type.rawValue) \(topID) is being created in pod \(pod) by another request; try again"
        }
    }
}

/// Resource routing as a service: where a top resource lives, served from a bounded in-process cache,
/// and "create it in that pod exactly once" through the routing table's create-lock rows.
public final class RoutingService: Sendable {
    public let routings: RoutingStore
    private let cache: RoutingCache
    private let staleLockSeconds: Int
    private let logger: Logger

    /// Where cache hits and misses are counted (nil: not counted).
    private let metrics: GatewayMetrics?

    public init(store: StateStore, cacheTime: Duration = .seconds(30), cacheSize: Int = 100_000,
                staleLockSeconds: Int = 30, logger: Logger = Logger(label: "tricircle.routing"),
                metrics: GatewayMetrics? = nil) {
        self.metrics = metrics
        self.routings = RoutingStore(store: store)
        self.cache = RoutingCache(ttl: cacheTime, capacity: cacheSize)
        self.staleLockSeconds = staleLockSeconds
        self.logger = logger
    }

    /// Types a resource of which lives in one pod: its one complete row stays as it is until the resource
    /// is deleted, so it is served from the cache. Every other type gains pod copies over time (a network
    /// reaching a new pod at a boot), possibly made by another gateway process whose cache is not ours:
    /// "every copy" of those is read from the store, and a copy the cache lacks is looked up there.
    static let singlePod: Set<ResourceType> = [.server, .volume, .snapshot, .volumeBackup, .databaseInstance]

    /// Complete rows for a top resource visible to `projectID` (nil: any project). Another project's id
    /// resolves to nothing, so callers answer 404, never 403.
    public func resolve(topID: String, type: ResourceType, projectID: String?) async throws -> [ResourceRouting] {
        let rows = try await rows(topID: topID, type: type, fresh: !Self.singlePod.contains(type))
        guard let projectID else { return rows }
        return rows.filter { $0.projectID == projectID }
    }

    /// Complete rows from the cache, or from the store when `fresh` or not cached.
    private func rows(topID: String, type: ResourceType, fresh: Bool) async throws -> [ResourceRouting] {
        if !fresh {
            let cached = cache.get(topID: topID, type: type)
            metrics?.routingCache(hit: cached != nil)
            if let cached { return cached }
        }
        let rows = try await routings.lookup(topID: topID, resourceType: type, projectID: nil).filter(\.isComplete)
        // Only positive answers are cached: a resource created by another process must be seen at once.
        if rows.isEmpty { cache.invalidate(topID: topID, type: type) } else { cache.put(topID: topID, type: type, rows: rows) }
        return rows
    }

    /// The single pod row of a singleton resource (server, volume, ...), if any.
    public func resolveOne(topID: String, type: ResourceType, projectID: String?) async throws -> ResourceRouting? {
        try await resolve(topID: topID, type: type, projectID: projectID).first
    }

    /// The row of a resource in one given pod (networks and other resources copied into several pods).
    /// A copy the cache does not hold is looked for in the store: another process may have made it.
    public func resolve(topID: String, type: ResourceType, podID: String, projectID: String?) async throws -> ResourceRouting? {
        let visible = { (row: ResourceRouting) in row.podID == podID && (projectID == nil || row.projectID == projectID) }
        let cached = cache.get(topID: topID, type: type)
        metrics?.routingCache(hit: cached != nil)
        if let row = cached?.first(where: visible) { return row }
        return try await rows(topID: topID, type: type, fresh: true).first(where: visible)
    }

    /// Records a resource created without a lock (e.g. a server, whose top id is its bottom id).
    @discardableResult
    public func record(topID: String, bottomID: String, podID: String, projectID: String, type: ResourceType) async throws -> ResourceRouting {
        let row = try await routings.create(topID: topID, bottomID: bottomID, podID: podID, projectID: projectID, resourceType: type)
        cache.invalidate(topID: topID, type: type)
        return row
    }

    /// Forgets every row of a resource after it was deleted everywhere; the forget observer is told
    /// whose single-pod resource went.
    public func forget(topID: String, type: ResourceType) async throws {
        let observer = forgetObserver.withLock { $0 }
        let projects = observer == nil || !Self.singlePod.contains(type)
            ? [] : Set((try? await resolve(topID: topID, type: type, projectID: nil))?.map(\.projectID) ?? [])
        try await routings.deleteAll(topID: topID, resourceType: type)
        cache.invalidate(topID: topID, type: type)
        if let observer { for project in projects.sorted() { await observer(type, project) } }
    }

    /// Called with the type and project of each single-pod resource the top forgets (a usage drop).
    private let forgetObserver = Mutex<(@Sendable (ResourceType, String) async -> Void)?>(nil)

    /// Sets what is told of each forgotten single-pod resource (the quota's region sync).
    public func onForget(_ observer: @escaping @Sendable (ResourceType, String) async -> Void) {
        forgetObserver.withLock { $0 = observer }
    }

    /// Drops one cached entry, e.g. after a pod answered 404 for it.
    public func invalidate(topID: String, type: ResourceType) {
        cache.invalidate(topID: topID, type: type)
    }

    /// Makes sure `topID` exists in `podID` exactly once, even with concurrent callers in many processes,
    /// and returns its bottom id.
    /// - `findExisting`: looks the bottom resource up by name (= top id) — used to adopt what a creator
    ///   that died after the pod accepted its create left behind, so nothing is orphaned.
    /// - `create`: creates it in the pod (named by the top id) and returns the bottom id.
    public func ensure(
        topID: String, type: ResourceType, podID: String, projectID: String,
        patience: Duration = .seconds(30),
        findExisting: @Sendable () async throws -> String?,
        create: @Sendable () async throws -> String
    ) async throws -> String {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: patience)
        var wait = Duration.milliseconds(20)
        while true {
            let result = try await routings.acquireCreateLock(
                topID: topID, podID: podID, projectID: projectID, resourceType: type, staleAfterSeconds: staleLockSeconds)
            switch result {
            case .acquired(let lock):
                let bottomID: String
                do {
                    bottomID = try await create()
                } catch {
                    // A create that timed out may still have been carried out: adopt it rather than let the
                    // next caller make a second copy.
                    if let found = try? await findExisting() {
                        _ = try await routings.complete(lockID: lock.id, bottomID: found)
                        cache.invalidate(topID: topID, type: type)
                        return found
                    }
                    try? await routings.release(lockID: lock.id)
                    throw error
                }
                _ = try await routings.complete(lockID: lock.id, bottomID: bottomID)
                cache.invalidate(topID: topID, type: type)
                return bottomID
            case .exists(let row):
                return row.bottomID ?? ""
            case .stale(let row):
                if let found = try await findExisting() {
                    logger.info("adopting bottom resource left by a stale create-lock",
                                metadata: ["type": "\(type.rawValue)", "top_id": "\(topID)", "pod_id": "\(podID)"])
                    _ = try await routings.complete(lockID: row.id, bottomID: found)
                    cache.invalidate(topID: topID, type: type)
                    return found
                }
                logger.info("removing stale create-lock", metadata: ["type": "\(type.rawValue)", "top_id": "\(topID)"])
                try await routings.release(lockID: row.id)
            case .busy:
                guard clock.now < deadline else { throw RoutingError.lockTimeout(topID: topID, resourceType: type, podID: podID) }
                try await Task.sleep(for: wait)
                wait = min(wait * 2, .milliseconds(500))
            }
        }
    }
}

/// A bounded TTL cache of complete routing rows keyed by (type, top id).
final class RoutingCache: Sendable {
    private struct Entry { var rows: [ResourceRouting]; var expires: ContinuousClock.Instant }
    private let entries = Mutex<[String: Entry]>([:])
    private let ttl: Duration
    private let capacity: Int

    init(ttl: Duration, capacity: Int) {
        self.ttl = ttl
        self.capacity = capacity
    }

    private static func key(_ topID: String, _ type: ResourceType) -> String { type.rawValue + "|" + topID }

    func get(topID: String, type: ResourceType) -> [ResourceRouting]? {
        let now = ContinuousClock.now
        return entries.withLock { entries in
            let key = Self.key(topID, type)
            guard let entry = entries[key] else { return nil }
            if entry.expires < now { entries[key] = nil; return nil }
            return entry.rows
        }
    }

    func put(topID: String, type: ResourceType, rows: [ResourceRouting]) {
        guard capacity > 0, ttl > .zero else { return }
        let expires = ContinuousClock.now.advanced(by: ttl)
        entries.withLock { entries in
            if entries.count >= capacity {
                // Evict about a tenth, oldest expiry first, so eviction cost is amortised over many inserts.
                let victims = entries.sorted { $0.value.expires < $1.value.expires }.prefix(max(1, capacity / 10))
                for (key, _) in victims { entries[key] = nil }
            }
            entries[Self.key(topID, type)] = Entry(rows: rows, expires: expires)
        }
    }

    func invalidate(topID: String, type: ResourceType) {
        _ = entries.withLock { $0.removeValue(forKey: Self.key(topID, type)) }
    }

    var count: Int { entries.withLock { $0.count } }
}
