import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleCore
import TricircleGateway
import TricircleJobs
import TricircleStore
import TricircleTestSupport

/// A delete at the top frees quota in every region's own share at once (a coalesced `quota_pod_sync`
/// job), not only at the next reconcile.
@Suite("Regions' quota shares follow a delete")
struct QuotaPodSyncOnDeleteTests {
    @Test("instances=2, one server in each region: deleting RegionTwo's raises RegionOne's own quota back to 2 without a reconcile",
          arguments: TestDatabases.backends)
    func deleteElsewhereRaisesTheShare(backend: StoreBackend) async throws {
        try await GatewayHarness.with(backend: backend) { harness in
            let admin = try ComputeClient(harness, user: "admin")
            let demo = try ComputeClient(harness)
            let project = demo.token.projectID
            #expect(try await admin.send("PUT", "/os-quota-sets/\(project)", ["quota_set": ["instances": 2]]).status == 200)
            _ = try await demo.boot("one", az: "az1")
            let two = try await demo.boot("two", az: "az2")
            try await QuotaPodSync(runtime: harness.runtime).run(projects: [project])
            #expect(try await demo.direct("RegionOne", "/os-quota-sets/\(project)").json["quota_set"]?["instances"] == 1)

            #expect(try await demo.send("DELETE", "/servers/\(two)").status == 204)
            // The delete is answered before the job runs: wait (bounded) for the share to follow.
            var share: JSONValue?
            for _ in 0..<500 {
                _ = try? await demo.send("GET", "/servers/\(two)")
                share = try await demo.direct("RegionOne", "/os-quota-sets/\(project)").json["quota_set"]?["instances"]
                if share == 2 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(share == 2)
            let jobs = try await harness.runtime.jobs.list(filter: JobFilter(type: QuotaPodSyncJob.type, projectID: project))
            #expect(!jobs.isEmpty)
        }
    }
}
