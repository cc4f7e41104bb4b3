import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing
import TricircleComputeAPI
import TricircleCore
import TricircleGateway

@Suite("Compute admin surfaces at the top: aggregates, hypervisors, services, usage")
struct AdminSurfaceTests {
    @Test("os-aggregates: ag_<region> per pod in its AZ plus the pods' own, ids unique across pods, changes routed to the aggregate's pod")
    func aggregates() async throws {
        try await GatewayHarness.with { harness in
            let admin = try ComputeClient(harness, user: "admin")
            let demo = try ComputeClient(harness)
            let refused = try await demo.send("GET", "/os-aggregates")
            #expect(refused.status == 403)
            #expect(refused.json["forbidden"]?["message"] == "Policy doesn't allow os_compute_api:os-aggregates:index to be performed.")

            let initial = try await admin.send("GET", "/os-aggregates")
            #expect(initial.status == 200)
            let own = initial.json["aggregates"]?.arrayValue ?? []
            let one = own.first { $0["name"] == "ag_RegionOne" }
            #expect(one?["availability_zone"] == "az1")
            #expect(one?["metadata"]?["availability_zone"] == "az1")
            #expect(one?["hosts"] == ["RegionOne:regionone-compute-1"])
            #expect(own.first { $0["name"] == "ag_RegionTwo" }?["availability_zone"] == "az2")

            // One aggregate in each pod: both pods number theirs 1; the top's ids differ and say the pod.
            let a1 = try await admin.send("POST", "/os-aggregates", ["aggregate": ["name": "rack-a", "availability_zone": "az1"]])
            #expect(a1.status == 200)
            let a2 = try await admin.send("POST", "/os-aggregates", ["aggregate": ["name": "rack-b", "availability_zone": "az2"]])
            let id1 = try #require(a1.json["aggregate"]?["id"]?.intValue)
            let id2 = try #require(a2.json["aggregate"]?["id"]?.intValue)
            #expect(id1 != id2)
            #expect(a2.json["aggregate"]?["availability_zone"] == "az2")
            #expect(a2.json["aggregate"]?["hosts"] == nil)
            let inTwo = try await admin.direct("RegionTwo", "/os-aggregates")
            #expect(inTwo.json["aggregates"]?.arrayValue?.map { $0["name"] } == ["rack-b"])
            let duplicate = try await admin.send("POST", "/os-aggregates", ["aggregate": ["name": "rack-b", "availability_zone": "az1"]])
            #expect(duplicate.status == 409)

            let listed = try await admin.send("GET", "/os-aggregates")
            let ids = (listed.json["aggregates"]?.arrayValue ?? []).compactMap { $0["id"]?.intValue }
            #expect(ids.count == 4)
            #expect(Set(ids).count == 4)

            // Hosts are named <region>:<host>; only the aggregate's region's hosts can join it.
            let added = try await admin.send("POST", "/os-aggregates/\(id2)/action", ["add_host": ["host": "RegionTwo:regiontwo-compute-1"]])
            #expect(added.status == 200)
            #expect(added.json["aggregate"]?["hosts"] == ["RegionTwo:regiontwo-compute-1"])
            #expect(added.json["aggregate"]?["id"]?.intValue == id2)
            let wrongRegion = try await admin.send("POST", "/os-aggregates/\(id2)/action", ["add_host": ["host": "RegionOne:regionone-compute-1"]])
            #expect(wrongRegion.status == 404)
            #expect(wrongRegion.json["itemNotFound"]?["message"] == "Compute host RegionOne:regionone-compute-1 could not be found.")
            let again = try await admin.send("POST", "/os-aggregates/\(id2)/action", ["add_host": ["host": "RegionTwo:regiontwo-compute-1"]])
            #expect(again.status == 409)
            let notEmpty = try await admin.send("DELETE", "/os-aggregates/\(id2)")
            #expect(notEmpty.status == 400)

            let renamed = try await admin.send("PUT", "/os-aggregates/\(id1)", ["aggregate": ["name": "rack-a2"]])
            #expect(renamed.json["aggregate"]?["name"] == "rack-a2")
            let shown = try await admin.send("GET", "/os-aggregates/\(id1)")
            #expect(shown.json["aggregate"]?["name"] == "rack-a2")
            #expect(shown.json["aggregate"]?["availability_zone"] == "az1")
            let meta = try await admin.send("POST", "/os-aggregates/\(id1)/action", ["set_metadata": ["metadata": ["ssd": "true"]]])
            #expect(meta.json["aggregate"]?["metadata"]?["ssd"] == "true")

            #expect(try await admin.send("POST", "/os-aggregates/\(id2)/action", ["remove_host": ["host": "RegionTwo:regiontwo-compute-1"]]).status == 200)
            #expect(try await admin.send("DELETE", "/os-aggregates/\(id2)").status == 200)
            #expect(try await admin.send("GET", "/os-aggregates/\(id2)").status == 404)
            #expect(try await admin.send("GET", "/os-aggregates/987654").status == 404)

            // The pods' own aggregates stand for the regions: not to be changed at the top.
            let podOwn = try #require(one?["id"]?.intValue)
            let kept = try await admin.send("DELETE", "/os-aggregates/\(podOwn)")
            #expect(kept.status == 400)
            #expect(try await admin.send("GET", "/os-aggregates/\(podOwn)").json["aggregate"]?["name"] == "ag_RegionOne")
        }
    }

    @Test("os-hypervisors: every pod's, hostnames naming the pod, unique ids, show by id, statistics summed")
    func hypervisors() async throws {
        try await GatewayHarness.with { harness in
            let admin = try ComputeClient(harness, user: "admin")
            let demo = try ComputeClient(harness)
            #expect(try await demo.send("GET", "/os-hypervisors").status == 403)
            #expect(try await demo.send("GET", "/os-hypervisors/statistics").status == 403)

            let list = try await admin.send("GET", "/os-hypervisors")
            let items = list.json["hypervisors"]?.arrayValue ?? []
            #expect(Set(items.compactMap { $0["hypervisor_hostname"]?.stringValue }) == ["RegionOne:regionone-compute-1", "RegionTwo:regiontwo-compute-1"])
            let ids = items.compactMap { $0["id"]?.intValue }
            #expect(ids.count == 2 && Set(ids).count == 2)

            let detail = try await admin.send("GET", "/os-hypervisors/detail")
            let first = try #require(detail.json["hypervisors"]?.at(0))
            #expect(first["vcpus"]?.intValue == 64)
            #expect(first["service"]?["host"]?.stringValue?.hasPrefix("Region") == true)
            let id = try #require(first["id"]?.intValue)
            let shown = try await admin.send("GET", "/os-hypervisors/\(id)")
            #expect(shown.json["hypervisor"]?["hypervisor_hostname"] == first["hypervisor_hostname"])
            #expect(try await admin.send("GET", "/os-hypervisors/999999").status == 404)
            let uptime = try await admin.send("GET", "/os-hypervisors/\(id)/uptime")
            #expect(uptime.json["hypervisor"]?["uptime"]?.stringValue?.isEmpty == false)
            #expect(uptime.json["hypervisor"]?["id"]?.intValue == id)

            // Until 2.52, by host name: in every region, or in the one a `<region>:` pattern names.
            let everywhere = try await admin.send("GET", "/os-hypervisors/compute/search")
            #expect(everywhere.json["hypervisors"]?.arrayValue?.count == 2)
            let inTwo = try await admin.send("GET", "/os-hypervisors/RegionTwo:regiontwo/servers")
            #expect(inTwo.json["hypervisors"]?.arrayValue?.compactMap { $0["hypervisor_hostname"]?.stringValue } == ["RegionTwo:regiontwo-compute-1"])
            let none = try await admin.send("GET", "/os-hypervisors/nothing/search")
            #expect(none.status == 404)
            #expect(none.json["itemNotFound"]?["message"] == "No hypervisor matching 'nothing' could be found.")
            #expect(try await admin.send("GET", "/os-hypervisors/compute/search", version: "2.53").status == 404)

            let stats = try await admin.send("GET", "/os-hypervisors/statistics")
            #expect(stats.json["hypervisor_statistics"]?["count"]?.intValue == 2)
            #expect(stats.json["hypervisor_statistics"]?["vcpus"]?.intValue == 128)
            #expect(try await admin.send("GET", "/os-hypervisors/statistics", version: "2.88").status == 404)

            // From 2.53 ids are the pods' UUIDs, and shown by them.
            let modern = try await admin.send("GET", "/os-hypervisors", version: "2.53")
            let uuid = try #require(modern.json["hypervisors"]?.at(1)?["id"]?.stringValue)
            let byUUID = try await admin.send("GET", "/os-hypervisors/\(uuid)", version: "2.53")
            #expect(byUUID.json["hypervisor"]?["hypervisor_hostname"] == modern.json["hypervisors"]?.at(1)?["hypervisor_hostname"])
            let paged = try await admin.send("GET", "/os-hypervisors?limit=1", version: "2.53")
            #expect(paged.json["hypervisors"]?.arrayValue?.count == 1)
        }
    }

    @Test("os-services and os-availability-zone/detail: every pod's, hosts as <region>:<host>, the top's AZs")
    func servicesAndZones() async throws {
        try await GatewayHarness.with { harness in
            let admin = try ComputeClient(harness, user: "admin")
            let demo = try ComputeClient(harness)
            let refused = try await demo.send("GET", "/os-services")
            #expect(refused.status == 403)
            #expect(refused.json["forbidden"]?["message"] == "Policy doesn't allow os_compute_api:os-services:list to be performed.")
            let services = try await admin.send("GET", "/os-services").json["services"]?.arrayValue ?? []
            #expect(services.count == 6)
            let computes = services.filter { $0["binary"] == "nova-compute" }
            #expect(Set(computes.compactMap { $0["host"]?.stringValue }) == ["RegionOne:regionone-compute-1", "RegionTwo:regiontwo-compute-1"])
            #expect(Set(computes.compactMap { $0["zone"]?.stringValue }) == ["az1", "az2"])
            #expect(Set(services.compactMap { $0["id"]?.intValue }).count == 6)
            let oneHost = try await admin.send("GET", "/os-services?host=RegionTwo:regiontwo-compute-1")
            #expect(oneHost.json["services"]?.arrayValue?.map { $0["binary"] } == ["nova-compute"])

            // Disabled and enabled again by host name until 2.52, by UUID from 2.53; deleted by id.
            let disabled = try await admin.send("PUT", "/os-services/disable-log-reason", [
                "host": "RegionTwo:regiontwo-compute-1", "binary": "nova-compute", "disabled_reason": "maintenance",
            ])
            #expect(disabled.status == 200)
            #expect(disabled.json["service"]?["host"] == "RegionTwo:regiontwo-compute-1")
            #expect(disabled.json["service"]?["status"] == "disabled")
            let direct = try await admin.direct("RegionTwo", "/os-services?binary=nova-compute")
            #expect(direct.json["services"]?.at(0)?["disabled_reason"] == "maintenance")
            #expect(try await admin.send("PUT", "/os-services/disable", ["host": "nowhere", "binary": "nova-compute"]).status == 404)
            let modern = try await admin.send("GET", "/os-services?binary=nova-compute&host=RegionTwo:regiontwo-compute-1", version: "2.53")
            let uuid = try #require(modern.json["services"]?.at(0)?["id"]?.stringValue)
            let enabled = try await admin.send("PUT", "/os-services/\(uuid)", ["status": "enabled"], version: "2.53")
            #expect(enabled.json["service"]?["status"] == "enabled")
            #expect(enabled.json["service"]?["host"] == "RegionTwo:regiontwo-compute-1")
            let scheduler = try #require(services.first { $0["binary"] == "nova-scheduler" && $0["host"]?.stringValue?.hasPrefix("RegionOne:") == true })
            let schedulerID = try #require(scheduler["id"]?.intValue)
            #expect(try await admin.send("DELETE", "/os-services/\(schedulerID)").status == 204)
            #expect(try await admin.send("GET", "/os-services").json["services"]?.arrayValue?.count == 5)
            #expect(try await demo.send("PUT", "/os-services/\(uuid)", ["status": "disabled"], version: "2.53").status == 403)

            let zones = try await admin.send("GET", "/os-availability-zone/detail").json["availabilityZoneInfo"]?.arrayValue ?? []
            let az2 = zones.first { $0["zoneName"] == "az2" }
            #expect(az2?["hosts"]?["RegionTwo:regiontwo-compute-1"]?["nova-compute"]?["available"] == true)
        }
    }

    @Test("os-simple-tenant-usage: a project's usage summed over the pods; index for admins, show for the project itself")
    func tenantUsage() async throws {
        try await GatewayHarness.with { harness in
            let admin = try ComputeClient(harness, user: "admin")
            let demo = try ComputeClient(harness)
            _ = try await demo.boot("u1", az: "az1")
            _ = try await demo.boot("u2", az: "az2")
            let period = "start=2000-01-01T00:00:00&end=2100-01-01T00:00:00"
            #expect(try await demo.send("GET", "/os-simple-tenant-usage?\(period)").status == 403)
            let index = try await admin.send("GET", "/os-simple-tenant-usage?\(period)&detailed=1")
            #expect(index.status == 200)
            let entries = index.json["tenant_usages"]?.arrayValue ?? []
            let mine = entries.filter { $0["tenant_id"]?.stringValue == demo.token.projectID }
            #expect(mine.count == 1)
            #expect(mine.first?["server_usages"]?.arrayValue?.count == 2)
            let shown = try await demo.send("GET", "/os-simple-tenant-usage/\(demo.token.projectID)?\(period)")
            #expect(shown.status == 200)
            #expect(Set(shown.json["tenant_usage"]?["server_usages"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []) == ["u1", "u2"])
            let other = try await demo.send("GET", "/os-simple-tenant-usage/\(admin.token.projectID)?\(period)")
            #expect(other.status == 403)
        }
    }

    @Test("os-simple-tenant-usage paging (2.40): the page after the last instance is empty, as Horizon pages until one is")
    func tenantUsagePaging() async throws {
        try await GatewayHarness.with { harness in
            let admin = try ComputeClient(harness, user: "admin")
            let demo = try ComputeClient(harness)
            _ = try await demo.boot("p1", az: "az1")
            _ = try await demo.boot("p2", az: "az2")
            let period = "start=2000-01-01T00:00:00&end=2100-01-01T00:00:00"
            let first = try await demo.send("GET", "/os-simple-tenant-usage/\(demo.token.projectID)?\(period)", version: "2.40")
            let servers = first.json["tenant_usage"]?["server_usages"]?.arrayValue ?? []
            #expect(servers.count == 2)
            let ids = servers.compactMap { $0["instance_id"]?.stringValue }
            let last = try #require(ids.last)
            let after = try await demo.send("GET", "/os-simple-tenant-usage/\(demo.token.projectID)?\(period)&marker=\(last)", version: "2.40")
            #expect(after.status == 200)
            #expect(after.json["tenant_usage"]?.objectValue?.isEmpty == true)
            let second = try await demo.send("GET", "/os-simple-tenant-usage/\(demo.token.projectID)?\(period)&marker=\(ids[0])", version: "2.40")
            #expect(second.json["tenant_usage"]?["server_usages"]?.arrayValue?.compactMap { $0["instance_id"]?.stringValue } == [last])
            let index = try await admin.send("GET", "/os-simple-tenant-usage?\(period)&detailed=1&marker=\(last)", version: "2.40")
            #expect(index.json["tenant_usages"]?.arrayValue?.isEmpty == true)
            let unknown = try await demo.send("GET", "/os-simple-tenant-usage/\(demo.token.projectID)?\(period)&marker=nope", version: "2.40")
            #expect(unknown.status == 400)
        }
    }
}
