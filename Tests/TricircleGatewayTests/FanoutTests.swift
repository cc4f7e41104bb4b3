import Synchronization
import Testing

@testable import TricircleGateway

@Suite("Fanout")
struct FanoutTests {
    struct Refused: Error, Equatable { let element: Int }

    /// Counts calls running at once; each call waits until `release` lets it go, so the bound is reached
    /// whatever the scheduling.
    final class Gate: Sendable {
        let state = Mutex<(running: Int, most: Int)>((0, 0))

        func enter() { state.withLock { $0.running += 1; $0.most = max($0.most, $0.running) } }
        func leave() { state.withLock { $0.running -= 1 } }
        var most: Int { state.withLock { $0.most } }
    }

    @Test func boundedAllKeepsTheOrderAndNeverRunsMoreThanTheWidth() async throws {
        let gate = Gate()
        let values = try await Fanout.all(Array(0..<20), atMost: 3) { element in
            gate.enter()
            defer { gate.leave() }
            await Task.yield()
            return element * 10
        }
        #expect(values == (0..<20).map { $0 * 10 })
        #expect(gate.most <= 3)
        #expect(gate.most >= 1)
    }

    @Test func boundedAllThrowsTheFirstFailure() async {
        await #expect(throws: Refused(element: 7)) {
            _ = try await Fanout.all(Array(0..<10), atMost: 2) { element in
                if element == 7 { throw Refused(element: element) }
                return element
            }
        }
    }

    @Test func outcomesKeepEveryFailureInItsPlace() async {
        let outcomes = await Fanout.outcomes([1, 2, 3]) { element -> Int in
            if element == 2 { throw Refused(element: element) }
            return element
        }
        #expect(outcomes.count == 3)
        #expect((try? outcomes[0].get()) == 1)
        #expect((try? outcomes[2].get()) == 3)
        guard case .failure(let error) = outcomes[1] else {
            Issue.record("the second element's failure was lost")
            return
        }
        #expect(error as? Refused == Refused(element: 2))
    }
}
