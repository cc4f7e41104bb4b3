import Foundation
import Logging
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

// What happens to a server's ports when the server is deleted at the top (Nova's rule: the ports it made
// for the boot go with the server, the ports it was given are unbound). Boots hand the pod's Nova only
// ports (`{"port": bottom id}`), so the pod unbinds every copy on delete and the server-to-port link
// would be lost: it is recorded at the top, as the port's `device_id`, just before the delete is sent.

/// A server's ports at the top follow the server's life in its pod: bound to it once the pod accepted the
/// boot, recorded before its delete, released (or deleted, for the ports made for the boot) once it is gone.
struct ServerPortBinder: Sendable {
    let service: NetworkService
    let routing: RoutingService
    let pods: PodNeutron
    let podDirectory: PodDirectory
    let queue: NeutronSyncQueue
    let cleaner: PodCopyCleaner
    let floatingIPs: FloatingIPDisassociator
    let logger = Logger(label: "tricircle.network.server-ports")

    /// Ports `prepare` made for a boot's `{"uuid": ...}` request (Nova's own ports, deleted with the server).
    static func madeForBoot(_ port: NeutronPort) -> Bool { port.deviceOwner.hasPrefix("compute:") && port.name.isEmpty }

    /// The stored device of a port a boot made until the boot settles it (bound to its server, or released):
    /// the API shows `device_id` "" meanwhile; a port still marked long after was stranded by a crash
    /// (`StrandedBootPorts`).
    static let pendingBootDevice = "boot:pending"

    /// Removes a port a boot made: its floating IPs let go, its pod copies deleted by job (so no caller waits
    /// on a pod, and a pod that is down gets it later: the job reads the routing rows, which outlive the
    /// document), the top's record gone.
    func removeBootPort(_ portID: String) async throws {
        try await floatingIPs.disassociateFloatingIPs(ofPort: portID)
        try await queue.scheduleCleanup(.port, id: portID)
        try await service.documents.delete(.ports, id: portID)
    }

    func serverDeleting(serverID: String, in pod: Pod, context: PodCallContext) async {
        do {
            let device = serverID.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-_"))) ?? serverID
            let answer = try await pods.call("GET", "/ports?device_id=\(device)&fields=id&fields=name", in: pod, requestID: context.requestID)
            let copies = answer["ports"]?.arrayValue?.compactMap { item -> (bottom: String, top: String)? in
                guard let bottom = item["id"]?.stringValue, let top = item["name"]?.stringValue, !top.isEmpty else { return nil }
                return (bottom, top)
            } ?? []
            try await Fanout.each(copies) { copy in
                // Only a copy this pod's routing row names is the top port's: a pod port merely named
                // like a top port (made in the pod directly) must not bind, and later delete, it.
                guard let row = try await routing.resolve(topID: copy.top, type: .port, podID: pod.podID, projectID: nil),
                      row.bottomID == copy.bottom else { return }
                try await setDevice(of: copy.top, from: ["", serverID], to: serverID, clearOwner: false)
            }
        } catch {
            logger.warning("could not note a deleted server's ports; they stay until their network is deleted",
                           metadata: ["pod": "\(pod.regionName)", "server": "\(serverID)", "error": "\(error)"])
        }
    }

    func serverGone(serverID: String, in pod: Pod, context: PodCallContext) async {
        let docs: [NetworkDocument]
        do {
            docs = try await service.documents.list(.ports, NetworkDocumentQuery(deviceIDs: [serverID]))
        } catch {
            logger.error("could not list a deleted server's ports", metadata: ["server": "\(serverID)", "error": "\(error)"])
            return
        }
        _ = await Fanout.outcomes(docs) { doc in
            do {
                let port = try service.model(NeutronPort.self, doc)
                guard port.deviceID == serverID else { return }
                if Self.madeForBoot(port) {
                    try await removeBootPort(port.id)
                } else {
                    // The pod's Nova already unbound its copy; the top's record follows.
                    try await setDevice(of: port.id, from: [serverID], to: "", clearOwner: true)
                }
            } catch {
                logger.error("could not release a deleted server's port",
                             metadata: ["server": "\(serverID)", "port": "\(doc.id)", "error": "\(error)"])
            }
        }
    }

    /// The boot's top ports now belong to the server: their `device_id` is set (a port bound to something
    /// else meanwhile is left alone).
    func serverCreated(serverID: String, prepared: PreparedNetworks, in pod: Pod, context: PodCallContext) async {
        for portID in prepared.topPorts {
            do {
                try await setDevice(of: portID, from: [""], to: serverID, clearOwner: false)
            } catch {
                logger.error("could not bind a top port to its new server",
                             metadata: ["server": "\(serverID)", "port": "\(portID)", "error": "\(error)"])
            }
        }
    }

    /// Rewrites a top port's `device_id` (and optionally clears `device_owner`), keeping its addresses,
    /// when its current `device_id` is one of `expected` (so a port rebound meanwhile is left alone).
    func setDevice(of portID: String, from expected: Set<String>, to deviceID: String, clearOwner: Bool) async throws {
        // Two may release one port at once (the top forgetting a deleted server while a boot takes its port,
        // or a show and the delete's confirmation job): the write that lost reads the port again, and finds
        // it released already, instead of failing the boot with a 409.
        for attempt in 1...3 {
            do {
                return try await setDeviceOnce(of: portID, from: expected, to: deviceID, clearOwner: clearOwner)
            } catch let error as NeutronError where error.status == 409 && error.type == "Conflict" && attempt < 3 {
                continue
            }
        }
    }

    private func setDeviceOnce(of portID: String, from expected: Set<String>, to deviceID: String, clearOwner: Bool) async throws {
        guard let doc = try await service.documents.get(.ports, id: portID) else { return }
        var port = try service.model(NeutronPort.self, doc)
        guard expected.contains(port.deviceID), port.deviceID != deviceID || (clearOwner && !port.deviceOwner.isEmpty) else { return }
        port.deviceID = deviceID
        if clearOwner { port.deviceOwner = "" }
        touch(&port.updatedAt, &port.revisionNumber)
        let allocator = PortAllocator(service: service)
        let requests = try allocator.resolve(port.fixedIPs, networkID: port.networkID, subnets: try await service.subnets(ofNetwork: port.networkID))
        _ = try await allocator.write(port, requests: requests, macRequested: true, deviceID: deviceID, replacing: doc.revision)
    }

    /// Whether a top port bound (by `serverDeleting`) to a server whose delete the top has not yet seen
    /// finish is in fact free: every pod copy is unbound or gone, as the pod's Nova leaves it once the
    /// server is deleted. Then the top's record is unbound too. Only asked on the port-in-use path.
    func releasedByDeletedServer(_ port: NeutronPort) async throws -> Bool {
        // Only the binding this module records for a server the top routes; other device ids stand.
        guard try await !routing.resolve(topID: port.deviceID, type: .server, projectID: nil).isEmpty else { return false }
        let rows = try await routing.resolve(topID: port.id, type: .port, projectID: nil)
        let bound = try await Fanout.all(rows) { row -> Bool in
            guard let bottomID = row.bottomID, let pod = try await podDirectory.pod(id: row.podID) else { return false }
            do {
                return try await pods.call("GET", "/ports/\(bottomID)", in: pod)["port"]?["device_id"]?.stringValue == port.deviceID
            } catch let error as PodNeutronError where error.status == 404 {
                return false
            }
        }.contains(true)
        if bound { return false }
        try await setDevice(of: port.id, from: [port.deviceID], to: "", clearOwner: true)
        return true
    }

    /// Ports a boot made (Nova's own ports) whose server is gone: the pod's copy is unbound or missing.
    /// Nova deletes such ports with the server; the top learns of it here, before the network (or, given
    /// `subnetID`, that subnet) goes: a client that deleted its servers without waiting for them to be gone
    /// never let the top see the end of the delete.
    func reclaimBootPorts(networkID: String, subnetID: String? = nil) async throws {
        let candidates = try await service.ports(ofNetwork: networkID).filter {
            Self.madeForBoot($0) && (subnetID == nil || $0.fixedIPs.contains { $0.subnetID == subnetID })
        }
        try await Fanout.each(candidates) { port in
            let rows = try await routing.resolve(topID: port.id, type: .port, projectID: nil)
            for row in rows {
                guard let bottomID = row.bottomID, let pod = try await podDirectory.pod(id: row.podID) else { continue }
                let bound: Bool
                do {
                    let answer = try await pods.call("GET", "/ports/\(bottomID)", in: pod)
                    bound = !(answer["port"]?["device_id"]?.stringValue ?? "").isEmpty
                } catch let error as PodNeutronError where error.status == 404 {
                    bound = false
                }
                if bound { return }
            }
            try await floatingIPs.disassociateFloatingIPs(ofPort: port.id)
            try await cleaner.cleanup(.port, id: port.id)
            try await service.documents.delete(.ports, id: port.id)
        }
    }
}
