import Foundation
import Logging
import OpenStackClient
import OpenStackModels
import Synchronization
import TricircleCore
import TricircleGateway
import TricircleStore

/// Fills an empty top flavor catalog from the first bottom pod that answers, once per process, so a
/// fresh gateway shows the regions' flavors (m1.tiny, ...) without manual steps. A catalog that holds any
/// flavor is never touched again; when no pod answers, the next request tries again after a pause.
final class FlavorSeeder: Sendable {
    let runtime: GatewayRuntime
    let flavors: FlavorStore
    let forwarder: PodForwarder
    /// How long to wait after a failed import before asking the pods again.
    let retryAfter: Duration = .seconds(15)

    private struct State {
        var done = false
        var inFlight: Task<Bool, Never>?
        var lastFailure: ContinuousClock.Instant?
    }
    private let state = Mutex(State())

    init(runtime: GatewayRuntime, flavors: FlavorStore) {
        self.runtime = runtime
        self.flavors = flavors
        self.forwarder = runtime.forwarder(serviceType: "compute", format: .fault)
    }

    /// Returns once the catalog is known to be non-empty or an import was tried; never fails the caller's
    /// request (an empty catalog is a valid answer while no pod can be asked).
    func ensureSeeded(requestID: String) async throws {
        let now = ContinuousClock.now
        let task: Task<Bool, Never>? = state.withLock { s in
            if s.done { return nil }
            if let failed = s.lastFailure, now - failed < retryAfter { return nil }
            if let running = s.inFlight { return running }
            // One import at a time: concurrent first requests share it instead of each asking every pod.
            let running = Task { await self.seed(requestID: requestID) }
            s.inFlight = running
            return running
        }
        guard let task else { return }
        let succeeded = await task.value
        state.withLock { s in
            s.inFlight = nil
            if succeeded { s.done = true } else { s.lastFailure = ContinuousClock.now }
        }
    }

    private func seed(requestID: String) async -> Bool {
        do {
            guard try await flavors.isEmpty() else { return true }
            let pods = try await runtime.podDirectory.bottomPods()
            guard !pods.isEmpty else { return false }
            let credentials = try await runtime.serviceCredentials(requestID: requestID)
            let forwarder = forwarder
            let answers = try await Fanout.results(pods) { pod in
                try await PodFlavor.list(in: pod, forwarder: forwarder, credentials: credentials, allVisibilities: false)
            }
            // The first pod in AZ order that answered: the choice does not depend on which answered faster.
            guard let (index, list) = answers.enumerated().lazy.compactMap({ index, answer in (try? answer.get()).map { (index, $0) } }).first else {
                runtime.logger.warning("flavor catalog is empty and no pod answered to seed it")
                return false
            }
            let imported = try await flavors.importIfEmpty(
                list.filter { !$0.disabled }.map(\.catalogFlavor),
                extraSpecs: Dictionary(list.map { ($0.id, $0.extraSpecs) }, uniquingKeysWith: { first, _ in first }))
            if imported {
                runtime.logger.info("seeded the top flavor catalog", metadata: [
                    "region": "\(pods[index].regionName)", "flavors": "\(list.count)",
                ])
            }
            return true
        } catch {
            runtime.logger.warning("could not seed the top flavor catalog", metadata: ["error": "\(error)"])
            return false
        }
    }
}

/// A flavor as a pod lists it (lenient about Nova's "" swap and optional fields).
struct PodFlavor: Sendable, Hashable {
    var id: String
    var name: String
    var ram: Int
    var vcpus: Int
    var disk: Int
    var ephemeral: Int
    var swap: Int
    var rxtxFactor: Double
    var isPublic: Bool
    var disabled: Bool
    var description: String?
    var extraSpecs: [String: String]

    init?(_ value: JSONValue) {
        guard let id = value["id"]?.stringValue, let name = value["name"]?.stringValue,
              let ram = value["ram"]?.intValue, let vcpus = value["vcpus"]?.intValue, let disk = value["disk"]?.intValue
        else { return nil }
        self.id = id
        self.name = name
        self.ram = ram
        self.vcpus = vcpus
        self.disk = disk
        ephemeral = value["OS-FLV-EXT-DATA:ephemeral"]?.intValue ?? 0
        swap = value["swap"]?.intValue ?? 0
        rxtxFactor = value["rxtx_factor"]?.doubleValue ?? 1.0
        isPublic = value["os-flavor-access:is_public"]?.boolValue ?? true
        disabled = value["OS-FLV-DISABLED:disabled"]?.boolValue ?? false
        description = value["description"]?.stringValue
        extraSpecs = value["extra_specs"]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
    }

    var catalogFlavor: CatalogFlavor {
        CatalogFlavor(
            id: id, name: name, ram: ram, vcpus: vcpus, disk: disk, ephemeral: ephemeral, swap: swap, rxtxFactor: rxtxFactor,
            isPublic: isPublic, disabled: disabled, description: description)
    }

    /// Headers asking a pod for description (2.55) and extra specs (2.61) in flavor answers.
    static let versionHeaders = [("X-OpenStack-Nova-API-Version", "2.61"), ("OpenStack-API-Version", "compute 2.61")]

    /// A pod's flavors (one page of up to 1000; `allVisibilities` adds private ones, admin credentials only).
    /// Throws `APIError` (503) when the pod cannot be reached or refuses.
    static func list(in pod: Pod, forwarder: PodForwarder, credentials: ServiceCredentials, allVisibilities: Bool) async throws -> [PodFlavor] {
        let path = "/flavors/detail?limit=1000" + (allVisibilities ? "&is_public=None" : "")
        let response = try await forwarder.send(.get(path, headers: versionHeaders), to: pod, credentials: credentials)
        guard response.isSuccess, let body = try? response.decode(JSONValue.self), let items = body["flavors"]?.arrayValue else {
            throw APIError(.serviceUnavailable, "Region \(pod.regionName) did not list its flavors (HTTP \(response.status)).", format: .fault)
        }
        return items.compactMap(PodFlavor.init)
    }
}
