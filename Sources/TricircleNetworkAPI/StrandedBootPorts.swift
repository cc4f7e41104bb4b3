import Foundation
import OpenStackModels
import TricircleGateway
import TricircleStore

/// Ports a boot made at the top whose gateway died before the boot settled them. Until a boot binds its
/// ports to the server (or releases them when the pod refuses), their row carries the device
/// `ServerPortBinder.pendingBootDevice` (the API still shows an empty `device_id`); from the moment the
/// boot queues its `server_adopt` job, that job settles them within the adoption window. A port still
/// marked after that window and the pod timeouts was left by a crash before the job existed: no server
/// holds it and nothing will, so `tricircle audit --repair` removes it with its pod copies.
struct StrandedBootPorts: TopRecordAuditing {
    let service: NetworkService
    let serverPorts: ServerPortBinder

    var recordTypes: Set<String> { ["port"] }

    /// How long a boot may hold its ports unsettled: the pod's create answer and the adoption window.
    var settleSeconds: TimeInterval {
        BootSettling.adoptionWindow + 2 * Double(service.services.podTimeout.components.seconds) + 5
    }

    func strandedRecords(madeBefore cutoff: Date) async throws -> [AuditTopRecord] {
        let before = NeutronTimestamp.string(cutoff.addingTimeInterval(-settleSeconds))
        let pending = try await service.documents.list(.ports, NetworkDocumentQuery(deviceIDs: [ServerPortBinder.pendingBootDevice]))
        return pending.filter { $0.createdAt < before }.map {
            AuditTopRecord(resourceType: "port", id: $0.id, projectID: $0.projectID, createdAt: $0.createdAt,
                           reason: "made for a boot that never settled (its gateway died before the server was recorded)")
        }
    }

    func remove(_ record: AuditTopRecord) async throws {
        // Bound or released since the scan: no longer stranded.
        guard let doc = try await service.documents.get(.ports, id: record.id), doc.deviceID == ServerPortBinder.pendingBootDevice else { return }
        try await serverPorts.removeBootPort(record.id)
    }
}
