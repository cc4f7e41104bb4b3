import Foundation
import OpenStackModels

extension ComputeAPI {
    /// Block device mappings of a boot with `destination_type: volume` and an image, snapshot or blank
    /// source: Nova has Cinder make the volume and attaches it, so it shows in `os-volume_attachments`
    /// and Cinder's volume list (bootable when made from an image). Given volumes (`source_type: volume`)
    /// are attached by the caller of this. Sizes default to 1 GiB here; Nova takes the image's.
    func createBootVolumes(_ bdms: [JSONValue], serverID: String, call: ComputeCall) {
        for bdm in bdms where bdm["destination_type"]?.stringValue == "volume" {
            let source = bdm["source_type"]?.stringValue ?? ""
            guard ["image", "snapshot", "blank"].contains(source) else { continue }
            let size = bdm["volume_size"]?.intValue ?? bdm["volume_size"]?.stringValue.flatMap { Int($0) } ?? 1
            let id = newUUID()
            let fromImage = source == "image" ? bdm["uuid"]?.stringValue : nil
            store.volumes.withLock { state in
                let record = VolumeRecord(
                    id: id, name: "", description: nil, size: max(1, size), status: "available", pending: nil,
                    availabilityZone: region.availabilityZone, volumeTypeID: Self.volumeType(bdm["volume_type"]?.stringValue, in: state),
                    projectID: call.token.projectID, userID: call.token.userID, created: call.now, updated: call.now,
                    metadata: [:], bootable: fromImage != nil, snapshotID: source == "snapshot" ? bdm["uuid"]?.stringValue : nil,
                    sourceVolumeID: nil, imageMetadata: fromImage.map { ["image_id": $0] },
                    host: "\(region.regionName.lowercased())-volume-1", request: [:])
                state.volumes[id] = record
                state.order.append(id)
            }
            _ = try? attachInStores(
                serverID: serverID, volumeID: id, device: bdm["device_name"]?.stringValue, call: call,
                deleteOnTermination: bdm["delete_on_termination"]?.boolValue ?? false)
        }
    }

    /// A mapping's `volume_type` (an id or name) as the type's id; the default type when none matches.
    static func volumeType(_ given: String?, in state: VolumeState) -> String {
        guard let given else { return state.defaultTypeID }
        return state.types[given]?.id ?? state.types.values.first { $0.name == given }?.id ?? state.defaultTypeID
    }
}
