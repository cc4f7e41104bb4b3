import Foundation
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway

/// `POST /instances`: placed in the pod of `region_name` (or `region`, the spec's name), else of the
/// `availability_zone`, else of the replica's source, else the default AZ; checked there first
/// (`PlacementCheck`); then created by that pod's Trove and recorded at the top (top id = bottom id).
///
/// A replica in another region than its source is asked of the source's Trove with `region_name` (the
/// spec's mechanism: the source's Trove runs replication and builds the replica in the other region), so
/// it is routed to the source's pod while its `region` is the requested one.
struct InstanceCreateRoutes: APIRoutes {
    let api: DatabaseAPI

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.post("instances", use: create)
    }

    func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        let raw = try await api.body(call)
        var (whole, instance) = try api.member(raw, "instance")
        let regionName = Self.text(instance["region_name"]) ?? Self.text(instance["region"])
        let zone = Self.text(instance["availability_zone"])
        var flavorRef = Self.text(instance["flavorRef"]) ?? instance["flavorRef"]?.intValue.map(String.init)
        var datastore: DatastoreRef? = Self.text(instance["datastore"]?["type"]).map {
            DatastoreRef(type: $0, version: Self.text(instance["datastore"]?["version"]))
        }

        // A replica: its source's pod, and the source's datastore version when none is named.
        var source: (pod: Pod, bottomID: String)?
        var volumeSize = instance["volume"]?["size"]?.intValue ?? Self.text(instance["volume"]?["size"]).flatMap { Int($0) }
        if let replicaOf = Self.text(instance["replica_of"]) {
            let located = try await api.locate(replicaOf, call: call)
            source = located
            let answer = try await api.send(call, .get("/instances/\(located.bottomID)"), to: located.pod)
            guard answer.isSuccess, let shown = try? answer.decode(DatabaseInstanceEnvelope<DatabaseInstance>.self) else {
                return api.relay(answer, call)
            }
            datastore = datastore ?? shown.instance.datastore
            // Trove sizes a replica's volume as its source's (what the quota counts).
            if volumeSize == nil { volumeSize = shown.instance.volume?.size }
            // Trove gives a replica its source's flavor when none is named (python-troveclient names none);
            // the top names it, so it is checked and mapped for the replica's region like any other. The
            // source's pod shows its own flavor id: the top flavor it stands for is named.
            if flavorRef == nil {
                let top = try await PlacementCheck(api: api).topFlavor(ofPodFlavor: shown.instance.flavor.id, in: located.pod)
                flavorRef = top
                instance["flavorRef"] = .string(top)
            }
        }

        // A restore reads its backup from its region's object store: it is built in that region.
        var backupPod: Pod?
        if let backupRef = Self.text(instance["restorePoint"]?["backupRef"]) {
            backupPod = try await BackupRoutes(api: api).holder(of: backupRef, call: call)
        }
        let pod = try await target(region: regionName, zone: zone, source: source?.pod ?? backupPod)
        if let backupPod, backupPod.podID != pod.podID {
            throw DatabaseAPI.badRequest("The backup is in region \(backupPod.regionName); an instance restored from it must be created there, not in \(pod.regionName).")
        }
        // A configuration group is kept by one region: the one whose Trove is asked to build.
        let asked = source.map { $0.pod.podID != pod.podID ? $0.pod : pod } ?? pod
        try await ConfigurationRoutes(api: api).requireSameRegion(instance["configuration"], instance: nil, in: asked, call: call)
        var checked: PlacementCheck.Outcome?
        if let datastore {
            let outcome = try await PlacementCheck(api: api).check(
                datastore: datastore, flavorRef: flavorRef, in: pod, call: call, copyMissingImage: true)
            guard outcome.placeable else {
                throw DatabaseAPI.badRequest("Cannot create the instance in region \(pod.regionName): " + outcome.problems.joined(separator: " "))
            }
            checked = outcome
        } else if let flavorRef {
            var outcome = PlacementCheck.Outcome(pod: pod)
            try await PlacementCheck(api: api).checkFlavor(flavorRef, in: pod, call: call, create: true, into: &outcome)
            guard outcome.placeable else {
                throw DatabaseAPI.badRequest("Cannot create the instance in region \(pod.regionName): " + outcome.problems.joined(separator: " "))
            }
            checked = outcome
        }

        // One quota over all regions: the instance and its volume are reserved before any region is asked.
        let quota = DatabaseQuota(api: api)
        let claim = quota.claim()
        let amounts = DatabaseQuota.instanceAmounts(volumeSize: volumeSize, ram: try await quota.ram(ofFlavor: flavorRef))
        try await quota.reserve(amounts, projectID: call.caller.projectID, claim: claim)
        return try await claim.settling {
            try await build(call, whole: whole, instance: instance, pod: pod, source: source, checked: checked, zone: zone, claim: claim)
        }
    }

    /// Asks the pod to build the checked, reserved instance and records it at the top.
    func build(
        _ call: DatabaseCall, whole: [String: JSONValue], instance: [String: JSONValue], pod: Pod,
        source: (pod: Pod, bottomID: String)?, checked: PlacementCheck.Outcome?, zone: String?, claim: QuotaClaim
    ) async throws -> Response {
        var whole = whole
        var instance = instance
        // What the pod is asked: its own names for the zone and the flavor, no region of its own.
        instance["region"] = nil
        instance["region_name"] = nil
        if zone != nil { instance["availability_zone"] = .string(pod.bottomAZ) }
        if let bottomFlavor = checked?.bottomFlavor { instance["flavorRef"] = .string(bottomFlavor) }
        var holder = pod
        if let source {
            instance["replica_of"] = .string(source.bottomID)
            if source.pod.podID != pod.podID {
                holder = source.pod
                instance["region_name"] = .string(pod.regionName)
            }
        }
        // `nics` name top networks and ports: made ready in the region the instance is built in.
        var prepared: PreparedNetworks?
        if let network = api.network, let nics = instance["nics"]?.arrayValue, !nics.isEmpty {
            let ready = try await network.prepare(networks: .array(nics.map(Self.bootNetwork)), securityGroups: [], in: pod, context: call.podContext)
            prepared = ready
            instance["nics"] = .array((ready.networks?.arrayValue ?? []).map(Self.troveNIC))
        }
        whole["instance"] = .object(instance)
        let response: RegionalResponse
        do {
            response = try await api.forward(call, to: holder, path: "/instances", body: DatabaseAPI.encode(.object(whole)))
        } catch {
            // The pod may have built it all the same: its reservation counts until it expires.
            claim.leaveToExpire()
            if let prepared, let network = api.network { await network.release(prepared, in: pod, context: call.podContext) }
            throw error
        }
        guard response.isSuccess else {
            if let prepared, let network = api.network { await network.release(prepared, in: pod, context: call.podContext) }
            return api.relay(response, call)
        }
        guard let created = try? JSONValue(data: response.data), let id = created["instance"]?["id"]?.stringValue else {
            api.logger.error("pod accepted a database instance but its answer has no id", metadata: ["pod": "\(holder.regionName)"])
            throw APIError(.badGateway, "Region \(holder.regionName) accepted the instance but did not say its id.", format: .trove)
        }
        do {
            try await api.runtime.routing.record(
                topID: id, bottomID: id, podID: holder.podID, projectID: call.caller.projectID, type: .databaseInstance)
        } catch {
            api.logger.error("recording a created database instance failed; removing it from its pod", metadata: ["id": "\(id)", "error": "\(error)"])
            await api.removeOrphan(call, path: "/instances/\(id)", in: holder)
            throw APIError(.serviceUnavailable, "The instance could not be recorded at the top and was removed from \(holder.regionName); try again.",
                           format: .trove, headers: [.retryAfter: "5"])
        }
        claim.made(objectType: ResourceType.databaseInstance.rawValue, ids: [id], projectID: call.caller.projectID, podID: holder.podID)
        if let prepared, let network = api.network {
            await network.serverCreated(serverID: id, prepared: prepared, in: pod, context: call.podContext)
        }
        return api.relay(response, call)
    }

    /// A Trove `nics` entry in a boot's `networks` terms.
    static func bootNetwork(_ nic: JSONValue) -> JSONValue {
        var entry: [String: JSONValue] = [:]
        if let net = nic["net-id"] { entry["uuid"] = net }
        if let port = nic["port-id"] { entry["port"] = port }
        if let ip = nic["v4-fixed-ip"] { entry["fixed_ip"] = ip }
        return .object(entry)
    }

    /// A prepared boot network (the region's ids) as a Trove `nics` entry.
    static func troveNIC(_ network: JSONValue) -> JSONValue {
        var nic: [String: JSONValue] = [:]
        if let port = network["port"] {
            nic["port-id"] = port
        } else if let net = network["uuid"] {
            nic["net-id"] = net
            if let ip = network["fixed_ip"] { nic["v4-fixed-ip"] = ip }
        }
        return .object(nic)
    }

    /// The pod an instance goes to: the named region's, else the zone's, else the source's, else the default.
    func target(region: String?, zone: String?, source: Pod?) async throws -> Pod {
        let pods = try await api.runtime.podDirectory.bottomPods()
        if let region {
            guard let pod = pods.first(where: { $0.regionName == region }) else {
                let known = pods.map(\.regionName).sorted().joined(separator: ", ")
                throw DatabaseAPI.badRequest("Region '\(region)' is not a region database instances can be placed in (known: \(known)).")
            }
            if let zone, zone != pod.azName, zone != pod.bottomAZ {
                throw DatabaseAPI.badRequest("Availability zone '\(zone)' is not in region \(region) (its zone is \(pod.azName)).")
            }
            return pod
        }
        if zone == nil, let source { return source }
        do {
            return try await api.runtime.podDirectory.podForCreate(availabilityZone: zone)
        } catch PodSelectionError.unknownAvailabilityZone(let name) {
            throw DatabaseAPI.badRequest("Availability zone '\(name)' is not available.")
        } catch PodSelectionError.noBottomPods {
            throw APIError(.serviceUnavailable, PodSelectionError.noBottomPods.description, format: .trove)
        }
    }

    /// A non-empty string member.
    static func text(_ value: JSONValue?) -> String? {
        guard let string = value?.stringValue, !string.isEmpty else { return nil }
        return string
    }
}
