import Foundation
import Synchronization

/// Faults injected into one service of one region; all zero by default (a healthy service).
public struct FaultSettings: Codable, Sendable, Hashable {
    /// Added latency before every answer, in milliseconds.
    public var latencyMs: Double
    /// Uniform random extra latency in [0, jitterMs], in milliseconds.
    public var jitterMs: Double
    /// Fraction (0...1) of requests answered with `errorStatus` in the service's error format.
    public var errorRate: Double
    /// Status used for injected errors: 500 or 503.
    public var errorStatus: Int
    /// Listener closed: connections are refused.
    public var down: Bool
    /// Connections accepted, requests never answered.
    public var blackHole: Bool
    /// Multiplies status-transition delays (BUILD -> ACTIVE, creating -> available ...); 1 = normal.
    public var transitionFactor: Double
    /// Added latency after the request is handled, in milliseconds: the work is done, the answer is late
    /// (a caller that gives up first does not know whether it happened).
    public var answerDelayMs: Double = 0

    public init(
        latencyMs: Double = 0, jitterMs: Double = 0, errorRate: Double = 0, errorStatus: Int = 503,
        down: Bool = false, blackHole: Bool = false, transitionFactor: Double = 1, answerDelayMs: Double = 0
    ) {
        self.answerDelayMs = answerDelayMs
        self.latencyMs = latencyMs
        self.jitterMs = jitterMs
        self.errorRate = errorRate
        self.errorStatus = errorStatus
        self.down = down
        self.blackHole = blackHole
        self.transitionFactor = transitionFactor
    }

    enum CodingKeys: String, CodingKey {
        case latencyMs = "latency_ms", jitterMs = "jitter_ms", errorRate = "error_rate"
        case errorStatus = "error_status", down, blackHole = "black_hole", transitionFactor = "transition_factor"
        case answerDelayMs = "answer_delay_ms"
    }

    // Every field optional on input, so `PUT` may send only what it changes over the defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = FaultSettings()
        latencyMs = try c.decodeIfPresent(Double.self, forKey: .latencyMs) ?? d.latencyMs
        jitterMs = try c.decodeIfPresent(Double.self, forKey: .jitterMs) ?? d.jitterMs
        errorRate = try c.decodeIfPresent(Double.self, forKey: .errorRate) ?? d.errorRate
        errorStatus = try c.decodeIfPresent(Int.self, forKey: .errorStatus) ?? d.errorStatus
        down = try c.decodeIfPresent(Bool.self, forKey: .down) ?? d.down
        blackHole = try c.decodeIfPresent(Bool.self, forKey: .blackHole) ?? d.blackHole
        transitionFactor = try c.decodeIfPresent(Double.self, forKey: .transitionFactor) ?? d.transitionFactor
        answerDelayMs = try c.decodeIfPresent(Double.self, forKey: .answerDelayMs) ?? d.answerDelayMs
    }

    /// True when nothing is injected.
    public var isHealthy: Bool { self == FaultSettings() }

    /// A transition delay scaled by `transitionFactor`.
    public func scaledTransition(_ seconds: TimeInterval) -> TimeInterval { seconds * max(0, transitionFactor) }
}

/// Run-time fault settings of one region, per service type ("compute", "volumev3", ...).
///
/// Thread-safe; changes apply to the next request. Observers learn about changes (the assembly uses
/// that to close and reopen listeners for "down").
public final class FaultInjector: Sendable {
    private struct State {
        var settings: [String: FaultSettings] = [:]
        var observers: [UInt64: AsyncStream<String>.Continuation] = [:]
        var nextObserver: UInt64 = 0
    }
    private let state = Mutex(State())

    public init() {}

    /// Current settings of one service (healthy when never set).
    public func settings(for serviceType: String) -> FaultSettings {
        state.withLock { $0.settings[serviceType] ?? FaultSettings() }
    }

    /// Settings of every service that has any.
    public func allSettings() -> [String: FaultSettings] {
        state.withLock { $0.settings }
    }

    /// Replaces the settings of one service.
    public func set(_ settings: FaultSettings, for serviceType: String) {
        let observers = state.withLock { state -> [AsyncStream<String>.Continuation] in
            state.settings[serviceType] = settings.isHealthy ? nil : settings
            return Array(state.observers.values)
        }
        for observer in observers { observer.yield(serviceType) }
    }

    /// Changes the settings of one service in place.
    public func update(_ serviceType: String, _ change: (inout FaultSettings) -> Void) {
        var current = settings(for: serviceType)
        change(&current)
        set(current, for: serviceType)
    }

    /// Clears every fault of this region.
    public func reset() {
        let (services, observers) = state.withLock { state in
            let keys = Array(state.settings.keys)
            state.settings = [:]
            return (keys, Array(state.observers.values))
        }
        for service in services { for observer in observers { observer.yield(service) } }
    }

    /// A stream of service types whose settings changed; ends when the consumer stops iterating.
    public func changes() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(64))
        let id = state.withLock { state in
            state.nextObserver += 1
            state.observers[state.nextObserver] = continuation
            return state.nextObserver
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.observers.removeValue(forKey: id) }
        }
        return stream
    }
}
