import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway

/// What the admin surfaces (aggregates, hypervisors, services, usage) share: Nova's policy check, one
/// call to every pod at once, the pods' integer ids made unique at the top (`PodSlots`) and the
/// pods' host names qualified with their region (`TopHost`).
struct ComputeAdminCalls: Sendable {
    let calls: ComputePodCalls

    /// One admin request: who asks, with what, at which microversion.
    struct Call: Sendable {
        let request: Request
        let caller: AuthenticatedCaller
        let credentials: ServiceCredentials
        let version: Microversion

        func atLeast(_ major: Int, _ minor: Int) -> Bool { version >= Microversion(major, minor) }
        func query(_ name: String) -> String? { request.uri.queryParameters.getAll(name).last.map { String($0) } }
    }

    /// Starts a call; with a `rule`, only admins pass (Nova's 403 naming the rule otherwise).
    func begin(_ request: Request, _ context: GatewayRequestContext, rule: String?) async throws -> Call {
        let caller = try context.requireCaller()
        if let rule, !caller.isAdmin { throw Self.forbidden(rule) }
        let credentials = caller.credentials(requestID: context.requestID)
        let version = try await calls.microversions.negotiate(request, credentials: credentials)
        return Call(request: request, caller: caller, credentials: credentials, version: version)
    }

    static func forbidden(_ rule: String) -> APIError {
        APIError(.forbidden, "Policy doesn't allow \(rule) to be performed.", format: .fault)
    }

    /// Sends `method path` to one pod at the call's microversion.
    func send(_ call: Call, _ method: String, _ path: String, to pod: Pod, body: JSONValue? = nil) async throws -> RegionalResponse {
        try await calls.call(
            method, path, pod: pod, version: call.version, credentials: call.credentials,
            body: body.map { ByteBuffer(data: $0.encoded()) })
    }

    /// One pod's answer to a fan-out: its JSON body, or nil when it failed (logged).
    struct PodAnswer: Sendable {
        let pod: Pod
        let body: JSONValue?
        let response: RegionalResponse?
    }

    /// GETs `path` from every bottom pod at once. Pods that fail are left out of merged answers, as
    /// Nova leaves out a cell that does not answer; when every pod refuses with the same 4xx (a bad
    /// query), that answer is relayed instead of an empty list.
    func askEvery(_ call: Call, _ path: String, pods given: [Pod]? = nil) async throws -> [PodAnswer] {
        var pods = given ?? []
        if given == nil { pods = try await calls.pods.bottomPods() }
        let timeout = calls.listTimeout
        let version = call.version
        let credentials = call.credentials
        let calls = calls
        let results = try await Fanout.results(pods) { pod in
            try await calls.call("GET", path, pod: pod, version: version, credentials: credentials, timeout: timeout)
        }
        var answers: [PodAnswer] = []
        for (pod, result) in zip(pods, results) {
            switch result {
            case .success(let response) where response.isSuccess:
                answers.append(PodAnswer(pod: pod, body: try? response.decode(JSONValue.self), response: response))
            case .success(let response):
                calls.logger.warning("pod refused an admin listing", metadata: [
                    "region": "\(pod.regionName)", "path": "\(path)", "status": "\(response.status)"])
                answers.append(PodAnswer(pod: pod, body: nil, response: response))
            case .failure(let error):
                calls.logger.warning("pod did not answer an admin listing", metadata: [
                    "region": "\(pod.regionName)", "path": "\(path)", "error": "\(error)"])
                answers.append(PodAnswer(pod: pod, body: nil, response: nil))
            }
        }
        let refusals = answers.compactMap(\.response).filter { (400..<500).contains($0.status) }
        if !answers.isEmpty, refusals.count == answers.count, let first = refusals.first {
            throw RelayedPodAnswer(response: first)
        }
        return answers
    }

    /// A JSON answer with Nova's version headers.
    func json(_ value: JSONValue, _ call: Call, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        ComputeMicroversions.addHeaders(call.version, to: &headers)
        return ComputeJSON.response(value, status: status, headers: headers)
    }

    /// The request's query without the keys the top handles itself.
    static func query(_ request: Request, dropping: Set<String>) -> String {
        let kept = request.uri.queryParameters.filter { !dropping.contains(String($0.key)) }
        guard !kept.isEmpty else { return "" }
        var components = URLComponents()
        components.queryItems = kept.map { URLQueryItem(name: String($0.key), value: String($0.value)) }
        return "?" + (components.percentEncodedQuery ?? "")
    }
}

/// A pod's error answer to pass on to the client as it is (see `ComputeAdminCalls.askEvery`).
struct RelayedPodAnswer: Error, HTTPResponseError, Sendable {
    let response: RegionalResponse
    var status: HTTPResponse.Status { HTTPResponse.Status(code: response.status) }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        ComputePodCalls.relay(response, request: request)
    }
}

/// Integer ids (aggregates, and hypervisors and services before 2.53) unique across pods.
///
/// A pod's id `b` is `b * 1000 + slot` at the top, where `slot` (1...999) is the pod's: FNV-1a of its
/// pod id modulo 999, plus 1; when two pods hash to one slot, the one registered later takes the next
/// free slot. So a pod keeps its slot (and every top id it has) whatever pods are added later, and the
/// top id tells at once which pod and which id it stands for. Id `slot` itself (b = 0, which Nova never
/// assigns) is the pod's own aggregate `ag_<region>`.
struct PodSlots: Sendable {
    static let width = 1000
    private let bySlot: [Int: Pod]
    private let byPod: [String: Int]

    init(_ pods: [Pod]) {
        var bySlot: [Int: Pod] = [:]
        var byPod: [String: Int] = [:]
        for pod in pods.sorted(by: { ($0.createdAt, $0.podID) < ($1.createdAt, $1.podID) }) {
            var slot = Self.hash(pod.podID) % (Self.width - 1) + 1
            while bySlot[slot] != nil { slot = slot % (Self.width - 1) + 1 }
            bySlot[slot] = pod
            byPod[pod.podID] = slot
        }
        self.bySlot = bySlot
        self.byPod = byPod
    }

    static func hash(_ text: String) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return Int(h % UInt64(Int32.max))
    }

    func slot(of pod: Pod) -> Int { byPod[pod.podID] ?? 0 }

    /// The top id of a pod's integer id.
    func topID(_ bottom: Int, in pod: Pod) -> Int { bottom * Self.width + slot(of: pod) }

    /// The pod and its id behind a top id (`bottom` 0: the pod's own aggregate).
    func resolve(_ topID: Int) -> (pod: Pod, bottom: Int)? {
        guard topID > 0, let pod = bySlot[topID % Self.width] else { return nil }
        return (pod, topID / Self.width)
    }

    /// A JSON id mapped to the top: integers (as numbers or digit strings) are, UUIDs stay as they are.
    func topID(_ value: JSONValue?, in pod: Pod) -> JSONValue? {
        guard let value else { return nil }
        if let number = value.intValue { return .int(topID(number, in: pod)) }
        return value
    }
}

/// Host names at the top: `<region>:<host>`, so that two regions' hosts of the same name stay apart
/// and every listing says which region a host is in.
enum TopHost {
    static func name(_ host: String, in pod: Pod) -> String { "\(pod.regionName):\(host)" }

    /// (region, host) of a top host name; nil when it names no region.
    static func parse(_ name: String) -> (region: String, host: String)? {
        guard let colon = name.firstIndex(of: ":") else { return nil }
        let region = String(name[..<colon])
        let host = String(name[name.index(after: colon)...])
        return region.isEmpty || host.isEmpty ? nil : (region, host)
    }

    /// A pod's AZ name as the top shows it (the pod's own AZ name is the top's AZ of that pod).
    static func zone(_ zone: String, in pod: Pod) -> String {
        !pod.podAZName.isEmpty && zone == pod.podAZName ? pod.azName : zone
    }

    /// A top AZ name as the pod knows it.
    static func podZone(_ zone: String, in pod: Pod) -> String {
        zone == pod.azName && !pod.podAZName.isEmpty ? pod.podAZName : zone
    }
}

extension JSONValue {
    /// The object with `key` set (other values unchanged).
    func setting(_ key: String, _ value: JSONValue?) -> JSONValue {
        guard case .object(var object) = self else { return self }
        object[key] = value
        return .object(object)
    }
}
