import Hummingbird
import OpenStackModels
import TricircleGateway

/// `GET /v3/{project_id}/extensions`: the Block Storage API extensions the top serves (Cinder lists its
/// loaded extensions there; clients such as openstacksdk's `block_storage.extensions()` read it). Answered
/// by the gateway itself: the top's own API, not one region's.
struct VolumeExtensionRoutes: APIRoutes {
    let api: VolumeAPI

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("extensions", use: list)
    }

    static let updated = "2013-04-18T00:00:00+00:00"

    /// (alias, name, description) of each extension, as Cinder words them.
    static let extensions: [(String, String, String)] = [
        ("os-availability-zone", "AvailabilityZones", "Describe Availability Zones."),
        ("os-extended-snapshot-attributes", "ExtendedSnapshotAttributes", "Extended SnapshotAttributes support."),
        ("os-quota-sets", "Quotas", "Quota management support."),
        ("os-services", "Services", "Services support."),
        ("os-types-extra-specs", "TypesExtraSpecs", "Type extra specs support."),
        ("os-types-manage", "TypesManage", "Types manage support."),
        ("os-vol-tenant-attr", "VolumeTenantAttribute", "Expose the internal project_id as an attribute of a volume."),
        ("os-volume-actions", "VolumeActions", "Enable volume actions."),
        ("scheduler-stats", "Scheduler_stats", "Scheduler stats support."),
    ]

    /// `GET /extensions`.
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try await api.begin(request, context)
        let items: [JSONValue] = Self.extensions.map { alias, name, description in
            ["alias": .string(alias), "name": .string(name), "description": .string(description),
             "updated": .string(Self.updated), "links": []]
        }
        return api.json(["extensions": .array(items)], call: call)
    }
}
