import Foundation
import HTTPTypes
import Hummingbird
import OpenStackModels

/// Wraps a service's responder with its region's injected faults: black hole, latency with jitter and
/// an error rate. ("down" is handled by the listener, which closes its socket.)
struct FaultingResponder<Inner: HTTPResponder<BasicRequestContext>>: HTTPResponder {
    typealias Context = BasicRequestContext
    let inner: Inner
    let faults: FaultInjector
    let serviceType: String
    /// Where the global request ids of incoming calls are noted.
    let requestLog: GlobalRequestLog

    /// The error body format of a service type.
    static func format(for serviceType: String) -> SimulatorErrorFormat {
        switch serviceType {
        case "network": .neutron
        case "image": .glance
        case "identity": .keystone
        default: .fault
        }
    }

    func respond(to request: Request, context: Context) async throws -> Response {
        if let global = request.headers[.xOpenStackRequestID] { requestLog.record(global) }
        let settings = faults.settings(for: serviceType)
        if settings.blackHole {
            // Never answer; the wait ends only when the listener shuts down.
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(3600))
            }
            throw CancellationError()
        }
        let delay = settings.latencyMs + (settings.jitterMs > 0 ? Double.random(in: 0...settings.jitterMs) : 0)
        if delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
        if settings.errorRate > 0, Double.random(in: 0..<1) < settings.errorRate {
            let status = settings.errorStatus
            let message =
                status == 503
                ? "The server is currently unavailable. Please try again at a later time."
                : "Unexpected API Error. Please report this at http://bugs.launchpad.net/ and attach the logs if possible."
            let name = Self.format(for: serviceType) == .neutron ? (status == 503 ? "ServiceUnavailable" : "HTTPInternalServerError") : nil
            let error = SimulatorError(
                status: status, message: message, format: Self.format(for: serviceType), name: name,
                headers: [("x-openstack-request-id", SimHTTP.requestID())])
            return try error.response(from: request, context: context)
        }
        var response = try await inner.respond(to: request, context: context)
        if settings.answerDelayMs > 0 { try await Task.sleep(for: .milliseconds(settings.answerDelayMs)) }
        if response.headers[.xOpenStackRequestID] == nil {
            response.headers[.xOpenStackRequestID] = SimHTTP.requestID()
        }
        return response
    }
}
