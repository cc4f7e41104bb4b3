import Synchronization

/// The global request ids (`X-OpenStack-Request-ID` on incoming calls) one simulated region was sent, as a real
/// service's log shows them (oslo logs `global_request_id` on every line): tests check that a request at the top
/// and the pod calls it caused share one id. Bounded: the oldest ids are dropped past `capacity`.
public final class GlobalRequestLog: Sendable {
    private let state = Mutex<(order: [String], seen: Set<String>)>(([], []))
    let capacity: Int

    init(capacity: Int = 10_000) { self.capacity = capacity }

    func record(_ id: String) {
        state.withLock { state in
            guard state.seen.insert(id).inserted else { return }
            state.order.append(id)
            if state.order.count > capacity {
                let dropped = state.order.removeFirst()
                state.seen.remove(dropped)
            }
        }
    }

    /// Whether a call carrying this global request id reached the region.
    public func contains(_ id: String) -> Bool { state.withLock { $0.seen.contains(id) } }
}
