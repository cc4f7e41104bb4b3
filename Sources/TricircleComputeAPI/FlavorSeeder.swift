import Foundation
import Logging
import OpenStackClient
import OpenStackModels
import Synchronization
import TricircleCore
import TricircleGateway
import TricircleStore

/// Keeps the top flavor catalog in step with the regions' flavors without manual steps.
///
/// An empty catalog is filled from the pods (their public flavors, by name, the first pod in AZ order
/// winning a name two pods share) as soon as a pod lists any: pods that answer with no flavor (the
/// operator has not made them yet) leave it empty and the next request asks again. Once filled, the
/// pods are looked at again at most every `refreshInterval` (and at once when a flavor id is not
/// found at the top): a public flavor that appeared in a pod since this process last looked at it,
/// whose name and id the top does not have, is added to the top catalog. Flavors a pod had when this
/// process first looked at it are never imported again, so one deleted at the top stays deleted
/// (flavors added while no gateway process ran are created at the top by an admin; they map by name).
final class FlavorSeeder: Sendable {
    let runtime: GatewayRuntime
    let flavors: FlavorStore
    let forwarder: PodForwarder
    /// How long to wait after no pod answered before asking the pods again.
    let retryAfter: Duration = .seconds(15)
    /// How often a filled catalog looks for flavors new in the pods.
    let refreshInterval: Duration = .seconds(60)

    enum Outcome: Sendable { case filled, empty, failed }

    private struct State {
        var filled = false
        var inFlight: Task<Outcome, Never>?
        var lastFailure: ContinuousClock.Instant?
        var lastLook: ContinuousClock.Instant?
        /// Pod id -> the flavor ids this process has seen in it.
        var known: [String: Set<String>] = [:]
    }
    private let state = Mutex(State())

    init(runtime: GatewayRuntime, flavors: FlavorStore) {
        self.runtime = runtime
        self.flavors = flavors
        self.forwarder = runtime.forwarder(serviceType: "compute", format: .fault)
    }

    /// Returns once the catalog is filled and recently compared with the pods, or a look was tried;
    /// never fails the caller's request (an empty catalog is a valid answer while no pod can be asked).
    func ensureSeeded(requestID: String) async throws {
        await look(requestID: requestID, forced: false)
    }

    /// Looks at the pods now (a flavor id unknown at the top may be new in a pod); joins a look under way.
    func refresh(requestID: String) async {
        await look(requestID: requestID, forced: true)
    }

    private func look(requestID: String, forced: Bool) async {
        let now = ContinuousClock.now
        let task: Task<Outcome, Never>? = state.withLock { s in
            if let running = s.inFlight { return running }
            if !forced {
                if s.filled, let last = s.lastLook, now - last < refreshInterval { return nil }
                if !s.filled, let failed = s.lastFailure, now - failed < retryAfter { return nil }
            }
            // One look at a time: concurrent requests share it instead of each asking every pod.
            let running = Task { await self.compare(requestID: requestID) }
            s.inFlight = running
            return running
        }
        guard let task else { return }
        let outcome = await task.value
        state.withLock { s in
            s.inFlight = nil
            switch outcome {
            case .filled:
                s.filled = true
                s.lastLook = ContinuousClock.now
            case .empty: break
            case .failed: s.lastFailure = ContinuousClock.now
            }
        }
    }

    private func compare(requestID: String) async -> Outcome {
        do {
            let pods = try await runtime.podDirectory.bottomPods()
            guard !pods.isEmpty else { return .failed }
            let credentials = try await runtime.serviceCredentials(requestID: requestID)
            let forwarder = forwarder
            let results = try await Fanout.results(pods) { pod in
                try await PodFlavor.list(in: pod, forwarder: forwarder, credentials: credentials, allVisibilities: false)
            }
            // In AZ order: which pod wins a shared name does not depend on which answered faster.
            let answered = zip(pods, results).compactMap { pod, result in (try? result.get()).map { (pod, $0) } }
            guard !answered.isEmpty else {
                runtime.logger.warning("no pod answered to fill the top flavor catalog")
                return .failed
            }
            let current = try await flavors.list(FlavorQuery(visibility: .all, limit: 100_000))
            let outcome: Outcome
            if current.isEmpty {
                outcome = try await fill(from: answered)
            } else {
                try await importNew(from: answered, current: current)
                outcome = .filled
            }
            if outcome == .filled {
                state.withLock { s in
                    for (pod, list) in answered { s.known[pod.podID, default: []].formUnion(list.map(\.id)) }
                }
            }
            return outcome
        } catch {
            runtime.logger.warning("could not compare the top flavor catalog with the pods", metadata: ["error": "\(error)"])
            return .failed
        }
    }

    /// Fills the empty catalog with the pods' public flavors; `.empty` when no pod has any yet.
    private func fill(from answered: [(Pod, [PodFlavor])]) async throws -> Outcome {
        var names = Set<String>()
        var ids = Set<String>()
        var union: [PodFlavor] = []
        for (_, list) in answered {
            for flavor in list where !flavor.disabled && flavor.isPublic && !names.contains(flavor.name) && !ids.contains(flavor.id) {
                names.insert(flavor.name)
                ids.insert(flavor.id)
                union.append(flavor)
            }
        }
        guard !union.isEmpty else { return .empty }
        let imported = try await flavors.importIfEmpty(
            union.map(\.catalogFlavor), extraSpecs: Dictionary(union.map { ($0.id, $0.extraSpecs) }, uniquingKeysWith: { first, _ in first }))
        if imported {
            runtime.logger.info("filled the top flavor catalog from the pods", metadata: ["flavors": "\(union.count)"])
        }
        return .filled
    }

    /// Adds to the catalog the public flavors new in a pod since this process last looked at it.
    private func importNew(from answered: [(Pod, [PodFlavor])], current: [CatalogFlavor]) async throws {
        var names = Set(current.map(\.name))
        var ids = Set(current.map(\.id))
        let known = state.withLock { $0.known }
        for (pod, list) in answered {
            // The first look at a pod (a catalog filled by an earlier process) only learns what it has.
            guard let seen = known[pod.podID] else { continue }
            for flavor in list where !seen.contains(flavor.id) && !flavor.disabled && flavor.isPublic
                && !names.contains(flavor.name) && !ids.contains(flavor.id) {
                do {
                    _ = try await flavors.create(flavor.catalogFlavor)
                    if !flavor.extraSpecs.isEmpty { try await flavors.setExtraSpecs(flavor.id, flavor.extraSpecs) }
                    runtime.logger.info("added a flavor new in a pod to the top catalog", metadata: [
                        "region": "\(pod.regionName)", "flavor": "\(flavor.name)",
                    ])
                } catch StoreError.conflict {
                    // Another process added it meanwhile.
                }
                names.insert(flavor.name)
                ids.insert(flavor.id)
            }
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
