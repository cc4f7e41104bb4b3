import Foundation
import HTTPTypes
import Hummingbird
import OpenStackModels

/// One entry of a server's action log (`os-instance-actions`), kept after the server is deleted.
struct InstanceActionRecord: Sendable {
    var action: String
    var requestID: String
    var userID: String
    var projectID: String
    var start: Date
}

/// Which call a recorded action comes from.
enum RecordedServerCall: Sendable {
    case create, delete, action
}

extension ComputeAPI {
    /// Nova's action names for server actions (`os-stop` is "stop", `createImage` "createImage", ...).
    static func instanceActionName(_ bodyKey: String) -> String {
        switch bodyKey {
        case "os-start": "start"
        case "os-stop": "stop"
        case "os-resetState": "resetState"
        case "forceDelete": "forceDelete"
        default: bodyKey
        }
    }

    /// Wraps a server create, delete or action handler so that a successful call is logged as Nova logs
    /// it, under the request id the answer carries.
    func recordingAction(_ kind: RecordedServerCall, _ inner: @escaping Handler) -> Handler {
        { request, context in
            var request = request
            var name: String
            switch kind {
            case .create: name = "create"
            case .delete: name = "delete"
            case .action:
                let buffer = try await request.collectBody(upTo: 4 << 20)
                let key = (try? JSONValue(data: Data(buffer: buffer)))?.objectValue?.keys.first ?? "action"
                name = Self.instanceActionName(key)
            }
            let response = try await inner(request, context)
            guard (200..<300).contains(Int(response.status.code)),
                  let token = try? region.authenticate(request, format: .fault) else { return response }
            let serverID: String?
            if kind == .create {
                serverID = response.headers[.location]?.split(separator: "/").last.map(String.init)
            } else {
                serverID = context.parameters.get("id")
            }
            guard let serverID else { return response }
            let requestID = response.headers[HTTPField.Name("x-compute-request-id") ?? .location] ?? SimHTTP.requestID()
            let record = InstanceActionRecord(
                action: name, requestID: requestID, userID: token.userID, projectID: token.projectID, start: region.now())
            store.compute.withLock { $0.instanceActions[serverID, default: []].append(record) }
            return response
        }
    }

    private func actionJSON(_ a: InstanceActionRecord, serverID: String, call: ComputeCall) -> JSONValue {
        var o: [String: JSONValue] = [
            "action": .string(a.action), "instance_uuid": .string(serverID), "request_id": .string(a.requestID),
            "user_id": .string(a.userID), "project_id": .string(a.projectID), "start_time": .string(SimTime.cinder(a.start)),
            "message": .null,
        ]
        if call.atLeast(2, 58) { o["updated_at"] = .string(SimTime.cinder(a.start)) }
        return .object(o)
    }

    /// The server's actions; a deleted server's only from 2.21, as in Nova.
    private func actions(of serverID: String, call: ComputeCall) throws -> [InstanceActionRecord] {
        try store.compute.withLock { state in
            if let server = state.servers[serverID], !server.isGone(at: call.now) {
                _ = try findServer(serverID, call: call, in: state)
            } else {
                guard call.atLeast(2, 21), let log = state.instanceActions[serverID],
                      call.isAdmin || log.first?.projectID == call.token.projectID else {
                    throw SimulatorError.notFound("Instance \(serverID) could not be found.")
                }
            }
            return state.instanceActions[serverID] ?? []
        }
    }

    func listInstanceActions(_ call: ComputeCall) async throws -> Response {
        let id = try call.param("id")
        let log = try actions(of: id, call: call)
        return SimHTTP.json(["instanceActions": .array(log.reversed().map { actionJSON($0, serverID: id, call: call) })])
    }

    func showInstanceAction(_ call: ComputeCall) async throws -> Response {
        let id = try call.param("id")
        let requestID = try call.param("request")
        guard let action = try actions(of: id, call: call).first(where: { $0.requestID == requestID }) else {
            throw SimulatorError.notFound("Action for request_id \(requestID) on instance \(id) not found")
        }
        guard case .object(var object) = actionJSON(action, serverID: id, call: call) else { return SimHTTP.empty(status: 500) }
        if call.isAdmin || call.atLeast(2, 51) {
            var event: [String: JSONValue] = [
                "event": .string("compute_\(action.action)"), "start_time": .string(SimTime.cinder(action.start)),
                "finish_time": .string(SimTime.cinder(action.start)), "result": "Success",
            ]
            if call.isAdmin { event["traceback"] = .null }
            if call.atLeast(2, 62) {
                event["hostId"] = .string(SeedID.uuid("\(region.regionName)/\(action.projectID)/host"))
                if call.isAdmin { event["host"] = .string(computeHosts.first ?? "") }
            }
            if call.atLeast(2, 84) { event["details"] = .null }
            object["events"] = [.object(event)]
        }
        return SimHTTP.json(["instanceAction": .object(object)])
    }
}
