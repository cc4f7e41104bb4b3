import Foundation
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleJobs

/// `server_adopt`: settles a boot whose pod did not answer the create (a timeout or a dropped connection).
/// The pod may still have made the server; the client was told 503. As Nova behind a timed-out proxy
/// would, the server is kept if it exists: it is recorded in the routing table (so the top shows,
/// routes and deletes it) and the boot's top ports are bound to it. It is found by the boot's pod ports
/// (Nova binds them to the server), else by name, project and creation time. If none appears within
/// `window`, the boot's ports are released, so nothing is left that the top does not know.
public struct ServerAdoptionJob: JobHandler {
    public struct Payload: Codable, Sendable {
        var podID: String
        var projectID: String
        var name: String
        /// When the create was sent (ISO 8601), for Nova's `changes-since`.
        var sentAt: String
        /// The boot's pod ports and top ports, comma-separated ("-" for none: job resource values are never empty).
        var bottomPorts: String
        var topPorts: String
        enum CodingKeys: String, CodingKey {
            case podID = "pod_id", projectID = "project_id", name, sentAt = "sent_at"
            case bottomPorts = "bottom_ports", topPorts = "top_ports"
        }

        init(podID: String, projectID: String, name: String, sentAt: String, bottomPorts: [String], topPorts: [String]) {
            self.podID = podID
            self.projectID = projectID
            self.name = name.isEmpty ? "-" : name
            self.sentAt = sentAt
            self.bottomPorts = bottomPorts.isEmpty ? "-" : bottomPorts.joined(separator: ",")
            self.topPorts = topPorts.isEmpty ? "-" : topPorts.joined(separator: ",")
        }

        static func list(_ text: String) -> [String] { text.split(separator: ",").map(String.init).filter { $0 != "-" } }
    }

    public static let type = "server_adopt"
    public static let resourceKeys = ["pod_id", "project_id", "name", "sent_at", "bottom_ports", "top_ports"]
    /// How long after the create a server may still appear in the pod: Nova lists a server as soon as it
    /// accepted the create, so a few minutes are plenty; past it the job's retries release the ports.
    static let window = BootSettling.adoptionWindow

    let runtime: GatewayRuntime
    let network: (any NetworkProvisioning)?

    public init(runtime: GatewayRuntime, network: (any NetworkProvisioning)?) {
        self.runtime = runtime
        self.network = network
    }

    public func run(_ payload: Payload, context: JobContext) async throws {
        guard let pod = try await runtime.podDirectory.pod(id: payload.podID) else {
            throw PermanentJobFailure("pod \(payload.podID) is not registered")
        }
        let credentials = try await runtime.serviceCredentials(requestID: nil)
        let bottomPorts = Payload.list(payload.bottomPorts)
        let prepared = PreparedNetworks(networks: nil, securityGroups: [], createdPorts: bottomPorts, topPorts: Payload.list(payload.topPorts))
        let jobContext = PodCallContext.gateway(projectID: payload.projectID)
        if let serverID = try await find(payload, bottomPorts: bottomPorts, in: pod, credentials: credentials) {
            if try await runtime.routing.resolveOne(topID: serverID, type: .server, projectID: nil) == nil {
                _ = try await runtime.routing.record(topID: serverID, bottomID: serverID, podID: pod.podID, projectID: payload.projectID, type: .server)
                await network?.serverCreated(serverID: serverID, prepared: prepared, in: pod, context: jobContext)
                context.logger.warning("adopted a server the pod made although its create got no answer",
                                       metadata: ["pod": "\(pod.regionName)", "server": "\(serverID)"])
            }
            return
        }
        let sent = ISO8601DateFormatter().date(from: payload.sentAt) ?? .distantPast
        guard Date().timeIntervalSince(sent) > Self.window else {
            throw JobRunError("no server named \(payload.name) in \(pod.regionName) yet; looking again")
        }
        await network?.release(prepared, in: pod, context: jobContext)
        context.logger.info("the pod made no server for a create it did not answer; its ports are released",
                            metadata: ["pod": "\(pod.regionName)", "name": "\(payload.name)"])
    }

    /// The server the boot made: the device of its first pod port, else the one server of that name and
    /// project created since the request that the routing table does not know.
    func find(_ payload: Payload, bottomPorts: [String], in pod: Pod, credentials: ServiceCredentials) async throws -> String? {
        for port in bottomPorts {
            var request = RegionalRequest(method: "GET", path: "/v2.0/ports/\(port)")
            request.timeout = .seconds(10)
            let response = try await runtime.forwarder(serviceType: "network", format: .fault).send(request, to: pod, credentials: credentials)
            if response.status == 404 { continue }
            guard response.isSuccess else { throw JobRunError("region \(pod.regionName) answered \(response.status) for port \(port)") }
            let port = (try? JSONValue(data: response.data))?["port"]
            if let device = port?["device_id"]?.stringValue, !device.isEmpty, port?["device_owner"]?.stringValue?.hasPrefix("compute:") == true {
                return device
            }
        }
        guard bottomPorts.isEmpty else { return nil }
        var components = URLComponents()
        components.queryItems = [
            URLQueryItem(name: "all_tenants", value: "1"), URLQueryItem(name: "project_id", value: payload.projectID),
            URLQueryItem(name: "changes-since", value: payload.sentAt),
            URLQueryItem(name: "name", value: "^" + NSRegularExpression.escapedPattern(for: payload.name) + "$"),
        ]
        var request = RegionalRequest(method: "GET", path: "/servers?" + (components.percentEncodedQuery ?? ""))
        request.timeout = .seconds(10)
        let response = try await runtime.forwarder(serviceType: "compute", format: .fault).send(request, to: pod, credentials: credentials)
        guard response.isSuccess else { throw JobRunError("region \(pod.regionName) answered \(response.status) to a server list") }
        let ids = (try? JSONValue(data: response.data))?["servers"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
        var unknown: [String] = []
        for id in ids {
            if try await runtime.routing.resolveOne(topID: id, type: .server, projectID: nil) == nil { unknown.append(id) }
        }
        // Two unknown servers of one name: which one the timed-out create made cannot be told; neither is taken.
        return unknown.count == 1 ? unknown[0] : nil
    }
}
