import Foundation
import Logging
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleJobs
import TricircleStore

/// Keeps each region's own quota for a project at `global limit - usage in the other regions` (Kingbird's
/// idea), so a create sent straight to a region cannot pass the project's one limit either: Nova's
/// instances, cores and RAM, Cinder's volumes, gigabytes, snapshots and backups, Trove's instances,
/// volumes, backups and RAM, set with the gateway's service user. A region named in `[quota] pod_sync_exclude` keeps whatever its operator set.
public struct QuotaPodSync: Sendable {
    let runtime: GatewayRuntime
    let logger: Logger

    public init(runtime: GatewayRuntime, logger: Logger? = nil) {
        self.runtime = runtime
        self.logger = logger ?? runtime.logger
    }

    /// The quotas synced per service, with the service type and the Nova `force` flag it needs to set a
    /// limit below what the region already holds.
    static let synced: [(scope: QuotaScope, serviceType: String, resources: [String])] = [
        (.compute, "compute", ["instances", "cores", "ram"]),
        (.volume, "volumev3", ["volumes", "gigabytes", "snapshots", "backups", "backup_gigabytes"]),
        (.database, "database", ["instances", "volumes", "backups", "ram"]),
    ]

    /// The call that sets a region's own quota: Nova's and Cinder's `PUT /os-quota-sets/{project}`
    /// (`force` lets Nova go below what the region holds), Trove's admin `PUT /mgmt/quotas/{project}`.
    static func request(_ scope: QuotaScope, project: String, share: [String: Int]) -> RegionalRequest {
        var set: [String: JSONValue] = share.mapValues { .int($0) }
        if scope == .compute { set["force"] = true }
        let (path, envelope) = scope == .database ? ("/mgmt/quotas/\(project)", "quotas") : ("/os-quota-sets/\(project)", "quota_set")
        let body = ByteBuffer(data: JSONValue.object([envelope: .object(set)]).encoded())
        return RegionalRequest(method: "PUT", path: path, body: .bytes(body, contentType: "application/json"), timeout: .seconds(30))
    }

    /// A region's answer that no retry changes: the request or the project is wrong for it (400, 403, 404).
    static func refusedForGood(_ status: Int) -> Bool { status == 400 || status == 403 || status == 404 }

    /// Whether the sync runs at all (`[quota] pod_sync`).
    public var enabled: Bool { runtime.config.values.bool("quota", "pod_sync") }

    /// Regions left alone (`[quota] pod_sync_exclude`, comma-separated region names).
    var excluded: Set<String> {
        Set(runtime.config.values.string("quota", "pod_sync_exclude").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }

    /// What each region's quota for `project` should be now: region name -> scope -> resource -> limit.
    public func shares(project: String) async throws -> [String: [QuotaScope: [String: Int]]] {
        let quota = QuotaService(runtime: runtime)
        let ledger = QuotaLedger(store: runtime.store)
        let pods = try await runtime.podDirectory.bottomPods()
        var out: [String: [QuotaScope: [String: Int]]] = [:]
        for (scope, _, resources) in Self.synced {
            let limits = try await quota.limits(scope, project: project)
            let usage = try await ledger.usageByPod(service: scope.rawValue, projectID: project)
            for pod in pods {
                var share: [String: Int] = [:]
                for resource in resources {
                    let limit = limits[resource] ?? -1
                    guard limit >= 0 else { share[resource] = -1; continue }
                    let elsewhere = usage.filter { $0.key != pod.podID }.reduce(0) { $0 + ($1.value[resource] ?? 0) }
                    share[resource] = max(0, limit - elsewhere)
                }
                out[pod.regionName, default: [:]][scope] = share
            }
        }
        return out
    }

    /// Sets every region's quota for `projects` (nil: every project the top counts anything for or has
    /// limits for). Returns the regions that could not be set (they are set on the next run).
    @discardableResult
    public func run(projects: [String]? = nil) async throws -> [String] {
        guard enabled else { return [] }
        let quota = QuotaService(runtime: runtime)
        var names = Set(projects ?? [])
        if projects == nil {
            for (scope, _, _) in Self.synced {
                names.formUnion(try await QuotaLedger(store: runtime.store).projects(service: scope.rawValue))
                names.formUnion(try await quota.projectsWithOverrides(scope))
            }
        }
        let credentials = try await runtime.serviceCredentials()
        let pods = try await runtime.podDirectory.bottomPods().filter { !excluded.contains($0.regionName) }
        var failed: [String] = []
        for project in names.sorted() {
            let shares = try await shares(project: project)
            for pod in pods {
                for (scope, serviceType, _) in Self.synced {
                    guard let share = shares[pod.regionName]?[scope] else { continue }
                    let request = Self.request(scope, project: project, share: share)
                    do {
                        // The forwarder answers a missing catalog entry as the region's 503: ask the catalog first.
                        _ = try await runtime.endpoints.endpoint(region: pod.regionName, serviceType: serviceType)
                        let response = try await runtime.forwarder(serviceType: serviceType, format: .fault)
                            .send(request, to: pod, credentials: credentials)
                        if Self.refusedForGood(response.status) {
                            // Asking again gives the same answer (Nova: "Project ID ... is not a valid project."
                            // for a project deleted in Keystone since it used the cloud), so it is not retried.
                            logger.warning("quota sync: the region refused the project's quota; not retried", metadata: [
                                "pod": "\(pod.regionName)", "project": "\(project)", "service": "\(scope.rawValue)",
                                "status": "\(response.status)", "answer": "\(String(buffer: response.body).prefix(200))"])
                            continue
                        }
                        guard response.isSuccess else { throw QuotaReconcileError("answered \(response.status)") }
                    } catch OpenStackClientError.noEndpoint {
                        // A region without this service (no Trove, say) has no quota of it to set.
                        continue
                    } catch {
                        if !failed.contains(pod.regionName) { failed.append(pod.regionName) }
                        logger.warning("quota sync: could not set the region's own quota", metadata: [
                            "pod": "\(pod.regionName)", "project": "\(project)", "service": "\(scope.rawValue)", "error": "\(error)"])
                    }
                }
            }
        }
        return failed
    }
}

/// `quota_pod_sync`: sets the regions' own quotas of one project (`project_id` "*": every project), queued
/// when an admin changes a limit and after each reconcile.
public struct QuotaPodSyncJob: JobHandler {
    public struct Payload: Codable, Sendable {
        var project: String

        public init(project: String) { self.project = project }

        enum CodingKeys: String, CodingKey { case project = "project_id" }
    }

    public static let type = "quota_pod_sync"
    public static let resourceKeys = ["project_id"]

    let runtime: GatewayRuntime

    public init(runtime: GatewayRuntime) { self.runtime = runtime }

    public func run(_ payload: Payload, context: JobContext) async throws {
        let failed = try await QuotaPodSync(runtime: runtime, logger: context.logger)
            .run(projects: payload.project == "*" ? nil : [payload.project])
        // A region that did not take its share is tried again (with backoff) until it does.
        guard failed.isEmpty else { throw QuotaReconcileError("regions not set: \(failed.joined(separator: ", "))") }
        try await context.progress(done: 1, total: 1, note: "regions' own quotas set")
    }
}
