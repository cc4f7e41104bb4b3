import Foundation
import OpenStackClient
import OpenStackModels
import TricircleCore

/// Who a call to a pod is made for: the authenticated caller and the request id to pass along.
public struct PodCallContext: Sendable {
    public var caller: AuthenticatedCaller
    public var requestID: String

    public init(caller: AuthenticatedCaller, requestID: String) {
        self.caller = caller
        self.requestID = requestID
    }

    /// The caller's token and project plus the request id, as pod calls carry them.
    public var credentials: ServiceCredentials { caller.credentials(requestID: requestID) }
}

// What a server boot in a pod needs present there first. The Compute front-end calls these; the Image,
// Compute catalog and Networking front-ends implement them; `TricircleServer` wires one to the other.
// Each throws `APIError` in the Compute format for what the client got wrong (unknown image: 400).

/// Makes a top image present in a pod (copying it there by a job when missing) and returns the pod's id.
public protocol ImageProvisioning: Sendable {
    func ensureImage(_ imageID: String, in pod: Pod, context: PodCallContext) async throws -> String
    /// Makes an image a pod's own service just made (a server snapshot, a volume uploaded to an image) an
    /// image of the top under the same id: recorded at once, imported into the home image service by a job.
    /// Nothing to do in the home region. When it cannot be recorded, the pod's image is deleted and a 503
    /// thrown, so the client never holds an id the top does not know.
    func imageMadeInPod(_ imageID: String, in pod: Pod, context: PodCallContext) async throws
}

/// Maps a top flavor to the pod's flavor id (same id or name, closest match, or created there).
public protocol FlavorMapping: Sendable {
    func bottomFlavor(_ flavorID: String, in pod: Pod, context: PodCallContext) async throws -> String
    /// The pod flavor a top flavor is already mapped to, without asking or changing the pod (nil: none yet).
    func mappedFlavor(_ flavorID: String, in pod: Pod) async throws -> String?
}

/// Makes the caller's top key pair present in a pod under the same name before a boot there.
public protocol KeypairProvisioning: Sendable {
    func ensureKeypair(_ name: String, in pod: Pod, context: PodCallContext) async throws
}

/// What `NetworkProvisioning.prepare` made ready in a pod for one boot.
public struct PreparedNetworks: Sendable {
    /// The `networks` member for the pod's create request (pod ids), or nil to leave it out.
    public var networks: JSONValue?
    /// The pod's security group names or ids for the create request.
    public var securityGroups: [String]
    /// Bottom ports created for this boot, to delete if the boot fails.
    public var createdPorts: [String]
    /// The top ports behind the `networks` member, bound to the server once the pod accepted the boot.
    public var topPorts: [String]

    public init(networks: JSONValue?, securityGroups: [String], createdPorts: [String] = [], topPorts: [String] = []) {
        self.networks = networks
        self.securityGroups = securityGroups
        self.createdPorts = createdPorts
        self.topPorts = topPorts
    }
}

/// Translates a boot's `networks` (top network and port ids, fixed IPs) and security groups into the
/// pod's, materializing networks, subnets, ports and groups there when missing.
public protocol NetworkProvisioning: Sendable {
    func prepare(networks: JSONValue?, securityGroups: [String], in pod: Pod, context: PodCallContext) async throws -> PreparedNetworks
    /// Undoes what `prepare` created when the boot failed (best effort; failures are logged, not thrown).
    func release(_ prepared: PreparedNetworks, in pod: Pod, context: PodCallContext) async
    /// Called once the pod accepted the boot and the server is recorded: the top ports in `prepared`
    /// now belong to `serverID` (their `device_id` is set), so `GET /v2.0/ports?device_id=<server>` at the
    /// top finds them as in Neutron. Best effort: failures are logged, never thrown.
    func serverCreated(serverID: String, prepared: PreparedNetworks, in pod: Pod, context: PodCallContext) async
    /// Called just before the top asks `pod` to delete a server: records at the top which top ports the
    /// server holds there (their `device_id` becomes the server's id), because the pod unbinds or deletes
    /// its copies as it deletes the server and the link is lost. Best effort: never throws, never blocks
    /// the delete on a failure (failures are logged; the ports then stay until their network is deleted).
    func serverDeleting(serverID: String, in pod: Pod, context: PodCallContext) async
    /// Called as the top forgets a server (its pod said it is gone; `GoneServers`, just before its routing
    /// rows go): deletes the top ports a boot made
    /// for it (the `{"uuid": ...}` ones) and queues the deletion of their copies in every pod by job (a
    /// pod that is down gets it when it is back); ports the client made and passed as `port` stay,
    /// unbound (`device_id` cleared), as Neutron does. Cheap (top database and job submissions only, no
    /// pod calls), idempotent, and best effort: failures are logged, never thrown.
    func serverGone(serverID: String, in pod: Pod, context: PodCallContext) async
}

/// How long a single boot may stay unsettled: after its create was sent, the pod may still show the server
/// for this long, and until then the boot's `server_adopt` job (not the audit) owns its ports.
public enum BootSettling {
    public static let adoptionWindow: TimeInterval = 150
}

/// The provisioners a boot uses; nil members mean "pass the client's ids through unchanged".
public struct BootProvisioners: Sendable {
    public var image: (any ImageProvisioning)?
    public var flavor: (any FlavorMapping)?
    public var keypair: (any KeypairProvisioning)?
    public var network: (any NetworkProvisioning)?

    public init(
        image: (any ImageProvisioning)? = nil, flavor: (any FlavorMapping)? = nil,
        keypair: (any KeypairProvisioning)? = nil, network: (any NetworkProvisioning)? = nil
    ) {
        self.image = image
        self.flavor = flavor
        self.keypair = keypair
        self.network = network
    }
}
