import Foundation
import Logging
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleJobs
import TricircleStore

/// What one reconcile pass changed.
public struct QuotaReconcileReport: Sendable, Equatable {
    /// Holdings recorded for resources the top routes to but had not counted (made before quotas were
    /// kept, or a commit that failed).
    public var added = 0
    /// Holdings that differed from what the pod reports (a resize finished or reverted in the region).
    public var changed = 0
    /// Holdings of resources gone from their pod (deleted directly in the region): their quota is free.
    public var freed = 0
    /// Expired reservation rows dropped (their gateway died or never settled them).
    public var expiredReservations = 0
    /// Pods that did not answer (their holdings are left as they were).
    public var podsSkipped: [String] = []

    /// Whether the counts at the top disagreed with the pods.
    public var drifted: Bool { changed > 0 || freed > 0 }
}

/// Keeps usage true: compares what the top counts with what each pod holds (servers, volumes, snapshots,
/// Trove instances and backups, all projects, as the gateway's service user), records what is missing, frees what a region deleted
/// directly, and drops expired reservations. Safe to run in several processes at once (each step
/// converges on what the pods report).
public struct QuotaReconciler: Sendable {
    let runtime: GatewayRuntime
    let logger: Logger
    let ledger: QuotaLedger

    public init(runtime: GatewayRuntime, logger: Logger? = nil) {
        self.runtime = runtime
        self.logger = logger ?? runtime.logger
        self.ledger = QuotaLedger(store: runtime.store)
    }

    /// The pod-side collections whose resources hold quota, and how to read what one item holds.
    enum Kind: CaseIterable {
        case server, volume, snapshot, databaseInstance, databaseBackup

        var routingType: ResourceType {
            switch self {
            case .server: .server
            case .volume: .volume
            case .snapshot: .snapshot
            case .databaseInstance: .databaseInstance
            case .databaseBackup: .databaseBackup
            }
        }
        var scope: QuotaScope {
            switch self {
            case .server: .compute
            case .volume, .snapshot: .volume
            case .databaseInstance, .databaseBackup: .database
            }
        }
        var serviceType: String {
            switch self {
            case .server: "compute"
            case .volume, .snapshot: "volumev3"
            case .databaseInstance, .databaseBackup: "database"
            }
        }
        /// Every project's items (admin): Trove's management list includes cluster members.
        var path: String {
            switch self {
            case .server: "/servers/detail"
            case .volume: "/volumes/detail"
            case .snapshot: "/snapshots/detail"
            case .databaseInstance: "/mgmt/instances"
            case .databaseBackup: "/backups"
            }
        }
        var allProjects: [URLQueryItem] {
            switch self {
            case .server, .volume, .snapshot: [URLQueryItem(name: "all_tenants", value: "1")]
            case .databaseInstance: [URLQueryItem(name: "deleted", value: "false"), URLQueryItem(name: "include_clustered", value: "true")]
            case .databaseBackup: [URLQueryItem(name: "all_projects", value: "true")]
            }
        }
        var key: String {
            switch self {
            case .server: "servers"
            case .volume: "volumes"
            case .snapshot: "snapshots"
            case .databaseInstance: "instances"
            case .databaseBackup: "backups"
            }
        }
    }

    /// One pass over every bottom pod; reservations expired at `now` are dropped.
    @discardableResult
    public func run(now: Date = Date()) async throws -> QuotaReconcileReport {
        var report = QuotaReconcileReport()
        report.expiredReservations = try await ledger.releaseExpired(now: now)
        let credentials = try await runtime.serviceCredentials()
        let pods = try await runtime.podDirectory.bottomPods()
        for kind in Kind.allCases {
            let holdings = Dictionary(
                try await ledger.holdings(service: kind.scope.rawValue, objectType: kind.routingType.rawValue).map { ($0.objectID, $0) },
                uniquingKeysWith: { first, _ in first })
            for pod in pods {
                let items: [String: JSONValue]
                do {
                    // The forwarder answers a missing catalog entry as the region's 503: ask the catalog first.
                    _ = try await runtime.endpoints.endpoint(region: pod.regionName, serviceType: kind.serviceType)
                    items = try await list(kind, in: pod, credentials: credentials)
                } catch OpenStackClientError.noEndpoint {
                    continue  // a region without this service (no Trove, say) holds none of it
                } catch {
                    if !report.podsSkipped.contains(pod.regionName) { report.podsSkipped.append(pod.regionName) }
                    logger.warning("quota reconcile: pod did not list its resources; its usage is left as counted",
                                   metadata: ["pod": "\(pod.regionName)", "kind": "\(kind)", "error": "\(error)"])
                    continue
                }
                let rows = try await runtime.routing.routings.list(
                    filter: RoutingFilter(podID: pod.podID, resourceType: kind.routingType), limit: 1_000_000)
                for row in rows {
                    guard let bottomID = row.bottomID else { continue }
                    let held = holdings[row.topID]
                    guard let item = items[bottomID] else {
                        if held != nil {
                            try await ledger.forget(objectType: kind.routingType.rawValue, objectID: row.topID)
                            report.freed += 1
                            logger.warning("quota drift: resource gone from its region; its quota is free again", metadata: [
                                "kind": "\(kind)", "id": "\(row.topID)", "pod": "\(pod.regionName)", "project": "\(row.projectID)"])
                        }
                        continue
                    }
                    let amounts = Self.amounts(kind, item)
                    if held?.amounts == amounts { continue }
                    try await ledger.record(
                        QuotaHolding(objectType: kind.routingType.rawValue, objectID: row.topID, projectID: row.projectID,
                                     podID: pod.podID, amounts: amounts),
                        service: kind.scope.rawValue)
                    if held == nil {
                        report.added += 1
                    } else {
                        report.changed += 1
                        logger.warning("quota drift: usage differed from the region's", metadata: [
                            "kind": "\(kind)", "id": "\(row.topID)", "pod": "\(pod.regionName)",
                            "counted": "\(held?.amounts ?? [:])", "region": "\(amounts)"])
                    }
                }
            }
        }
        return report
    }

    /// What one pod item holds of its project's quota.
    static func amounts(_ kind: Kind, _ item: JSONValue) -> [String: Int] {
        switch kind {
        case .server:
            return ["instances": 1, "cores": item["flavor"]?["vcpus"]?.intValue ?? 0, "ram": item["flavor"]?["ram"]?.intValue ?? 0]
        case .volume:
            let size = item["size"]?.intValue ?? 0
            var out = ["volumes": 1, "gigabytes": size]
            if let type = item["volume_type"]?.stringValue, !type.isEmpty {
                out["volumes_\(type)"] = 1
                out["gigabytes_\(type)"] = size
            }
            return out
        case .snapshot:
            return ["snapshots": 1, "gigabytes": item["size"]?.intValue ?? 0]
        case .databaseInstance:
            // `ram` is the pod flavor's, put on the item by `list` (Trove names only the flavor's id).
            var out = ["instances": 1]
            if let size = item["volume"]?["size"]?.intValue, size > 0 { out["volumes"] = size }
            if let ram = item["flavor"]?["ram"]?.intValue, ram > 0 { out["ram"] = ram }
            return out
        case .databaseBackup:
            return ["backups": 1]
        }
    }

    /// Every item of a kind in a pod, all projects, by id (deleted servers left out).
    func list(_ kind: Kind, in pod: Pod, credentials: ServiceCredentials) async throws -> [String: JSONValue] {
        let forwarder = runtime.forwarder(serviceType: kind.serviceType, format: .fault)
        // 2.47: a server names its flavor's vCPUs and RAM itself (the flavor may be gone since).
        let headers: [(String, String)] = kind == .server
            ? [("OpenStack-API-Version", "compute 2.47"), ("X-OpenStack-Nova-API-Version", "2.47")] : []
        var out: [String: JSONValue] = [:]
        var marker: String?
        let limit = 1000
        for _ in 0..<10_000 {
            var query = kind.allProjects + [URLQueryItem(name: "limit", value: "\(limit)")]
            if let marker { query.append(URLQueryItem(name: "marker", value: marker)) }
            var request = RegionalRequest(method: "GET", path: kind.path, query: query, headers: headers)
            request.timeout = .seconds(30)
            let response = try await forwarder.send(request, to: pod, credentials: credentials)
            guard response.isSuccess else { throw QuotaReconcileError("\(pod.regionName) answered \(response.status) to GET \(kind.path)") }
            let answer = try JSONValue(data: response.data)
            let page = answer[kind.key]?.arrayValue ?? []
            for item in page {
                guard let id = item["id"]?.stringValue else { continue }
                if kind == .server, (item["status"]?.stringValue ?? "").uppercased() == "DELETED" { continue }
                // A Trove instance being deleted (SHUTDOWN) already gave its quota back when the delete was accepted.
                if kind == .databaseInstance, (item["status"]?.stringValue ?? "").uppercased() == "SHUTDOWN" { continue }
                out[id] = item
            }
            // Trove pages at its own size (20) whatever `limit` asks, and says so with a `next` link.
            let more = page.count >= limit || (answer["links"]?.arrayValue ?? []).contains { $0["rel"]?.stringValue == "next" }
            guard more, let last = page.last?["id"]?.stringValue else { break }
            marker = last
        }
        if kind == .databaseInstance { try await addFlavorRAM(&out, in: pod, credentials: credentials) }
        return out
    }

    /// Puts each Trove instance's flavor RAM on it, from the pod's Trove flavors (what Trove's `ram` counts).
    func addFlavorRAM(_ items: inout [String: JSONValue], in pod: Pod, credentials: ServiceCredentials) async throws {
        var request = RegionalRequest(method: "GET", path: "/flavors")
        request.timeout = .seconds(30)
        let response = try await runtime.forwarder(serviceType: "database", format: .fault).send(request, to: pod, credentials: credentials)
        guard response.isSuccess else { throw QuotaReconcileError("\(pod.regionName) answered \(response.status) to GET /flavors") }
        var ram: [String: JSONValue] = [:]
        for flavor in (try JSONValue(data: response.data))["flavors"]?.arrayValue ?? [] {
            if let id = flavor["id"]?.stringValue ?? flavor["id"]?.intValue.map(String.init), let mb = flavor["ram"] { ram[id] = mb }
        }
        for (id, item) in items {
            guard var object = item.objectValue, var flavor = object["flavor"]?.objectValue,
                  let flavorID = flavor["id"]?.stringValue, let mb = ram[flavorID] else { continue }
            flavor["ram"] = mb
            object["flavor"] = .object(flavor)
            items[id] = .object(object)
        }
    }
}

/// A pod's answer the reconcile job could not use.
struct QuotaReconcileError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `quota_reconcile`: one reconcile pass as a job (queued every `[quota] reconcile_interval` seconds).
public struct QuotaReconcileJob: JobHandler {
    public struct Payload: Codable, Sendable {
        var scope: String
    }

    public static let type = "quota_reconcile"
    public static let resourceKeys = ["scope"]

    let runtime: GatewayRuntime

    public init(runtime: GatewayRuntime) { self.runtime = runtime }

    public func run(_ payload: Payload, context: JobContext) async throws {
        let report = try await QuotaReconciler(runtime: runtime, logger: context.logger).run()
        // Usage is true again: the regions' own quotas follow it (a region that does not answer is set next time).
        let unsynced = try await QuotaPodSync(runtime: runtime, logger: context.logger).run()
        try await context.progress(
            done: 1, total: 1,
            note: "added \(report.added), changed \(report.changed), freed \(report.freed), expired reservations \(report.expiredReservations)"
                + (report.podsSkipped.isEmpty ? "" : ", pods skipped: \(report.podsSkipped.joined(separator: ", "))")
                + (unsynced.isEmpty ? "" : ", regions' quotas not set: \(unsynced.joined(separator: ", "))"))
    }

    /// Queues a reconcile every `[quota] reconcile_interval` seconds until cancelled (0: never); a queued
    /// one absorbs the other processes' submissions.
    public static func schedule(runtime: GatewayRuntime) async {
        let interval = runtime.config.values.double("quota", "reconcile_interval")
        guard interval > 0 else { return }
        while true {
            do { try await Task.sleep(for: .seconds(interval)) } catch { return }
            do {
                _ = try await runtime.jobs.submit(QuotaReconcileJob.self, projectID: "-", payload: Payload(scope: "all"))
            } catch {
                runtime.logger.warning("could not queue the quota reconcile", metadata: ["error": "\(error)"])
            }
        }
    }
}
