import Foundation
import Hummingbird
import OpenStackModels

/// `/extensions`: Nova's frozen list of legacy v2 extensions (v2.1 answers it for old clients).
extension ComputeAPI {
    /// (name, alias, description) of the extensions listed, a part of Nova's list.
    static let extensionList: [(String, String, String)] = [
        ("AccessIPs", "os-access-ips", "Access IPs support."),
        ("AdminActions", "os-admin-actions", "Enable admin-only server actions."),
        ("AdminPassword", "os-admin-password", "Admin password management support."),
        ("Aggregates", "os-aggregates", "Admin-only aggregate administration."),
        ("AvailabilityZone", "os-availability-zone", "1. Add availability_zone to the Create Server API."),
        ("ConfigDrive", "os-config-drive", "Config Drive Extension."),
        ("DeferredDelete", "os-deferred-delete", "Instance deferred delete."),
        ("DiskConfig", "OS-DCF", "Disk Management Extension."),
        ("ExtendedAvailabilityZone", "OS-EXT-AZ", "Extended Availability Zone support."),
        ("ExtendedServerAttributes", "OS-EXT-SRV-ATTR", "Extended Server Attributes support."),
        ("ExtendedStatus", "OS-EXT-STS", "Extended Status support."),
        ("ExtendedVolumes", "os-extended-volumes", "Extended Volumes support."),
        ("FlavorAccess", "os-flavor-access", "Flavor access support."),
        ("FlavorExtraSpecs", "os-flavor-extra-specs", "Flavors extra specs support."),
        ("FlavorManage", "os-flavor-manage", "Flavor create/delete API support."),
        ("Hypervisors", "os-hypervisors", "Admin-only hypervisor administration."),
        ("InstanceActions", "os-instance-actions", "View a log of actions and events taken on an instance."),
        ("Keypairs", "os-keypairs", "Keypair Support."),
        ("Quotas", "os-quota-sets", "Quotas management support."),
        ("ServerGroups", "os-server-groups", "Server group support."),
        ("ServerUsage", "OS-SRV-USG", "Adds launched_at and terminated_at on Servers."),
        ("Services", "os-services", "Services support."),
        ("SimpleTenantUsage", "os-simple-tenant-usage", "Simple tenant usage extension."),
        ("UsedLimits", "os-used-limits", "Provide data on limited resources that are being used."),
        ("VirtualInterfaces", "os-virtual-interfaces", "Virtual interface support."),
        ("Volumes", "os-volumes", "Volumes support."),
    ]

    private func extensionJSON(_ e: (String, String, String)) -> JSONValue {
        [
            "name": .string(e.0), "alias": .string(e.1), "description": .string(e.2), "links": [],
            "namespace": "http://docs.openstack.org/compute/ext/fake_xml", "updated": "2014-12-03T00:00:00Z",
        ]
    }

    func listExtensions(_ call: ComputeCall) async throws -> Response {
        SimHTTP.json(["extensions": .array(Self.extensionList.map(extensionJSON))])
    }

    func showExtension(_ call: ComputeCall) async throws -> Response {
        let alias = try call.param("alias")
        guard let found = Self.extensionList.first(where: { $0.1 == alias }) else {
            throw SimulatorError.notFound("The resource could not be found.")
        }
        return SimHTTP.json(["extension": extensionJSON(found)])
    }
}
