import Foundation
import OpenStackModels

extension TroveState {
    func flavor(_ ref: String) -> DatabaseFlavor? {
        // flavorRef may be an id or a flavor href ending in the id.
        let id = ref.split(separator: "/").last.map(String.init) ?? ref
        return flavorCatalog().first { $0.id == id }
    }

    /// Resolves `{"type", "version"}` (either may be a name or an id) to names, defaulting as Trove does.
    func resolveDatastore(_ ref: DatastoreRef?) throws -> DatastoreRef {
        let type = ref?.type ?? "mysql"
        guard let store = catalog.first(where: { $0.name == type || $0.id == type }) else {
            throw TroveError.datastoreNotFound(type)
        }
        let wanted = ref?.version ?? store.defaultVersion ?? ""
        guard let version = store.versions.first(where: { $0.name == wanted || $0.id == wanted }) else {
            throw TroveError.datastoreVersionNotFound(wanted)
        }
        return DatastoreRef(type: store.name, version: version.name)
    }

    func visibleInstance(_ id: String, project: String) throws -> TroveInstanceRecord {
        guard let record = instances[id], record.projectID == project else { throw TroveError.notFound(id) }
        return record
    }

    func visibleCluster(_ id: String, project: String) throws -> TroveClusterRecord {
        guard let record = clusters[id], record.projectID == project else { throw TroveError.clusterNotFound(id) }
        return record
    }

    /// Validates one member spec and builds its record (not yet stored).
    func makeInstance(
        name: String?, flavorRef: String?, volume: DatabaseVolume?, datastore: DatastoreRef, region: String?,
        zone: String?, project: String, now: Date, buildSeconds: TimeInterval, clusterID: String? = nil,
        memberType: String? = nil
    ) throws -> TroveInstanceRecord {
        guard let name, !name.isEmpty else { throw TroveError.validation("instance['name'] is a required property") }
        guard let flavorRef else { throw TroveError.validation("instance['flavorRef'] is a required property") }
        guard let flavor = flavor(flavorRef) else { throw TroveError.flavorNotFound(flavorRef) }
        guard let volume else { throw TroveError.badRequest("Volume size was not specified.") }
        guard volume.size > 0 else {
            throw TroveError.validation("\(volume.size) is less than the minimum of 1")
        }
        return TroveInstanceRecord(
            id: Self.newID(), name: name, projectID: project, flavorID: flavor.id, volumeSize: volume.size,
            volumeType: volume.type, datastore: datastore, region: region ?? regionName,
            availabilityZone: zone, created: now, updated: now,
            phase: .building(until: now.addingTimeInterval(buildSeconds)), clusterID: clusterID,
            memberType: memberType, address: "",
            // Only zones of this region can be checked; members recorded for other regions build normally.
            failBuild: (region ?? regionName) == regionName && zone.map { $0 != availabilityZone } ?? false)
    }

    mutating func createInstance(
        _ body: DatabaseInstanceCreate, project: String, now: Date, buildSeconds: TimeInterval
    ) throws -> TroveInstanceRecord {
        let datastore = try resolveDatastore(body.datastore)
        // A replica without a flavor or volume gets its source's (python-troveclient sends no flavor).
        let source = try body.replicaOf.map { try visibleInstance($0, project: project) }
        var record = try makeInstance(
            name: body.name, flavorRef: body.flavorRef ?? source?.flavorID,
            volume: body.volume ?? source?.volumeSize.map { DatabaseVolume(size: $0, type: source?.volumeType) }, datastore: datastore,
            region: body.regionName, zone: body.availabilityZone, project: project, now: now,
            buildSeconds: buildSeconds)
        if let source {
            // Trove builds a replica from a snapshot of its source, which must be running.
            guard source.isActive else { throw TroveError.unprocessable(id: source.id, status: source.status) }
            record.replicaOf = source.id
            record.datastore = source.datastore
        }
        if let configuration = body.configuration, !configuration.isEmpty {
            record.configurationID = try attachable(configuration, to: record, project: project).id
        }
        record.address = allocateAddress()
        put(record)
        register(record.id)
        return record
    }

    mutating func act(_ id: String, _ action: DatabaseInstanceAction, project: String, now: Date, seconds: TimeInterval) throws {
        var record = try visibleInstance(id, project: project)
        // reset_status is what an operator uses on a stuck instance, whatever its status.
        if case .resetStatus = action {
            record.phase = .failed(message: "status reset")
            record.updated = now
            put(record)
            return
        }
        guard record.isActive else { throw TroveError.unprocessable(id: record.id, status: record.status) }
        let until = now.addingTimeInterval(seconds)
        switch action {
        case .restart:
            record.phase = .rebooting(until: until)
        case .resizeFlavor(let ref):
            guard let flavor = flavor(ref) else { throw TroveError.flavorNotFound(ref) }
            guard flavor.id != record.flavorID else {
                throw TroveError.badRequest("The new flavor id must be different than the current flavor id of '\(record.flavorID)'.")
            }
            record.phase = .resizingFlavor(until: until, flavorID: flavor.id)
        case .resizeVolume(let size):
            guard let current = record.volumeSize else { throw TroveError.badRequest("Volume resize is not supported.") }
            guard size > current else {
                throw TroveError.badRequest("The new volume 'size' must be larger than the current volume size of '\(current)'.")
            }
            record.phase = .resizingVolume(until: until, size: size)
        case .stop, .resetStatus:
            record.phase = .active
        case .promoteToReplicaSource:
            try promote(id, project: project, now: now)
            return
        case .ejectReplicaSource:
            try eject(id, project: project, now: now)
            return
        }
        record.updated = now
        put(record)
    }

    func replicas(of id: String) -> [TroveInstanceRecord] {
        instances.values.filter { $0.replicaOf == id }.sorted { (order[$0.id] ?? 0) < (order[$1.id] ?? 0) }
    }

    /// `promote_to_replica_source` on a replica: it becomes the source, the old source and the other
    /// replicas replicate it.
    mutating func promote(_ id: String, project: String, now: Date) throws {
        var record = try visibleInstance(id, project: project)
        guard let sourceID = record.replicaOf, var source = instances[sourceID] else {
            throw TroveError.badRequest("Instance \(id) is not a replica.")
        }
        for var sibling in replicas(of: sourceID) where sibling.id != id {
            sibling.replicaOf = id
            sibling.updated = now
            put(sibling)
        }
        source.replicaOf = id
        source.updated = now
        put(source)
        record.replicaOf = nil
        record.updated = now
        put(record)
    }

    /// `eject_replica_source` on a source: it leaves its set; its oldest replica becomes the new source.
    mutating func eject(_ id: String, project: String, now: Date) throws {
        _ = try visibleInstance(id, project: project)
        let set = replicas(of: id)
        guard var successor = set.first else { throw TroveError.badRequest("Instance \(id) is not a replica source.") }
        for var sibling in set.dropFirst() {
            sibling.replicaOf = successor.id
            sibling.updated = now
            put(sibling)
        }
        successor.replicaOf = nil
        successor.updated = now
        put(successor)
    }

    mutating func deleteInstance(_ id: String, project: String, now: Date, seconds: TimeInterval) throws {
        var record = try visibleInstance(id, project: project)
        if record.clusterID != nil {
            throw TroveError.badRequest("Instance \(id) is a member of a cluster; delete or shrink the cluster instead.")
        }
        if case .deleting = record.phase { return }
        // trove 25.1.0's BaseInstance.delete: an instance still building cannot be deleted (reset_status first).
        if case .building = record.phase {
            throw TroveFault(name: "unprocessableEntity", message: "Instance \(id) is not ready. (Status is BUILD).", code: 422)
        }
        if !replicas(of: id).isEmpty {
            // Trove's ReplicaSourceDeleteForbidden (mapped to 403).
            throw TroveFault(name: "forbidden", message: "The replica source cannot be deleted without detaching the replicas.", code: 403)
        }
        record.phase = .deleting(until: now.addingTimeInterval(seconds))
        record.updated = now
        put(record)
    }

    // MARK: Clusters

    mutating func createCluster(
        _ body: DatabaseClusterCreate, project: String, now: Date, seconds: TimeInterval
    ) throws -> TroveClusterRecord {
        guard let name = body.name, !name.isEmpty else { throw TroveError.validation("cluster['name'] is a required property") }
        let datastore = try resolveDatastore(body.datastore)
        guard Self.clusterCapable.contains(datastore.type) else {
            throw TroveError.badRequest("Clusters not supported for \(datastore.type)-\(datastore.version ?? "").")
        }
        guard let specs = body.instances, !specs.isEmpty else {
            throw TroveError.validation("cluster['instances'] is a required property")
        }
        let cluster = TroveClusterRecord(
            id: Self.newID(), name: name, projectID: project, datastore: datastore, created: now, updated: now,
            task: .building(until: now.addingTimeInterval(seconds)), locality: body.locality)
        let members = try makeMembers(specs, cluster: cluster, startIndex: 1, now: now, seconds: seconds)
        put(cluster)
        register(cluster.id)
        store(members)
        return cluster
    }

    private func makeMembers(
        _ specs: [DatabaseClusterInstanceSpec], cluster: TroveClusterRecord, startIndex: Int, now: Date,
        seconds: TimeInterval
    ) throws -> [TroveInstanceRecord] {
        try specs.enumerated().map { index, spec in
            try makeInstance(
                name: spec.name ?? "\(cluster.name)-member-\(startIndex + index)", flavorRef: spec.flavorRef,
                volume: spec.volume ?? DatabaseVolume(size: 1), datastore: cluster.datastore, region: spec.regionName,
                zone: spec.availabilityZone, project: cluster.projectID, now: now, buildSeconds: seconds,
                clusterID: cluster.id, memberType: spec.type ?? "member")
        }
    }

    private mutating func store(_ members: [TroveInstanceRecord]) {
        for var member in members {
            member.address = allocateAddress()
            put(member)
            register(member.id)
        }
    }

    func members(of clusterID: String) -> [TroveInstanceRecord] {
        instances.values.filter { $0.clusterID == clusterID }.sorted { (order[$0.id] ?? 0) < (order[$1.id] ?? 0) }
    }

    mutating func clusterAction(
        _ id: String, _ action: DatabaseClusterAction, project: String, now: Date, seconds: TimeInterval
    ) throws {
        var cluster = try visibleCluster(id, project: project)
        guard case .none = cluster.task else { throw TroveError.clusterBusy(task: cluster.taskModel.name) }
        let until = now.addingTimeInterval(seconds)
        if let grow = action.grow {
            guard !grow.isEmpty else { throw TroveError.validation("grow must list at least one instance") }
            let members = try makeMembers(grow, cluster: cluster, startIndex: members(of: id).count + 1, now: now, seconds: seconds)
            store(members)
            cluster.task = .growing(until: until)
        } else if let shrink = action.shrink {
            let current = Set(members(of: id).map(\.id))
            for spec in shrink where !current.contains(spec.id) {
                throw TroveError.badRequest("Instance \(spec.id) is not a member of cluster \(id).")
            }
            guard shrink.count < current.count else {
                throw TroveError.badRequest("A cluster cannot be shrunk to zero instances.")
            }
            for spec in shrink {
                if var member = instances[spec.id] {
                    member.phase = .deleting(until: until)
                    put(member)
                }
            }
            cluster.task = .shrinking(until: until, removing: shrink.map(\.id))
        } else {
            throw TroveError.badRequest("No action specified.")
        }
        cluster.updated = now
        put(cluster)
    }

    mutating func deleteCluster(_ id: String, project: String, now: Date, seconds: TimeInterval) throws {
        var cluster = try visibleCluster(id, project: project)
        if case .deleting = cluster.task { return }
        let until = now.addingTimeInterval(seconds)
        cluster.task = .deleting(until: until)
        cluster.updated = now
        put(cluster)
        for member in members(of: id) {
            var m = member
            m.phase = .deleting(until: until)
            put(m)
        }
    }

    // MARK: Rendering

    func render(_ r: TroveInstanceRecord, base: String) -> DatabaseInstance {
        let selfHref = "\(base)/instances/\(r.id)"
        let flavorHref = "\(base)/flavors/\(r.flavorID)"
        let hasAddress = r.isActive || r.status == "REBOOT" || r.status == "RESIZE"
        return DatabaseInstance(
            id: r.id, name: r.name, status: r.status, operatingStatus: r.isActive ? "HEALTHY" : "",
            links: [Link(rel: "self", href: selfHref), Link(rel: "bookmark", href: selfHref)],
            flavor: DatabaseFlavorRef(id: r.flavorID, links: [Link(rel: "self", href: flavorHref), Link(rel: "bookmark", href: flavorHref)]),
            volume: r.volumeSize.map { DatabaseVolume(size: $0, type: r.volumeType, used: r.isActive ? 0.12 : nil) },
            datastore: r.datastore, region: r.region, availabilityZone: r.availabilityZone, tenantID: r.projectID,
            created: Self.timestamp(r.created), updated: Self.timestamp(r.updated),
            ip: hasAddress ? [r.address] : nil,
            addresses: hasAddress ? [DatabaseAddress(address: r.address, type: "private")] : nil,
            clusterID: r.clusterID, type: r.memberType,
            replicaOf: r.replicaOf.map { DatabaseInstanceRef(id: $0, links: [Link(rel: "self", href: "\(base)/instances/\($0)")]) },
            replicas: Self.nonEmpty(replicas(of: r.id).map { DatabaseInstanceRef(id: $0.id, links: [Link(rel: "self", href: "\(base)/instances/\($0.id)")]) }),
            configuration: r.configurationID.flatMap { configurations[$0] }.map { configurationRef($0, base: base) })
    }

    static func nonEmpty<T>(_ list: [T]) -> [T]? { list.isEmpty ? nil : list }

    func render(_ c: TroveClusterRecord, base: String) -> DatabaseCluster {
        let members = members(of: c.id).map { m in
            DatabaseClusterMember(
                id: m.id, name: m.name, type: m.memberType, status: m.status,
                links: [Link(rel: "self", href: "\(base)/instances/\(m.id)")],
                flavor: DatabaseFlavorRef(id: m.flavorID), volume: m.volumeSize.map { DatabaseVolume(size: $0) },
                region: m.region, availabilityZone: m.availabilityZone, ip: m.isActive ? [m.address] : nil)
        }
        let href = "\(base)/clusters/\(c.id)"
        return DatabaseCluster(
            id: c.id, name: c.name, task: c.taskModel, datastore: c.datastore, instances: members,
            links: [Link(rel: "self", href: href), Link(rel: "bookmark", href: href)],
            created: Self.timestamp(c.created), updated: Self.timestamp(c.updated),
            ip: members.compactMap { $0.ip?.first }, locality: c.locality)
    }

    /// Trove's timestamps: `2019-11-18T06:05:28` (UTC, no zone).
    static func timestamp(_ date: Date) -> String {
        String(NeutronTimestamp.string(date).dropLast())
    }
}
