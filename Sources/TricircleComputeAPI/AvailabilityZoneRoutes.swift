import Foundation
import Hummingbird
import Logging
import OpenStackClient
import OpenStackModels
import Synchronization
import TricircleCore
import TricircleGateway

/// `/os-availability-zone` (and `/detail` for admins): the top's zones are the pods' AZs.
struct AvailabilityZoneRoutes: APIRoutes {
    let catalog: ComputeCatalogRoutes

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("os-availability-zone", use: list)
        group.get("os-availability-zone/detail", use: listDetail)
    }

    /// `GET /v2.1/os-availability-zone`.
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await catalog.run(request, context) { call in try await listZones(call) }
    }

    /// `GET /v2.1/os-availability-zone/detail`.
    func listDetail(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await catalog.run(request, context) { call in try await listZonesDetail(call) }
    }

    func listZones(_ call: CatalogCall) async throws -> Response {
        let pods = try await catalog.pods.bottomPods()
        let stale = catalog.podHealth.stale(pods)
        if !stale.isEmpty {
            let answers = try await catalog.askPods(stale, path: "/os-availability-zone", call: call)
            for pod in stale { catalog.podHealth.record(pod.podID, available: answers[pod.podID] != nil) }
        }
        let zones = Dictionary(grouping: pods, by: \.azName).map { az, members in
            (az, members.contains { catalog.podHealth.isAvailable($0.podID) })
        }.sorted { $0.0 < $1.0 }
        return call.json(["availabilityZoneInfo": .array(zones.map { az, available in
            ["zoneName": .string(az), "zoneState": ["available": .bool(available)], "hosts": .null]
        })])
    }

    func listZonesDetail(_ call: CatalogCall) async throws -> Response {
        try call.requireAdmin("os_compute_api:os-availability-zone:detail")
        let pods = try await catalog.pods.bottomPods()
        let answers = try await catalog.askPods(pods, path: "/os-availability-zone/detail", call: call)
        var internalHosts: [String: JSONValue] = [:]
        var zones: [String: (available: Bool, hosts: [String: JSONValue])] = [:]
        for pod in pods {
            catalog.podHealth.record(pod.podID, available: answers[pod.podID] != nil)
            var entry = zones[pod.azName] ?? (false, [:])
            if let info = answers[pod.podID]?["availabilityZoneInfo"]?.arrayValue {
                entry.available = true
                for zone in info {
                    // Hosts are named as the other admin surfaces name them: `<region>:<host>`.
                    let hosts = Dictionary(
                        (zone["hosts"]?.objectValue ?? [:]).map { (TopHost.name($0.key, in: pod), $0.value) },
                        uniquingKeysWith: { first, _ in first })
                    // The pod's own AZ names are its business; at the top every non-internal host is in the pod's AZ.
                    if zone["zoneName"]?.stringValue == "internal" {
                        internalHosts.merge(hosts) { first, _ in first }
                    } else {
                        entry.hosts.merge(hosts) { first, _ in first }
                    }
                }
            }
            zones[pod.azName] = entry
        }
        var info: [JSONValue] = []
        if !internalHosts.isEmpty {
            info.append(["zoneName": "internal", "zoneState": ["available": true], "hosts": .object(internalHosts)])
        }
        for (az, entry) in zones.sorted(by: { $0.key < $1.key }) {
            info.append(["zoneName": .string(az), "zoneState": ["available": .bool(entry.available)],
                         "hosts": entry.hosts.isEmpty ? .null : .object(entry.hosts)])
        }
        return call.json(["availabilityZoneInfo": .array(info)])
    }
}

extension ComputeCatalogRoutes {
    /// GETs `path` from every pod in parallel with the caller's token, each time-boxed; pod id -> answer
    /// body for the pods that answered 2xx (the others are logged and left out). A pod refusing the
    /// caller's token fails the call (401) before any zone is marked unavailable for everyone.
    func askPods(_ pods: [Pod], path: String, call: CatalogCall) async throws -> [String: JSONValue] {
        let credentials = call.caller.credentials(requestID: call.requestID)
        let forwarder = podForwarder
        let timeout = listTimeout
        let logger = self.logger
        let results = try await Fanout.results(pods) { pod in
            var request = RegionalRequest.get(path, headers: [("X-OpenStack-Nova-API-Version", "2.1")])
            request.timeout = timeout
            return try await forwarder.send(request, to: pod, credentials: credentials)
        }
        var answers: [String: JSONValue] = [:]
        for (pod, result) in zip(pods, results) {
            switch result {
            case .success(let response) where response.isSuccess:
                answers[pod.podID] = try? response.decode(JSONValue.self)
            case .success(let response):
                logger.warning("pod answered an error", metadata: ["region": "\(pod.regionName)", "path": "\(path)", "status": "\(response.status)"])
            case .failure(let error):
                logger.warning("pod did not answer", metadata: ["region": "\(pod.regionName)", "path": "\(path)", "error": "\(error)"])
            }
        }
        return answers
    }
}

/// Whether each pod answered its last availability-zone probe, and when: a zone is "available" while
/// one of its pods answered within `freshness`; older answers are refreshed by the next listing.
final class AvailabilityZoneHealth: Sendable {
    let freshness: Duration = .seconds(10)
    private let probes = Mutex<[String: (available: Bool, at: ContinuousClock.Instant)]>([:])

    /// The pods whose last answer is missing or too old.
    func stale(_ pods: [Pod]) -> [Pod] {
        let now = ContinuousClock.now
        return probes.withLock { known in
            pods.filter { pod in known[pod.podID].map { now - $0.at >= freshness } ?? true }
        }
    }

    func record(_ podID: String, available: Bool) {
        probes.withLock { $0[podID] = (available, ContinuousClock.now) }
    }

    func isAvailable(_ podID: String) -> Bool {
        probes.withLock { $0[podID]?.available ?? false }
    }
}
