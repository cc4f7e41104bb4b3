import Foundation
import HTTPTypes
import Hummingbird
import TricircleCore
import TricircleStore

/// What every listener is wrapped in, outside all of its middleware: the request's id (the caller's
/// `X-OpenStack-Request-ID` when it is a valid `req-<uuid>`, else a fresh one) is set for everything the request
/// causes (`RequestTrace`: pod calls, submitted jobs, log lines), and each answer is counted and timed by API,
/// method, route template and status.
public struct InstrumentedRouter<Inner: HTTPResponderBuilder>: HTTPResponderBuilder
where Inner.Responder.Context == GatewayRequestContext {
    let inner: Inner
    let api: String
    let metrics: GatewayMetrics

    public init(_ inner: Inner, api: String, metrics: GatewayMetrics) {
        self.inner = inner
        self.api = api
        self.metrics = metrics
    }

    public func buildResponder() -> Responder {
        Responder(inner: inner.buildResponder(), api: api, metrics: metrics)
    }

    /// The wrapping responder `buildResponder` returns.
    public struct Responder: HTTPResponder {
        public typealias Context = GatewayRequestContext
        let inner: Inner.Responder
        let api: String
        let metrics: GatewayMetrics

        public func respond(to request: Request, context: GatewayRequestContext) async throws -> Response {
            var context = context
            if let given = request.headers[.openStackRequestID], RequestTrace.isValid(given) {
                context.adoptRequestID(given)
            }
            let start = DispatchTime.now().uptimeNanoseconds
            let method = request.method.rawValue
            // At trace level each statement's SQL is kept too and logged with the answer (what a call costs a
            // distant database, statement by statement).
            let roundTrips = StoreRoundTrips(keepingStatements: context.logger.logLevel <= .trace)
            do {
                let response = try await RequestTrace.$requestID.withValue(context.requestID) {
                    try await StoreRoundTrips.$current.withValue(roundTrips) {
                        try await inner.respond(to: request, context: context)
                    }
                }
                record(method: method, context: context, status: response.status.code, start: start, roundTrips: roundTrips)
                return response
            } catch {
                let status = (error as? any HTTPResponseError)?.status.code ?? 500
                record(method: method, context: context, status: status, start: start, roundTrips: roundTrips)
                throw error
            }
        }

        private func record(
            method: String, context: GatewayRequestContext, status: Int, start: UInt64, roundTrips: StoreRoundTrips
        ) {
            // The router names the matched route's template; an unmatched path is one bounded label.
            let route = context.endpointPath ?? "unmatched"
            let nanoseconds = DispatchTime.now().uptimeNanoseconds &- start
            metrics.recordRequest(
                api: api, method: method, route: route, status: status, nanoseconds: nanoseconds,
                storeRoundTrips: roundTrips.count)
            context.logger.debug("answered", metadata: [
                "method": "\(method)", "route": "\(route)", "status": "\(status)",
                "ms": "\(nanoseconds / 1_000_000)", "store_round_trips": "\(roundTrips.count)",
            ])
            if context.logger.logLevel <= .trace {
                context.logger.trace("store statements", metadata: [
                    "route": "\(route)", "statements": .array(roundTrips.statements.map { .string($0) }),
                ])
            }
        }
    }
}
