import Foundation
import Synchronization
import TricircleCore
import TricircleStore

/// Why no pod could be chosen for a request.
public enum PodSelectionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The AZ names no registered pod.
    case unknownAvailabilityZone(String)
    /// No bottom pod is registered at all.
    case noBottomPods

    public var description: String {
        switch self {
        case .unknownAvailabilityZone(let az): "The requested availability zone is not available: \(az)"
        case .noBottomPods: "No region is registered with the gateway yet (tricircle pod add)."
        }
    }
}

/// The registered pods, read from the store at most once per `cacheTime` (pods change rarely; every
/// routed request needs them).
public final class PodDirectory: Sendable {
    private let store: PodStore
    private let cacheTime: Duration
    private let defaultAZ: String
    private let cached = Mutex<(pods: [Pod], at: ContinuousClock.Instant)?>(nil)

    /// `defaultAZ`: the AZ a create without one goes to (empty: the bottom pod whose AZ sorts first).
    public init(store: PodStore, defaultAZ: String = "", cacheTime: Duration = .seconds(5)) {
        self.store = store
        self.defaultAZ = defaultAZ
        self.cacheTime = cacheTime
    }

    /// Every pod, top included.
    public func all() async throws -> [Pod] {
        let now = ContinuousClock.now
        if let hit = cached.withLock({ $0 }), now - hit.at < cacheTime { return hit.pods }
        let pods = try await store.list().sorted { ($0.azName, $0.regionName) < ($1.azName, $1.regionName) }
        cached.withLock { $0 = (pods, now) }
        return pods
    }

    /// The pods that serve an AZ (what lists fan out to), sorted by AZ name.
    public func bottomPods() async throws -> [Pod] { try await all().filter { !$0.isTop } }

    /// The top pod, if registered.
    public func top() async throws -> Pod? { try await all().first(where: \.isTop) }

    /// A pod by id.
    public func pod(id: String) async throws -> Pod? {
        if let pod = try await all().first(where: { $0.podID == id }) { return pod }
        // A pod registered a moment ago by another process: read through once.
        invalidate()
        return try await all().first { $0.podID == id }
    }

    /// A pod by its Keystone region name.
    public func pod(region: String) async throws -> Pod? { try await all().first { $0.regionName == region } }

    /// The pod a create goes to: the one serving `availabilityZone`, or the default when none is named.
    /// Throws `PodSelectionError` (callers answer 400).
    public func podForCreate(availabilityZone: String?) async throws -> Pod {
        let bottoms = try await bottomPods()
        let wanted = availabilityZone.flatMap { $0.isEmpty ? nil : $0 } ?? (defaultAZ.isEmpty ? nil : defaultAZ)
        guard let wanted else {
            guard let first = bottoms.first else { throw PodSelectionError.noBottomPods }
            return first
        }
        if let pod = bottoms.first(where: { $0.azName == wanted }) { return pod }
        invalidate()
        if let pod = try await bottomPods().first(where: { $0.azName == wanted }) { return pod }
        throw PodSelectionError.unknownAvailabilityZone(wanted)
    }

    /// Forgets the cached list (after pods were added or removed in this process).
    public func invalidate() { cached.withLock { $0 = nil } }
}
