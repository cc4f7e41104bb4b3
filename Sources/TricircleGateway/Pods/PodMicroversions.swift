import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OpenStackClient
import OpenStackModels
import Synchronization
import TricircleCore

/// The microversion range the top can promise for one microversioned service (Compute, Block Storage):
/// the intersection of what every bottom pod advertises, capped by what the gateway itself understands.
/// Pods are asked in parallel and time-boxed, the answer is kept for a while (shorter when nobody
/// answered), only one caller refreshes an expired range while the others keep the old one, and a pod
/// that does not answer keeps its last known range (one never heard from is left out).
public final class PodMicroversions: Sendable {
    /// One pod's advertised range, or nil when it did not answer (the credentials are the caller's, when known).
    public typealias Fetch = @Sendable (_ pod: Pod, _ timeout: Duration, _ credentials: ServiceCredentials?) async -> ClosedRange<Microversion>?

    /// What the gateway's own logic understands.
    public let supported: ClosedRange<Microversion>
    private let runtime: GatewayRuntime
    private let service: String
    private let keep: Duration
    private let keepFallback: Duration
    private let skip: @Sendable (Pod) -> Bool
    private let fetch: Fetch
    private let cached = Mutex<(range: ClosedRange<Microversion>, until: ContinuousClock.Instant)?>(nil)
    private let refreshing = Mutex(false)
    private let known = Mutex<[String: ClosedRange<Microversion>]>([:])
    private let logger: Logger

    /// `skip` leaves a pod out of a refresh (it keeps its last known range): e.g. one whose circuit is open.
    public init(
        runtime: GatewayRuntime, service: String, supported: ClosedRange<Microversion>, keep: Duration = .seconds(300),
        keepFallback: Duration = .seconds(5), skip: @escaping @Sendable (Pod) -> Bool = { _ in false }, fetch: @escaping Fetch
    ) {
        self.runtime = runtime
        self.service = service
        self.supported = supported
        self.keep = keep
        self.keepFallback = keepFallback
        self.skip = skip
        self.fetch = fetch
        self.logger = Logger(label: "tricircle.\(service).versions")
    }

    /// The range the top promises now.
    public func range(credentials: ServiceCredentials? = nil) async -> ClosedRange<Microversion> {
        let hit = cached.withLock { $0 }
        if let hit, ContinuousClock.now < hit.until { return hit.range }
        if let hit {
            // Expired: one caller refreshes, so a slow pod delays one request, not every request.
            let mine = refreshing.withLock { busy in
                if busy { return false }
                busy = true
                return true
            }
            guard mine else { return hit.range }
        }
        defer { if hit != nil { refreshing.withLock { $0 = false } } }
        let (range, anyAnswered) = await refresh(credentials: credentials)
        cached.withLock { $0 = (range, ContinuousClock.now.advanced(by: anyAnswered ? keep : keepFallback)) }
        return range
    }

    private func refresh(credentials: ServiceCredentials?) async -> (ClosedRange<Microversion>, Bool) {
        let registered = (try? await runtime.podDirectory.bottomPods()) ?? []
        let asked = registered.filter { !skip($0) }
        let timeout = min(runtime.listTimeout, runtime.config.podTimeout, .seconds(3))
        let fetch = fetch
        // `fetch` answers nil rather than throwing, so nothing here can be a token refusal.
        let ranges = (try? await Fanout.results(asked) { pod in await fetch(pod, timeout, credentials) }) ?? []
        let answers = zip(asked, ranges).map { pod, range in (pod.podID, (try? range.get()) ?? nil) }
        let current = known.withLock { known -> [String: ClosedRange<Microversion>] in
            for case (let podID, let range?) in answers { known[podID] = range }
            // Pods no longer registered drop out.
            let live = Set(registered.map(\.podID))
            known = known.filter { live.contains($0.key) }
            return known
        }
        for (podID, range) in answers where range == nil {
            logger.warning("pod did not answer its version document; using its last known range",
                           metadata: ["pod_id": "\(podID)", "known": "\(current[podID].map { "\($0)" } ?? "none")"])
        }
        var low = supported.lowerBound, high = supported.upperBound
        for range in current.values {
            low = max(low, range.lowerBound)
            high = min(high, range.upperBound)
        }
        guard low <= high else {
            // Pods with disjoint ranges: nothing is safe beyond the base version.
            logger.warning("pods' microversion ranges do not overlap", metadata: ["pods": "\(current.count)"])
            return (supported.lowerBound...supported.lowerBound, !current.isEmpty)
        }
        return (low...high, answers.contains { $0.1 != nil })
    }

    /// What a request asks for, read from `OpenStack-API-Version: <service> X.Y` (then `legacy`, when given).
    public static func requested(_ request: Request, service: String, legacy: HTTPField.Name? = nil) -> String? {
        for field in request.headers[values: .openStackAPIVersionHeader] {
            for part in field.split(separator: ",") {
                let words = part.split(separator: " ", omittingEmptySubsequences: true)
                if words.count == 2, words[0].lowercased() == service { return String(words[1]) }
            }
        }
        return legacy.flatMap { request.headers[$0] }
    }

    /// The outcome of negotiating one request's version.
    public enum Choice: Sendable, Equatable {
        /// Serve at this version (the minimum when none was asked, the maximum for "latest").
        case version(Microversion)
        /// The text is not `X.Y` (the API's 400).
        case malformed(String)
        /// Well formed but outside the range (the API's 406).
        case outside(String, ClosedRange<Microversion>)
    }

    /// Reads the request's version against the current range.
    public func choose(_ request: Request, legacy: HTTPField.Name? = nil, credentials: ServiceCredentials? = nil) async -> Choice {
        let range = await range(credentials: credentials)
        guard let text = Self.requested(request, service: service, legacy: legacy)?.trimmingCharacters(in: .whitespaces),
              !text.isEmpty else { return .version(range.lowerBound) }
        if text.lowercased() == "latest" { return .version(range.upperBound) }
        guard let version = Microversion(text) else { return .malformed(text) }
        return range.contains(version) ? .version(version) : .outside(text, range)
    }
}

extension HTTPField.Name {
    /// `OpenStack-API-Version`.
    public static let openStackAPIVersionHeader = HTTPField.Name("OpenStack-API-Version") ?? .via
}
