import Foundation
import TricircleCore
import TricircleGateway
import TricircleJobs

/// `server_delete_confirm`: Nova answers a delete at once (204) and deletes the server afterwards, so the
/// top learns that a server it deleted is gone only when it asks again. A delete whose check right after
/// still found the server queues this job: it asks the pod, retried with the engine's backoff, until the
/// server is gone, then forgets it through `GoneServers` (routing rows, quota usage, the boot's top ports
/// and their pod copies), so none of that waits for a client's show or the periodic audit. Bounded: on its
/// last attempt (`[job] max_attempts`, a minute or two with the default backoff) it gives up without
/// failing, and a later show or the audit forgets the server once the pod is done.
public struct ServerDeleteConfirmJob: JobHandler {
    public struct Payload: Codable, Sendable {
        var podID: String
        var serverID: String

        enum CodingKeys: String, CodingKey { case podID = "pod_id", serverID = "server_id" }
    }

    public static let type = "server_delete_confirm"
    /// Per server: a second delete while the first is being confirmed joins the queued job.
    public static let resourceKeys = ["pod_id", "server_id"]

    let runtime: GatewayRuntime
    let servers: GoneServers

    public init(runtime: GatewayRuntime, servers: GoneServers) {
        self.runtime = runtime
        self.servers = servers
    }

    public func run(_ payload: Payload, context: JobContext) async throws {
        // Forgotten meanwhile (a show's 404, the audit): nothing left to do.
        guard let row = try await runtime.routing.resolve(topID: payload.serverID, type: .server, podID: payload.podID, projectID: nil)
        else { return }
        guard let pod = try await runtime.podDirectory.pod(id: payload.podID) else {
            throw PermanentJobFailure("pod \(payload.podID) is not registered")
        }
        if try await servers.isGone(payload.serverID, in: pod) {
            let gateway = PodCallContext.gateway(projectID: row.projectID, requestID: context.job.requestID ?? GatewayRequestContext.newRequestID())
            await servers.forget(payload.serverID, in: pod, context: gateway)
            return
        }
        guard context.job.attempts < context.job.maxAttempts else {
            context.logger.info("the pod still shows a server deleted through the top; a later show or the audit forgets it once it is gone",
                                metadata: ["pod": "\(pod.regionName)", "server": "\(payload.serverID)"])
            return
        }
        throw JobRunError("\(pod.regionName) still shows server \(payload.serverID); asking again")
    }
}
