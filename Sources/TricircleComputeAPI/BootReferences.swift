import Foundation
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

/// What a boot names that belongs to a project (key pair, networks, ports, volumes, snapshots, images),
/// authorized against the caller at the top before anything is sent to a pod: the pods see the gateway's
/// copies, not the caller's rights, so the top answers what Nova would (400, in Nova's words) itself.
struct BootReferences: Sendable {
    let calls: ComputePodCalls

    /// Checks what the top's own records decide (no pod and no Glance is asked): the key pair, the
    /// networks and ports, the volumes and snapshots of the block device mapping. Images are checked by
    /// `images`, which asks Glance with the caller's token.
    func authorize(_ server: ServerCreate, caller: AuthenticatedCaller) async throws {
        let provisioners = calls.provisioners
        if provisioners.keypair != nil, let name = server.keyName,
           try await calls.keypairs.get(userID: caller.userID, name: name) == nil {
            throw Nova.badRequest("Invalid key_name provided.")
        }
        if provisioners.network != nil, let items = server.networks?.arrayValue {
            let documents = calls.networks
            for item in items {
                if let port = item["port"]?.stringValue, !port.isEmpty {
                    // Ports are the owner's only, as in Neutron.
                    let doc = try await documents.get(.ports, id: port)
                    guard let doc, caller.isAdmin || doc.projectID == caller.projectID else {
                        throw Nova.badRequest("Port id \(port) could not be found.")
                    }
                } else if let network = item["uuid"]?.stringValue, !network.isEmpty {
                    // Shared and external networks carry the Networking API's "shared" marker
                    // (NetworkService.sharedMarker): the rule its own show applies.
                    let doc = try await documents.get(.networks, id: network)
                    guard let doc, caller.isAdmin || doc.projectID == caller.projectID || doc.deviceID == "shared" else {
                        throw Nova.badRequest("Network \(network) could not be found.")
                    }
                }
            }
        }
        guard let bdms = server.blockDeviceMappingV2 else { return }
        let imageRef = server.imageRef ?? ""
        for bdm in bdms {
            guard let uuid = bdm["uuid"]?.stringValue else { continue }
            let source = bdm["source_type"]?.stringValue
            guard source == "volume" || source == "snapshot" else { continue }
            let type: ResourceType = source == "volume" ? .volume : .snapshot
            guard try await calls.routing.resolveOne(topID: uuid, type: type, projectID: ComputePodCalls.scope(caller)) == nil
            else { continue }
            throw Self.unknown(type, uuid, isRoot: imageRef.isEmpty && Self.isRoot(bdm))
        }
    }

    /// Nova's answer for a volume or snapshot of a block device mapping the caller cannot get: the root
    /// device of a boot without `imageRef` is read first for the image metadata (`get_bdm_image_metadata`),
    /// the others when the volumes are validated (`_get_volumes_for_bdms`, `_validate_bdm`), with other words.
    static func unknown(_ type: ResourceType, _ id: String, isRoot: Bool) -> APIError {
        switch (type, isRoot) {
        case (.volume, true): Nova.badRequest("Block Device Mapping is Invalid: failed to get volume \(id).")
        case (.volume, false): Nova.badRequest("Volume \(id) could not be found.")
        case (_, true): Nova.badRequest("Snapshot \(id) could not be found.")
        case (_, false): Nova.badRequest("Block Device Mapping is Invalid: failed to get snapshot \(id).")
        }
    }

    /// `boot_index` 0, given as a number or a string.
    static func isRoot(_ bdm: JSONValue) -> Bool {
        bdm["boot_index"]?.intValue == 0 || bdm["boot_index"]?.stringValue == "0"
    }

    /// The pod's id of every image the boot names (`imageRef` and image sources of block devices), keyed
    /// by the top id. Each is first checked with the caller's token (the image provisioner does so before
    /// it copies anything), so an image the caller cannot see is refused in Nova's words.
    func images(_ server: ServerCreate, in pod: Pod, context: PodCallContext) async throws -> [String: String] {
        guard let provisioner = calls.provisioners.image else { return [:] }
        var out: [String: String] = [:]
        if let reference = server.imageReference, !reference.isEmpty {
            let id = ServerActionRoutes.lastComponent(reference)
            do {
                out[id] = try await provisioner.ensureImage(id, in: pod, context: context)
            } catch let error as APIError where error.type == Self.imageNotFound {
                throw Nova.badRequest("Can not find requested image")
            }
        }
        for bdm in server.blockDeviceMappingV2 ?? [] {
            guard bdm["source_type"]?.stringValue == "image", let id = bdm["uuid"]?.stringValue, out[id] == nil else { continue }
            do {
                out[id] = try await provisioner.ensureImage(id, in: pod, context: context)
            } catch let error as APIError where error.type == Self.imageNotFound {
                throw Nova.badRequest("Block Device Mapping is Invalid: failed to get image \(id).")
            }
        }
        return out
    }

    /// The `type` the image provisioner gives its 400 for an image the caller cannot see.
    static let imageNotFound = "ImageNotFound"
}
