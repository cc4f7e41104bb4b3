import Testing
import TricircleGateway

/// The per-pod circuit that makes calls to a dead region fail fast.
@Suite("Pod health circuit")
struct PodHealthTests {
    @Test("a failure opens the circuit; after the cool-down one probe goes through and an answer closes it")
    func circuit() async throws {
        let health = PodHealth(coolDown: .milliseconds(50))
        #expect(health.refusal(podID: "p") == nil)
        health.failed(podID: "p", reason: "it did not answer")
        #expect(health.refusal(podID: "p") == "it did not answer")
        #expect(health.isOpen(podID: "p"))
        #expect(health.refusal(podID: "other") == nil)
        try await Task.sleep(for: .milliseconds(80))
        #expect(health.refusal(podID: "p") == nil)  // the probe
        #expect(health.refusal(podID: "p") != nil)  // others wait for it
        health.succeeded(podID: "p")
        #expect(health.refusal(podID: "p") == nil)
        #expect(!health.isOpen(podID: "p"))
    }
}
