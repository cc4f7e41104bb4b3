import Foundation
import Hummingbird
import SQLKit
import TricircleCore
import TricircleJobs

/// `GET /v1.0/status` (admins): what the operator page shows, in one answer — each pod with its circuits per
/// service and what it holds, the job queue, this process's job runs and the latest failed jobs.
struct OperatorStatus: Encodable, Sendable {
    struct Circuit: Codable, Sendable {
        var service: String
        var open: Bool
        var failures: Int
        var lastError: String?
        enum CodingKeys: String, CodingKey { case service, open, failures, lastError = "last_error" }
    }
    struct PodStatus: Codable, Sendable {
        var podID: String
        var regionName: String
        var azName: String
        var circuits: [Circuit]
        /// Routing rows per resource type: what the top knows lives in this pod.
        var routings: [String: Int]
        enum CodingKeys: String, CodingKey {
            case podID = "pod_id", regionName = "region_name", azName = "az_name", circuits, routings
        }
    }
    var pods: [PodStatus]
    var jobs: JobStats
    var failedJobs: [Job]
    enum CodingKeys: String, CodingKey { case pods, jobs, failedJobs = "failed_jobs" }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(pods, forKey: .pods)
        try c.encode(jobs, forKey: .jobs)
        // Jobs as the admin API shows them everywhere else (snake_case, with will_retry).
        try c.encode(failedJobs.map { AdminView($0) }, forKey: .failedJobs)
    }
}

extension GatewayRuntime {
    /// The operator's snapshot; a pod's circuits are those of the services this process has called.
    func operatorStatus() async throws -> OperatorStatus {
        let registered = try await pods.list()
        let routingCounts = try await store.read { db in
            try await db.raw("SELECT pod_id, resource_type, COUNT(*) AS n FROM resource_routings GROUP BY pod_id, resource_type")
                .all().map { row in
                    (try row.decode(column: "pod_id", as: String.self), try row.decode(column: "resource_type", as: String.self),
                     try row.decode(column: "n", as: Int.self))
                }
        }
        var routings: [String: [String: Int]] = [:]
        for (pod, type, count) in routingCounts { routings[pod, default: [:]][type] = count }
        let circuits = circuitsByService()
        let podStatuses = registered.map { pod in
            OperatorStatus.PodStatus(
                podID: pod.podID, regionName: pod.regionName, azName: pod.azName,
                circuits: circuits.map { service, health in
                    let status = health.status(podID: pod.podID)
                    return .init(service: service, open: status.open, failures: status.failures, lastError: status.lastError)
                },
                routings: routings[pod.podID] ?? [:])
        }
        return OperatorStatus(
            pods: podStatuses, jobs: try await jobs.stats(),
            failedJobs: try await jobs.list(filter: JobFilter(status: .failed), limit: 20))
    }
}
