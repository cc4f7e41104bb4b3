import Foundation
import Logging
import TricircleCore

/// The one way the top forgets a server its pod says is gone, whoever noticed: a show or delete answered
/// 404 (Compute's routes), the `server_delete_confirm` job a delete queues, or the audit's repair of a row
/// pointing at nothing. Forgetting drops the routing rows (which frees the server's quota usage and tells
/// the regions' quota sync, `RoutingService.onForget`) and lets the network provisioner release what the
/// boot made: the top ports made for it go with their pod copies (by job), the client's own are unbound.
/// Dropping a server row any other way would leave those ports in the region for good. A Trove instance is
/// forgotten the same way (`type: .databaseInstance`): the top ports its `nics` made are bound to it as a
/// boot's are to its server.
public struct GoneServers: Sendable {
    let runtime: GatewayRuntime
    let network: (any NetworkProvisioning)?
    let logger = Logger(label: "tricircle.gone-servers")

    public init(runtime: GatewayRuntime, network: (any NetworkProvisioning)?) {
        self.runtime = runtime
        self.network = network
    }

    /// Releases the ports of `id`'s boot and forgets it (its pod, `pod`, no longer has it): a server, or
    /// another `type` whose ports are bound to its id (a Trove instance). Never throws: a failure is logged (a
    /// row left behind only makes a later show, the confirmation job or the audit try again; the release is
    /// idempotent). Returns whether the routing rows are gone.
    @discardableResult
    public func forget(_ id: String, type: ResourceType = .server, in pod: Pod, context: PodCallContext) async -> Bool {
        // The ports first, the row last: once the top answers 404 for the server, its ports are released
        // already, and a boot taking a port still bound to it meanwhile sees a server the top routes (which
        // `releasedByDeletedServer` requires), never a port bound to a server the top no longer knows.
        await network?.serverGone(serverID: id, in: pod, context: context)
        do {
            try await runtime.routing.forget(topID: id, type: type)
            return true
        } catch {
            logger.error("could not forget a deleted server's routing",
                         metadata: ["server": "\(id)", "type": "\(type.rawValue)", "error": "\(error)"])
            return false
        }
    }

    /// Whether `pod` says the server is gone (404, or Nova's DELETED for a delete that has just finished),
    /// asked with the gateway's service token, as the audit asks. Throws when the pod cannot tell.
    public func isGone(_ id: String, in pod: Pod) async throws -> Bool {
        let inventory = PodInventory(runtime: runtime, credentials: try await runtime.serviceCredentials())
        return try await inventory.isGone(.servers, id: id, in: pod)
    }
}

extension PodCallContext {
    /// The gateway acting on its own for `projectID` (a job, the audit), not for a client's request: an admin
    /// caller named after the service user, with no token of its own (pod calls made for it use the
    /// service token).
    public static func gateway(projectID: String, requestID: String = GatewayRequestContext.newRequestID()) -> PodCallContext {
        PodCallContext(
            caller: AuthenticatedCaller(token: "", userID: "", userName: "tricircle", projectID: projectID, projectName: "",
                                        roles: ["admin"], expiresAt: .distantFuture),
            requestID: requestID)
    }
}
