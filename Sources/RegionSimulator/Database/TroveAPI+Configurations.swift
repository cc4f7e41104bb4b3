import Foundation
import Hummingbird
import OpenStackModels

/// A Trove configuration group: values for one datastore version, attachable to this region's instances of it.
struct TroveConfigurationRecord: Sendable {
    var id: String
    var name: String
    var description: String?
    var projectID: String
    var datastore: String
    var version: String
    var versionID: String
    var values: [String: JSONValue]
    var created: Date
    var updated: Date
}

/// One rule of a datastore's `validation-rules.json` (a few of trove 25.1.0's templates).
struct TroveParameterRule: Sendable {
    var name: String
    var restartRequired: Bool
    var type: String
    var min: Int?
    var max: Int?
}

extension TroveState {
    /// Rules per datastore, taken from trove/templates/{mysql,mariadb,postgresql}/validation-rules.json.
    static func parameterRules(datastore: String) -> [TroveParameterRule] {
        switch datastore {
        case "mysql", "mariadb":
            return [
                TroveParameterRule(name: "autocommit", restartRequired: false, type: "integer", min: 0, max: 1),
                TroveParameterRule(name: "character_set_server", restartRequired: false, type: "string"),
                TroveParameterRule(name: "innodb_log_file_size", restartRequired: true, type: "integer", min: 4_194_304, max: 274_877_906_944),
                TroveParameterRule(name: "local_infile", restartRequired: false, type: "integer", min: 0, max: 1),
                TroveParameterRule(name: "long_query_time", restartRequired: false, type: "float", min: 0),
                TroveParameterRule(name: "max_allowed_packet", restartRequired: false, type: "integer", min: 1024, max: 1_073_741_824),
                TroveParameterRule(name: "max_connections", restartRequired: false, type: "integer", min: 1, max: 100_000),
                TroveParameterRule(name: "wait_timeout", restartRequired: false, type: "integer", min: 1, max: 31_536_000),
            ]
        case "postgresql":
            return [
                TroveParameterRule(name: "log_min_duration_statement", restartRequired: false, type: "string"),
                TroveParameterRule(name: "max_connections", restartRequired: true, type: "integer", min: 0),
                TroveParameterRule(name: "shared_buffers", restartRequired: true, type: "string"),
                TroveParameterRule(name: "work_mem", restartRequired: false, type: "string"),
            ]
        default:
            return []
        }
    }

    /// `{"type", "version"}` as trove's `get_datastore_version` resolves it: no type is an error (no
    /// default datastore is configured), no version the datastore's default.
    func configurationDatastore(_ ref: DatabaseConfigurationDatastore?) throws -> (datastore: String, version: DatastoreVersion) {
        guard let type = ref?.type else { throw TroveError.badRequest("Please specify datastore. No default datastore is defined.") }
        guard let store = catalog.first(where: { $0.name == type || $0.id == type }) else { throw TroveError.datastoreNotFound(type) }
        let wanted = ref?.version ?? store.defaultVersion ?? ""
        guard let version = store.versions.first(where: { $0.name == wanted || $0.id == wanted }) else {
            throw TroveError.datastoreVersionNotFound(wanted)
        }
        return (store.name, version)
    }

    /// trove's `ConfigurationsController._validate_configuration`: 422s with its wording.
    static func validate(_ values: [String: JSONValue], datastore: String, version: String) throws {
        let rules = parameterRules(datastore: datastore)
        guard !rules.isEmpty else {
            throw TroveError.unprocessableEntity("Configuration groups are not supported for this datastore: \(datastore) \(version)")
        }
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            guard let rule = rules.first(where: { $0.name == key.lowercased() }) else {
                throw TroveError.unprocessableEntity("The configuration parameter \(key) is not supported for this datastore: \(datastore) \(version).")
            }
            let typed: Bool
            switch (rule.type, value) {
            case ("integer", .number(let n)): typed = n.rounded() == n
            case ("integer", .bool): typed = true  // Python's bool is an int
            case ("float", .number(let n)): typed = n.rounded() != n
            case ("string", .string), ("boolean", .bool): typed = true
            default: typed = false
            }
            guard typed else {
                throw TroveError.unprocessableEntity("The value provided for the configuration parameter \(key) is not of type \(rule.type).")
            }
            guard case .number(let n) = value else { continue }
            if let min = rule.min, n < Double(min) {
                throw TroveError.unprocessableEntity("The value for the configuration parameter \(key) is less than the minimum allowed: \(min)")
            }
            if let max = rule.max, n > Double(max) {
                throw TroveError.unprocessableEntity("The value for the configuration parameter \(key) is greater than the maximum allowed: \(max)")
            }
        }
    }

    /// A group the caller may see (admins: any), else trove's `ModelNotFoundError`.
    func visibleConfiguration(_ id: String, project: String, isAdmin: Bool = false) throws -> TroveConfigurationRecord {
        guard let record = configurations[id], isAdmin || record.projectID == project else {
            throw TroveError.itemNotFound("Configuration group with ID \(id) could not be found.")
        }
        return record
    }

    /// trove's `Configuration.find` for an attach or a create: the group must exist for the caller and be
    /// of the instance's datastore version.
    func attachable(_ id: String, to instance: TroveInstanceRecord, project: String) throws -> TroveConfigurationRecord {
        guard let record = configurations[id], record.projectID == project else {
            throw TroveError.itemNotFound("Configuration group id: \(id) could not be found.")
        }
        let instanceVersion = catalog.first { $0.name == instance.datastore.type }?.versions.first { $0.name == instance.datastore.version }?.id
            ?? instance.datastore.version ?? ""
        guard record.versionID == instanceVersion else {
            throw TroveError.badRequest(
                "Datastore Version on Configuration \(record.versionID) does not match the Datastore Version on the instance \(instanceVersion).")
        }
        return record
    }

    func configurationRef(_ c: TroveConfigurationRecord, base: String) -> DatabaseConfigurationRef {
        let href = "\(base)/configurations/\(c.id)"
        return DatabaseConfigurationRef(id: c.id, name: c.name, links: [Link(rel: "self", href: href), Link(rel: "bookmark", href: href)])
    }

    /// Instances (not being deleted) with the group attached.
    func instances(attachedTo id: String) -> [TroveInstanceRecord] {
        instances.values.filter { $0.configurationID == id && $0.status != "SHUTDOWN" }.sorted { $0.id < $1.id }
    }

    /// trove's `ConfigurationView` (list entries) or `DetailedConfigurationView` (show, create).
    func render(_ c: TroveConfigurationRecord, detailed: Bool) -> JSONValue {
        var out: [String: JSONValue] = [
            "id": .string(c.id), "name": .string(c.name), "description": c.description.map { .string($0) } ?? .null,
            "created": .string(Self.timestamp(c.created)), "updated": .string(Self.timestamp(c.updated)),
            "datastore_version_id": .string(c.versionID), "datastore_name": .string(c.datastore),
            "datastore_version_name": .string(c.version),
        ]
        if detailed {
            out["values"] = .object(c.values)
            out["instance_count"] = .number(Double(instances(attachedTo: c.id).count))
            out["datastore_version_number"] = .string(c.version)
        }
        return .object(out)
    }
}

extension TroveError {
    /// trove's `UnprocessableEntity` (422) with a message.
    static func unprocessableEntity(_ message: String) -> TroveFault {
        TroveFault(name: "unprocessableEntity", message: message, code: 422)
    }
    /// A `NotFound` raised with its own message.
    static func itemNotFound(_ message: String) -> TroveFault {
        TroveFault(name: "itemNotFound", message: message, code: 404)
    }
}

/// Trove's configuration groups (`/configurations`), the datastore versions' parameters, the volume
/// types a version may use, and attaching a group to an instance (`PUT /instances/{id}`).
extension TroveAPI {
    /// Trove's `configurations_page_size`.
    static let configurationPageSize = 20

    func registerConfigurations(on router: Router<BasicRequestContext>, prefix p: String) {
        router.get(RouterPath(p + "/configurations")) { request, context in
            await handle(request, context) { caller, id in
                let limit = min(SimHTTP.query(request, "limit").flatMap(Int.init) ?? Self.configurationPageSize, Self.configurationPageSize)
                let marker = SimHTTP.query(request, "marker")
                let (page, more) = try withState { state -> ([JSONValue], Bool) in
                    // Trove pages by id: `id > marker`, ordered by id.
                    let all = state.configurations.values
                        .filter { c in (caller.isAdmin || c.projectID == caller.projectID) && (marker.map { c.id > $0 } ?? true) }
                        .sorted { $0.id < $1.id }
                    return (all.prefix(max(limit, 1)).map { state.render($0, detailed: false) }, all.count > max(limit, 1))
                }
                var body: [String: JSONValue] = ["configurations": .array(page)]
                if more, let last = page.last?["id"]?.stringValue {
                    body["links"] = [["rel": "next", "href": .string("\(caller.base)/configurations?limit=\(limit)&marker=\(last)")]]
                }
                return json(.object(body), requestID: id)
            }
        }
        router.post(RouterPath(p + "/configurations")) { request, context in
            await handle(request, context) { caller, id in
                let body = try await decode(request, JSONValue.self, key: "configuration")
                let raw = body["configuration"]?.objectValue ?? [:]
                guard let name = raw["name"] else { throw TroveError.validation("configuration 'name' is a required property") }
                guard raw["values"] != nil else { throw TroveError.validation("configuration 'values' is a required property") }
                guard let text = name.stringValue, !text.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw TroveError.validation("configuration['name'] \(Self.python(name)) is not of type 'string'")
                }
                guard let values = raw["values"]?.objectValue else {
                    throw TroveError.validation("configuration['values'] \(Self.python(raw["values"] ?? .null)) is not of type 'object'")
                }
                // The body was read once above; the typed model is decoded from that.
                guard let create = try? JSONDecoder().decode(
                    DatabaseConfigurationEnvelope<DatabaseConfigurationCreate>.self, from: JSONEncoder().encode(body)).configuration
                else { throw TroveError.validation("configuration has an invalid member") }
                let now = region.now()
                let made = try withState { state -> JSONValue in
                    let (datastore, version) = try state.configurationDatastore(create.datastore)
                    if !values.isEmpty { try TroveState.validate(values, datastore: datastore, version: version.name) }
                    let record = TroveConfigurationRecord(
                        id: TroveState.newID(), name: text, description: create.description, projectID: caller.projectID,
                        datastore: datastore, version: version.name, versionID: version.id, values: values, created: now, updated: now)
                    state.configurations[record.id] = record
                    return state.render(record, detailed: true)
                }
                return json(["configuration": made], requestID: id)
            }
        }
        router.get(RouterPath(p + "/configurations/:config")) { request, context in
            await handle(request, context) { caller, id in
                let wanted = context.parameters.get("config") ?? ""
                let shown = try withState { state in
                    state.render(try state.visibleConfiguration(wanted, project: caller.projectID, isAdmin: caller.isAdmin), detailed: true)
                }
                return json(["configuration": shown], requestID: id)
            }
        }
        router.get(RouterPath(p + "/configurations/:config/instances")) { request, context in
            await handle(request, context) { caller, id in
                let wanted = context.parameters.get("config") ?? ""
                let attached = try withState { state -> [JSONValue] in
                    _ = try state.visibleConfiguration(wanted, project: caller.projectID, isAdmin: caller.isAdmin)
                    return state.instances(attachedTo: wanted).filter { caller.isAdmin || $0.projectID == caller.projectID }
                        .map { ["id": .string($0.id), "name": .string($0.name)] }
                }
                return json(["instances": .array(attached)], requestID: id)
            }
        }
        // PUT replaces name, description and every value; PATCH sets the values it names.
        for replace in [true, false] {
            router.on(RouterPath(p + "/configurations/:config"), method: replace ? .put : .patch) { request, context in
                await handle(request, context) { caller, id in
                    let wanted = context.parameters.get("config") ?? ""
                    let update = try await decode(request, DatabaseConfigurationEnvelope<DatabaseConfigurationUpdate>.self, key: "configuration").configuration
                    let now = region.now()
                    try withState { state in
                        var record = try state.visibleConfiguration(wanted, project: caller.projectID, isAdmin: caller.isAdmin)
                        if let values = update.values { try TroveState.validate(values, datastore: record.datastore, version: record.version) }
                        if replace {
                            if let name = update.name { record.name = name }
                            if let description = update.description { record.description = description }
                            record.values = update.values ?? [:]
                        } else {
                            record.values.merge(update.values ?? [:]) { _, new in new }
                        }
                        record.updated = now
                        state.configurations[wanted] = record
                    }
                    return SimHTTP.empty(status: replace ? 202 : 200, headers: [("x-openstack-request-id", id)])
                }
            }
        }
        router.delete(RouterPath(p + "/configurations/:config")) { request, context in
            await handle(request, context) { caller, id in
                let wanted = context.parameters.get("config") ?? ""
                try withState { state in
                    _ = try state.visibleConfiguration(wanted, project: caller.projectID, isAdmin: caller.isAdmin)
                    guard state.instances(attachedTo: wanted).allSatisfy({ $0.projectID != caller.projectID }) else {
                        throw TroveError.badRequest(
                            "A configuration group cannot be deleted if it is associated with one or more non-terminated instances. Detach the configuration group from all non-terminated instances and please try again.")
                    }
                    state.configurations[wanted] = nil
                }
                return SimHTTP.empty(status: 202, headers: [("x-openstack-request-id", id), ("Content-Type", "application/json")])
            }
        }
        registerParameters(on: router, prefix: p)
        router.put(RouterPath(p + "/instances/:id")) { request, context in
            await handle(request, context) { caller, id in try await updateInstance(request, context, caller, id) }
        }
    }

    private func registerParameters(on router: Router<BasicRequestContext>, prefix p: String) {
        // By datastore and version (names or ids), and by the version's id alone.
        router.get(RouterPath(p + "/datastores/:ds/versions/:version/parameters")) { request, context in
            await handle(request, context) { _, id in
                let (store, version) = try withState { try $0.configurationDatastore(DatabaseConfigurationDatastore(type: context.parameters.get("ds"), version: context.parameters.get("version"))) }
                return try encoded(DatabaseConfigurationParameterList(parameters: Self.parameters(store, version.id)), requestID: id)
            }
        }
        router.get(RouterPath(p + "/datastores/:ds/versions/:version/parameters/:name")) { request, context in
            await handle(request, context) { _, id in
                let (store, version) = try withState { try $0.configurationDatastore(DatabaseConfigurationDatastore(type: context.parameters.get("ds"), version: context.parameters.get("version"))) }
                let name = context.parameters.get("name") ?? ""
                guard let parameter = Self.parameters(store, version.id).first(where: { $0.name == name }) else { throw TroveError.notFound(name) }
                return try encoded(parameter, requestID: id)
            }
        }
        router.get(RouterPath(p + "/datastores/versions/:version/parameters")) { request, context in
            await handle(request, context) { _, id in
                let (store, versionID) = try versionByID(context.parameters.get("version") ?? "")
                return try encoded(DatabaseConfigurationParameterList(parameters: Self.parameters(store, versionID)), requestID: id)
            }
        }
        router.get(RouterPath(p + "/datastores/versions/:version/parameters/:name")) { request, context in
            await handle(request, context) { _, id in
                let (store, versionID) = try versionByID(context.parameters.get("version") ?? "")
                let name = context.parameters.get("name") ?? ""
                guard let parameter = Self.parameters(store, versionID).first(where: { $0.name == name }) else { throw TroveError.notFound(name) }
                return try encoded(parameter, requestID: id)
            }
        }
        // Trove lists every Cinder volume type when no datastore version metadata restricts them (the
        // version id is not checked).
        router.get(RouterPath(p + "/datastores/:ds/versions/:version/volume-types")) { request, context in
            await handle(request, context) { _, id in
                let types = ["__DEFAULT__", "lvmdriver-1"].map { name in
                    DatabaseVolumeType(
                        id: TroveState.stableID("volume-type-\(region.regionName)-\(name)"), name: name, isPublic: true,
                        description: name == "__DEFAULT__" ? "Default Volume Type" : nil)
                }
                return try encoded(DatabaseVolumeTypeList(volumeTypes: types), requestID: id)
            }
        }
    }

    /// trove's `DatastoreVersion.load_by_uuid`.
    private func versionByID(_ versionID: String) throws -> (String, String) {
        guard let store = store.state.withLock({ $0.catalog }).first(where: { $0.versions.contains { $0.id == versionID } }) else {
            throw TroveError.datastoreVersionNotFound(versionID)
        }
        return (store.name, versionID)
    }

    static func parameters(_ datastore: String, _ versionID: String) -> [DatabaseConfigurationParameter] {
        TroveState.parameterRules(datastore: datastore).map {
            DatabaseConfigurationParameter(
                name: $0.name, datastoreVersionID: versionID, restartRequired: $0.restartRequired, type: $0.type,
                min: $0.min == 0 ? nil : $0.min, max: $0.max == 0 ? nil : $0.max)
        }
    }

    /// `PUT`/`PATCH /instances/{id}` as trove's `InstanceController.update`: a name, and one of attach
    /// (`configuration`: an id or href), detach (`configuration` null or empty, or an empty body) or
    /// `replica_of` (detach from the source).
    func updateInstance(_ request: Request, _ context: BasicRequestContext, _ caller: Caller, _ id: String) async throws -> Response {
        let instanceID = context.parameters.get("id") ?? ""
        let body = try await decode(request, [String: [String: JSONValue]].self, key: "instance")["instance"] ?? [:]
        let name = body["name"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        if (name != nil && body.count > 2) || (name == nil && body.count >= 2) {
            throw TroveError.badRequest("Only one attribute (except 'name') is allowed to update.")
        }
        try withState { state in
            var record = try state.visibleInstance(instanceID, project: caller.projectID)
            if let name { record.name = name }
            if body.keys.contains("replica_of") || body.keys.contains("slave_of") { record.replicaOf = nil }
            if body.keys.contains("configuration") || body.isEmpty {
                let ref = body["configuration"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
                if let ref {
                    let wanted = ref.split(separator: "/").last.map(String.init) ?? ref
                    if let attached = record.configurationID {
                        throw TroveError.badRequest("Instance \(instanceID) already has a Configuration Group attached: \(attached).")
                    }
                    guard record.isActive else {
                        throw TroveError.badRequest(
                            "The operation you have requested cannot be executed because the instance status is currently: \(record.status).")
                    }
                    record.configurationID = try state.attachable(wanted, to: record, project: caller.projectID).id
                } else if record.configurationID != nil {
                    guard record.isActive else {
                        throw TroveError.badRequest(
                            "The operation you have requested cannot be executed because the instance status is currently: \(record.status).")
                    }
                    record.configurationID = nil
                }
            }
            state.instances[instanceID] = record
        }
        return SimHTTP.empty(status: 202, headers: [("x-openstack-request-id", id), ("Content-Type", "application/json")])
    }

    /// A JSON value as Python's `repr` writes it in jsonschema's messages.
    static func python(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return "'\(s)'"
        case .number(let n): return n.rounded() == n && abs(n) < 1e15 ? String(Int(n)) : String(n)
        case .bool(let b): return b ? "True" : "False"
        case .null: return "None"
        default: return "\(value)"
        }
    }
}
