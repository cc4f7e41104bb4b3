import Foundation
import GatewayTestHarness
import OpenStackClient
import Testing
import TricircleCore
import TricircleGateway
import TricircleStore
import TricircleTestSupport

/// A region without a service in the catalog (real regions without Trove) is not a dead region: its circuit
/// stays closed, and the quota jobs leave it out instead of failing and retrying forever.
@Suite("A service missing from a region's catalog")
struct MissingServiceTests {
    @Test("the forwarder answers 503 'no such endpoint' each time without opening the circuit")
    func missingServiceIsNotADeadRegion() async throws {
        try await GatewayHarness.with(backend: .sqlite) { harness in
            let pod = try await harness.pod("RegionOne")
            let credentials = try await harness.runtime.serviceCredentials()
            let forwarder = harness.runtime.forwarder(serviceType: "no-such-service", format: .fault)
            for attempt in 1...2 {
                do {
                    _ = try await forwarder.send(RegionalRequest(method: "GET", path: "/"), to: pod, credentials: credentials)
                    Issue.record("attempt \(attempt): answered")
                } catch let error as APIError {
                    #expect(error.status == .serviceUnavailable)
                    #expect(error.message.contains("no such endpoint"), "attempt \(attempt): \(error.message)")
                }
            }
            #expect(!harness.runtime.podHealth(serviceType: "no-such-service").isOpen(podID: pod.podID))
        }
    }

    @Test("the quota sync and the reconcile leave out a region without Trove instead of failing on it (the sync's job retried it forever)")
    func quotaJobsSkipARegionWithoutTheService() async throws {
        try await GatewayHarness.with(backend: .sqlite) { harness in
            let project = try harness.token(user: "demo").projectID
            harness.cloud.identity.removeEndpoints(region: "RegionOne", serviceType: "database")
            try await harness.runtime.endpoints.refresh(force: true)
            let failed = try await QuotaPodSync(runtime: harness.runtime).run(projects: [project])
            #expect(failed.isEmpty, "regions not set: \(failed)")
            let report = try await QuotaReconciler(runtime: harness.runtime).run()
            #expect(report.podsSkipped.isEmpty, "skipped: \(report.podsSkipped)")
        }
    }
}
