import Synchronization

/// Lets tasks wait for an event without polling; waiting ends early when the waiting task is cancelled.
/// `sticky`: once fired, every later `wait()` returns at once (a stop signal); otherwise `fire()` only
/// wakes the tasks waiting at that moment (a doorbell).
final class Waiters: Sendable {
    private struct State {
        var next: UInt64 = 0
        var fired = false
        var waiting: [UInt64: CheckedContinuation<Void, Never>] = [:]
        /// Ids between `wait()` starting and its continuation being resumed.
        var pending: Set<UInt64> = []
        var cancelled: Set<UInt64> = []
    }

    private let state = Mutex(State())
    private let sticky: Bool

    init(sticky: Bool) { self.sticky = sticky }

    var isFired: Bool { state.withLock { $0.fired } }

    func fire() {
        let waiting = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            if sticky { s.fired = true }
            for id in s.waiting.keys { s.pending.remove(id) }
            defer { s.waiting.removeAll() }
            return Array(s.waiting.values)
        }
        for continuation in waiting { continuation.resume() }
    }

    func wait() async {
        let id = state.withLock { s -> UInt64 in
            s.next += 1
            s.pending.insert(s.next)
            return s.next
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if (sticky && s.fired) || s.cancelled.remove(id) != nil {
                        s.pending.remove(id)
                        return true
                    }
                    s.waiting[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let continuation = state.withLock { s -> CheckedContinuation<Void, Never>? in
                if let c = s.waiting.removeValue(forKey: id) {
                    s.pending.remove(id)
                    return c
                }
                // Cancelled before the continuation was stored: let the registration resume at once.
                if s.pending.contains(id) { s.cancelled.insert(id) }
                return nil
            }
            continuation?.resume()
        }
    }

    /// Waits until fired, `seconds` have passed, or the task is cancelled.
    func wait(upTo seconds: Double) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.wait() }
            group.addTask { try? await Task.sleep(for: .seconds(seconds)) }
            await group.next()
            group.cancelAll()
        }
    }
}
