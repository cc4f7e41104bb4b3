import Foundation
import Logging
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleJobs
import TricircleStore

/// Maps a top flavor to a pod flavor for a boot: a recorded (or admin-pinned) mapping; else the pod
/// flavor with the same id, else the same name, else the smallest one at least as large in vcpus, RAM,
/// disk and ephemeral disk; else one created in the pod by a job the boot waits for. Found mappings are
/// recorded so later boots ask the pod nothing.
struct FlavorMapper: FlavorMapping {
    let runtime: GatewayRuntime
    let flavors: FlavorStore
    let mappings: FlavorMappingStore
    let seeder: FlavorSeeder
    let forwarder: PodForwarder
    /// How long a boot waits for its flavor to be created in the pod.
    let creationDeadline: Duration = .seconds(60)

    init(runtime: GatewayRuntime, flavors: FlavorStore, mappings: FlavorMappingStore, seeder: FlavorSeeder) {
        self.runtime = runtime
        self.flavors = flavors
        self.mappings = mappings
        self.seeder = seeder
        self.forwarder = runtime.forwarder(serviceType: "compute", format: .fault)
    }

    func bottomFlavor(_ flavorID: String, in pod: Pod, context: PodCallContext) async throws -> String {
        try await seeder.ensureSeeded(requestID: context.requestID)
        // The flavor and its mapping are read at once (two statements, one round trip's wait to a distant
        // database); the mapping counts only once the flavor is found and visible.
        async let knownMapping = mappings.get(topFlavorID: flavorID, podID: pod.podID)
        var found = try await flavors.get(flavorID)
        if found == nil {
            await seeder.refresh(requestID: context.requestID)
            found = try await flavors.get(flavorID)
        }
        let visible = if let found { context.caller.isAdmin ? true : try await flavors.isVisible(found, to: context.caller.projectID) } else { false }
        guard let flavor = found, visible else {
            throw APIError(.badRequest, "Flavor \(flavorID) could not be found.", format: .fault)
        }
        if let mapping = try await knownMapping { return mapping.bottomFlavorID }
        let credentials = try await runtime.serviceCredentials(requestID: context.requestID)
        let candidates = try await PodFlavor.list(in: pod, forwarder: forwarder, credentials: credentials, allVisibilities: false)
        if let match = Self.match(flavor, in: candidates) {
            return try await mappings.put(topFlavorID: flavor.id, podID: pod.podID, bottomFlavorID: match.id, pinned: false).bottomFlavorID
        }
        return try await createInPod(flavor, pod: pod, context: context)
    }

    func mappedFlavor(_ flavorID: String, in pod: Pod) async throws -> String? {
        try await mappings.get(topFlavorID: flavorID, podID: pod.podID)?.bottomFlavorID
    }

    /// Same id, else same name, else the smallest flavor that is at least as large; disabled ones never.
    static func match(_ flavor: CatalogFlavor, in candidates: [PodFlavor]) -> PodFlavor? {
        let usable = candidates.filter { !$0.disabled }
        if let same = usable.first(where: { $0.id == flavor.id }) { return same }
        if let same = usable.first(where: { $0.name == flavor.name }) { return same }
        return usable
            .filter { $0.vcpus >= flavor.vcpus && $0.ram >= flavor.ram && $0.disk >= flavor.disk && $0.ephemeral >= flavor.ephemeral }
            .min { ($0.ram, $0.vcpus, $0.disk, $0.ephemeral, $0.id) < ($1.ram, $1.vcpus, $1.disk, $1.ephemeral, $1.id) }
    }

    /// Queues the creation job and waits for its mapping; concurrent boots of one flavor in one pod join one job.
    func createInPod(_ flavor: CatalogFlavor, pod: Pod, context: PodCallContext) async throws -> String {
        let payload = FlavorCreateInPodJob.Payload(flavorID: flavor.id, podID: pod.podID, projectID: context.caller.projectID)
        let job = try await runtime.jobs.submit(FlavorCreateInPodJob.self, projectID: context.caller.projectID, payload: payload)
        var jobID = job.id
        var resubmitted = false
        let mapped: String? = try await runtime.jobs.waitFor(until: .now + creationDeadline, maxPause: .milliseconds(500)) {
            if let mapping = try await mappings.get(topFlavorID: flavor.id, podID: pod.podID) { return mapping.bottomFlavorID }
            let current = try await runtime.jobs.get(jobID)
            if current.status == .success {
                if let mapping = try await mappings.get(topFlavorID: flavor.id, podID: pod.podID) { return mapping.bottomFlavorID }
                // Succeeded without a mapping: an admin removed it meanwhile. Ask once more, never in a loop.
                guard !resubmitted else {
                    throw APIError(.serviceUnavailable, "Flavor \(flavor.id) has no mapping in region \(pod.regionName); try again.",
                                   format: .fault, headers: [.retryAfter: "10"])
                }
                resubmitted = true
                jobID = try await runtime.jobs.submit(FlavorCreateInPodJob.self, projectID: context.caller.projectID, payload: payload).id
            } else if current.status == .failed, !current.willRetry {
                throw APIError(.serviceUnavailable,
                    "Flavor \(flavor.id) could not be created in region \(pod.regionName): \(current.lastError ?? "unknown error").",
                    format: .fault, headers: [.retryAfter: "30"])
            }
            return nil
        }
        if let mapped { return mapped }
        throw APIError(.serviceUnavailable,
            "Flavor \(flavor.id) is still being created in region \(pod.regionName) (job \(jobID)); try again shortly.",
            format: .fault, headers: [.retryAfter: "10"])
    }
}

/// Creates a top flavor in a pod (admin call with the gateway's service token) and records the mapping.
/// Safe to repeat: a pod flavor with the same name is adopted instead of creating a second one.
struct FlavorCreateInPodJob: JobHandler {
    /// Which flavor, which pod, and the project that needs a private flavor's access there.
    struct Payload: Codable, Sendable {
        var flavorID: String
        var podID: String
        var projectID: String
        enum CodingKeys: String, CodingKey {
            case flavorID = "flavor_id", podID = "pod_id", projectID = "project_id"
        }
    }

    static let type = "flavor_create_in_pod"
    static let resourceKeys = ["flavor_id", "pod_id", "project_id"]

    let runtime: GatewayRuntime
    let flavors: FlavorStore
    let mappings: FlavorMappingStore
    let forwarder: PodForwarder

    init(runtime: GatewayRuntime, flavors: FlavorStore, mappings: FlavorMappingStore) {
        self.runtime = runtime
        self.flavors = flavors
        self.mappings = mappings
        self.forwarder = runtime.forwarder(serviceType: "compute", format: .fault)
    }

    func run(_ payload: Payload, context: JobContext) async throws {
        guard let pod = try await runtime.podDirectory.pod(id: payload.podID) else {
            throw PermanentJobFailure("pod \(payload.podID) is not registered")
        }
        guard let flavor = try await flavors.get(payload.flavorID) else {
            throw PermanentJobFailure("flavor \(payload.flavorID) was deleted at the top")
        }
        let credentials = try await runtime.serviceCredentials(requestID: nil)
        let bottomID = try await findOrCreate(flavor, in: pod, credentials: credentials, logger: context.logger)
        let specs = try await flavors.extraSpecs(flavor.id)
        if !specs.isEmpty {
            let request = try RegionalRequest.json("POST", "/flavors/\(bottomID)/os-extra_specs", body: ["extra_specs": specs])
            let answer = try await forwarder.send(request, to: pod, credentials: credentials)
            if !answer.isSuccess { context.logger.warning("pod refused the flavor's extra specs", metadata: ["status": "\(answer.status)"]) }
        }
        if !flavor.isPublic {
            let request = try RegionalRequest.json("POST", "/flavors/\(bottomID)/action", body: ["addTenantAccess": ["tenant": payload.projectID]])
            let answer = try await forwarder.send(request, to: pod, credentials: credentials)
            // 409: the project already has access (a repeated run).
            guard answer.isSuccess || answer.status == 409 else {
                throw JobRunError("region \(pod.regionName) refused flavor access for \(payload.projectID): HTTP \(answer.status)")
            }
        }
        try await mappings.put(topFlavorID: flavor.id, podID: pod.podID, bottomFlavorID: bottomID, pinned: false)
    }

    func findOrCreate(_ flavor: CatalogFlavor, in pod: Pod, credentials: ServiceCredentials, logger: Logger) async throws -> String {
        let existing = try await PodFlavor.list(in: pod, forwarder: forwarder, credentials: credentials, allVisibilities: true)
        if let same = existing.first(where: { $0.name == flavor.name }) { return same.id }
        // Keep the top id when the pod has it free, so the mapping is obvious to operators.
        let idFree = !existing.contains { $0.id == flavor.id }
        var body: [String: JSONValue] = [
            "name": .string(flavor.name), "ram": .number(Double(flavor.ram)), "vcpus": .number(Double(flavor.vcpus)),
            "disk": .number(Double(flavor.disk)), "OS-FLV-EXT-DATA:ephemeral": .number(Double(flavor.ephemeral)),
            "swap": .number(Double(flavor.swap)), "rxtx_factor": .number(flavor.rxtxFactor),
            "os-flavor-access:is_public": .bool(flavor.isPublic),
        ]
        if idFree { body["id"] = .string(flavor.id) }
        let request = try RegionalRequest.json("POST", "/flavors", body: ["flavor": JSONValue.object(body)])
        let answer = try await forwarder.send(request, to: pod, credentials: credentials)
        if answer.isSuccess, let created = try? answer.decode(JSONValue.self), let id = created["flavor"]?["id"]?.stringValue {
            logger.info("created flavor in pod", metadata: ["region": "\(pod.regionName)", "top": "\(flavor.id)", "bottom": "\(id)"])
            return id
        }
        if answer.status == 409 {
            // Someone created it meanwhile: adopt it by name on the next run.
            throw JobRunError("region \(pod.regionName) reported a conflicting flavor; retrying")
        }
        if (400..<500).contains(answer.status) {
            throw PermanentJobFailure("region \(pod.regionName) refused to create flavor \(flavor.name): HTTP \(answer.status) \(String(buffer: answer.body).prefix(300))")
        }
        throw JobRunError("region \(pod.regionName) failed to create flavor \(flavor.name): HTTP \(answer.status)")
    }
}

/// A failed run worth retrying (the job engine backs off and runs it again).
struct JobRunError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
