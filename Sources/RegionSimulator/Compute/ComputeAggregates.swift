import Foundation
import Hummingbird
import OpenStackModels

/// A Nova host aggregate (`os-aggregates`).
struct AggregateRecord: Sendable {
    var id: Int
    var uuid: String
    var name: String
    var availabilityZone: String?
    var hosts: [String]
    var metadata: [String: String]
    var created: Date
    var updated: Date?
}

/// The region's aggregates (ids count up from 1, as Nova's database assigns them).
struct AggregateState: Sendable {
    var byID: [Int: AggregateRecord] = [:]
    var nextID = 1
}

extension ComputeAPI {
    /// The region's compute hosts (one per simulated region, as servers report it).
    var computeHosts: [String] { ["\(region.regionName.lowercased())-compute-1"] }

    func aggregateJSON(_ a: AggregateRecord, call: ComputeCall) -> JSONValue {
        var o: [String: JSONValue] = [
            "id": .int(a.id), "name": .string(a.name),
            "availability_zone": a.availabilityZone.map(JSONValue.string) ?? .null,
            "hosts": .array(a.hosts.map(JSONValue.string)),
            "metadata": .object(a.metadata.mapValues(JSONValue.string)),
            "created_at": .string(SimTime.cinder(a.created)),
            "updated_at": a.updated.map { .string(SimTime.cinder($0)) } ?? .null,
            "deleted_at": .null, "deleted": false,
        ]
        if call.atLeast(2, 41) { o["uuid"] = .string(a.uuid) }
        return .object(o)
    }

    private func aggregateID(_ call: ComputeCall) throws -> Int {
        let text = try call.param("aggregate")
        guard let id = Int(text) else { throw SimulatorError.notFound("Aggregate \(text) could not be found.") }
        return id
    }

    private func findAggregate(_ id: Int, in state: ComputeState) throws -> AggregateRecord {
        guard let found = state.aggregates.byID[id] else { throw SimulatorError.notFound("Aggregate \(id) could not be found.") }
        return found
    }

    /// Nova's name/availability_zone schema (1-255 characters, no surrounding blanks).
    private func checkedName(_ value: JSONValue?, field: String) throws -> String? {
        guard let value, value != .null else { return nil }
        guard let text = value.stringValue, !text.isEmpty, text.count <= 255,
              text.first?.isWhitespace == false, text.last?.isWhitespace == false else {
            throw SimulatorError.badRequest("Invalid input for field/attribute \(field). Value: \(value). \(value) is not valid")
        }
        return text
    }

    func listAggregates(_ call: ComputeCall) async throws -> Response {
        try requireAdmin(call, "os_compute_api:os-aggregates:index")
        let all = store.compute.withLock { $0.aggregates.byID.values.sorted { $0.id < $1.id } }
        return SimHTTP.json(["aggregates": .array(all.map { aggregateJSON($0, call: call) })])
    }

    func showAggregate(_ call: ComputeCall) async throws -> Response {
        try requireAdmin(call, "os_compute_api:os-aggregates:show")
        let id = try aggregateID(call)
        let found = try store.compute.withLock { try findAggregate(id, in: $0) }
        return SimHTTP.json(["aggregate": aggregateJSON(found, call: call)])
    }

    func createAggregate(_ call: ComputeCall) async throws -> Response {
        try requireAdmin(call, "os_compute_api:os-aggregates:create")
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        let req = try SimHTTP.member(body, "aggregate", format: .fault)
        guard let name = try checkedName(req["name"], field: "name") else {
            throw SimulatorError.badRequest("Invalid input for field/attribute aggregate. Value: \(JSONValue.object(req)). 'name' is a required property")
        }
        let zone = try checkedName(req["availability_zone"], field: "availability_zone")
        let now = call.now
        let created = try store.compute.withLock { state -> AggregateRecord in
            if state.aggregates.byID.values.contains(where: { $0.name == name }) {
                throw SimulatorError.conflict("Aggregate \(name) already exists.")
            }
            let record = AggregateRecord(
                id: state.aggregates.nextID, uuid: newUUID(), name: name, availabilityZone: zone, hosts: [],
                metadata: zone.map { ["availability_zone": $0] } ?? [:], created: now, updated: nil)
            state.aggregates.nextID += 1
            state.aggregates.byID[record.id] = record
            return record
        }
        // Nova's create answer has neither hosts nor metadata.
        guard case .object(var object) = aggregateJSON(created, call: call) else { return SimHTTP.empty(status: 500) }
        object["hosts"] = nil
        object["metadata"] = nil
        return SimHTTP.json(["aggregate": .object(object)])
    }

    func updateAggregate(_ call: ComputeCall) async throws -> Response {
        try requireAdmin(call, "os_compute_api:os-aggregates:update")
        let id = try aggregateID(call)
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        let req = try SimHTTP.member(body, "aggregate", format: .fault)
        guard !req.isEmpty else {
            throw SimulatorError.badRequest("Invalid input for field/attribute aggregate. Value: {}. {} does not have enough properties")
        }
        let name = try checkedName(req["name"], field: "name")
        let zone = try checkedName(req["availability_zone"], field: "availability_zone")
        let now = call.now
        let updated = try store.compute.withLock { state -> AggregateRecord in
            var record = try findAggregate(id, in: state)
            if let name, state.aggregates.byID.values.contains(where: { $0.name == name && $0.id != id }) {
                throw SimulatorError.conflict("Aggregate \(name) already exists.")
            }
            if let name { record.name = name }
            if let zone {
                record.availabilityZone = zone
                record.metadata["availability_zone"] = zone
            }
            record.updated = now
            state.aggregates.byID[id] = record
            return record
        }
        return SimHTTP.json(["aggregate": aggregateJSON(updated, call: call)])
    }

    func deleteAggregate(_ call: ComputeCall) async throws -> Response {
        try requireAdmin(call, "os_compute_api:os-aggregates:delete")
        let id = try aggregateID(call)
        try store.compute.withLock { state in
            let record = try findAggregate(id, in: state)
            guard record.hosts.isEmpty else {
                throw SimulatorError.badRequest("Cannot perform action 'delete' on aggregate \(id). Reason: Host aggregate is not empty.")
            }
            state.aggregates.byID[id] = nil
        }
        return SimHTTP.empty(status: 200)
    }

    /// `POST /os-aggregates/{id}/action`: add_host, remove_host, set_metadata.
    func aggregateAction(_ call: ComputeCall) async throws -> Response {
        let id = try aggregateID(call)
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        guard case .object(let object) = body, object.count == 1, let (name, args) = object.first else {
            throw SimulatorError.badRequest("Malformed request body")
        }
        let hosts = computeHosts
        let now = call.now
        let record: AggregateRecord
        switch name {
        case "add_host", "remove_host":
            try requireAdmin(call, "os_compute_api:os-aggregates:\(name)")
            guard let host = args["host"]?.stringValue, !host.isEmpty else {
                throw SimulatorError.badRequest("Invalid input for field/attribute \(name). Value: \(args). 'host' is a required property")
            }
            record = try store.compute.withLock { state -> AggregateRecord in
                var record = try findAggregate(id, in: state)
                if name == "add_host" {
                    guard hosts.contains(host) else { throw SimulatorError.notFound("Compute host \(host) could not be found.") }
                    guard !record.hosts.contains(host) else {
                        throw SimulatorError.conflict("Aggregate \(id) already has host \(host).")
                    }
                    record.hosts.append(host)
                } else {
                    guard let index = record.hosts.firstIndex(of: host) else {
                        throw SimulatorError.notFound("Aggregate \(id) has no host \(host).")
                    }
                    record.hosts.remove(at: index)
                }
                record.updated = now
                state.aggregates.byID[id] = record
                return record
            }
        case "set_metadata":
            try requireAdmin(call, "os_compute_api:os-aggregates:set_metadata")
            guard let metadata = args["metadata"]?.objectValue else {
                throw SimulatorError.badRequest("Invalid input for field/attribute set_metadata. Value: \(args). 'metadata' is a required property")
            }
            record = try store.compute.withLock { state -> AggregateRecord in
                var record = try findAggregate(id, in: state)
                for (key, value) in metadata {
                    if value == .null {
                        record.metadata[key] = nil
                    } else {
                        record.metadata[key] = value.stringValue ?? value.intValue.map(String.init) ?? "\(value)"
                    }
                }
                record.availabilityZone = record.metadata["availability_zone"]
                record.updated = now
                state.aggregates.byID[id] = record
                return record
            }
        default:
            throw SimulatorError.badRequest("Invalid input for field/attribute aggregate action. Value: \(name). Additional properties are not allowed ('\(name)' was unexpected)")
        }
        return SimHTTP.json(["aggregate": aggregateJSON(record, call: call)])
    }
}
