import Foundation
import Synchronization

/// Per-pod circuit state: after a pod failed to answer (refused, timed out, black-holed), calls to it fail
/// fast for a cool-down instead of each waiting the full timeout; one probe call is let through afterwards.
public final class PodHealth: Sendable {
    private struct State {
        var failures = 0
        var openUntil: ContinuousClock.Instant?
        var probing = false
        var reason = ""
    }

    private let states = Mutex<[String: State]>([:])
    /// How long a pod is skipped after it failed.
    public let coolDown: Duration
    /// Consecutive failures that open the circuit (1: the first one).
    public let threshold: Int

    public init(coolDown: Duration = .seconds(15), threshold: Int = 1) {
        self.coolDown = coolDown
        self.threshold = max(1, threshold)
    }

    /// What an operator sees of one pod's circuit: open or not, consecutive failures, the last failure's reason.
    public func status(podID: String) -> (open: Bool, failures: Int, lastError: String?) {
        let now = ContinuousClock.now
        return states.withLock { states in
            guard let state = states[podID] else { return (false, 0, nil) }
            let open = state.openUntil.map { now < $0 || state.probing } ?? false
            return (open, state.failures, state.reason.isEmpty ? nil : state.reason)
        }
    }

    /// Why calls to the pod are refused right now, or nil when a call may go ahead. After the cool-down
    /// exactly one caller is let through as a probe; the others keep failing fast until it reports back.
    public func refusal(podID: String) -> String? {
        let now = ContinuousClock.now
        return states.withLock { states -> String? in
            guard var state = states[podID], let until = state.openUntil else { return nil }
            if now < until || state.probing { return state.reason }
            state.probing = true
            states[podID] = state
            return nil
        }
    }

    /// The pod answered (whatever the status): close its circuit.
    public func succeeded(podID: String) {
        states.withLock { states in
            if states[podID] != nil { states[podID] = nil }
        }
    }

    /// The pod did not answer: count it, and open (or re-open) the circuit at the threshold.
    public func failed(podID: String, reason: String) {
        let until = ContinuousClock.now.advanced(by: coolDown)
        states.withLock { states in
            var state = states[podID] ?? State()
            state.failures += 1
            state.probing = false
            state.reason = reason
            if state.failures >= threshold { state.openUntil = until }
            states[podID] = state
        }
    }

    /// Whether the pod's circuit is open now (for lists: skip it at once).
    public func isOpen(podID: String) -> Bool {
        let now = ContinuousClock.now
        return states.withLock { states in
            guard let state = states[podID], let until = state.openUntil else { return false }
            return now < until || state.probing
        }
    }
}

/// One `PodHealth` per pod service type, created on first use.
final class PodCircuits: Sendable {
    private let byService = Mutex<[String: PodHealth]>([:])
    private let coolDown: Duration

    init(coolDown: Duration) { self.coolDown = coolDown }

    /// The circuits of every service type used so far, by service type.
    func all() -> [(String, PodHealth)] {
        byService.withLock { map in map.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
    }

    func health(serviceType: String) -> PodHealth {
        byService.withLock { map in
            if let health = map[serviceType] { return health }
            let health = PodHealth(coolDown: coolDown)
            map[serviceType] = health
            return health
        }
    }
}
