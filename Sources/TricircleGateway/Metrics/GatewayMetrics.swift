import CoreMetrics
import Foundation
import Prometheus
import Synchronization

/// The gateway's metrics, recorded through swift-metrics into one Prometheus registry per process and scraped
/// at `GET /metrics` on the admin port. Label values are bounded: API names, route templates (never raw paths),
/// methods, status codes, regions, service types, job types.
public final class GatewayMetrics: Sendable {
    /// Where every series lives; `exposition()` renders it.
    public let registry: PrometheusCollectorRegistry
    /// The swift-metrics factory over `registry`, for code outside the gateway (the job engine).
    public let factory: any MetricsFactory

    private let requests = SeriesCache<RequestKey, RequestSeries>()
    private let podCalls = SeriesCache<PodCallKey, PodCallSeries>()
    private let counters = SeriesCache<[String], CoreMetrics.Counter>()
    private let cacheCounters: CacheCounters

    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Routed reads take a few milliseconds: finer buckets at the low end than the library's default.
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .microseconds(2_500_000), .seconds(5), .seconds(10), .seconds(30),
        ]
        // Statements per request: small whole numbers.
        factory.valueHistogramBuckets["tricircle_store_round_trips"] = [0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64]
        self.registry = registry
        self.factory = factory
        self.cacheCounters = CacheCounters(factory: factory)
    }

    // MARK: requests

    struct RequestKey: Hashable { let api: String, method: String, route: String, status: Int }
    struct RequestSeries { let count: CoreMetrics.Counter; let duration: CoreMetrics.Timer }
    struct RouteKey: Hashable { let api: String, method: String, route: String }

    private let roundTrips = SeriesCache<RouteKey, CoreMetrics.Recorder>()

    /// One answered request: `tricircle_http_requests_total` and `tricircle_http_request_duration_seconds`, and
    /// the state database statements it took (`tricircle_store_round_trips`, a histogram by route).
    func recordRequest(api: String, method: String, route: String, status: Int, nanoseconds: UInt64, storeRoundTrips: Int) {
        roundTrips.get(RouteKey(api: api, method: method, route: route)) {
            CoreMetrics.Recorder(
                label: "tricircle_store_round_trips", dimensions: [("api", api), ("method", method), ("route", route)],
                aggregate: true, factory: factory)
        }.record(storeRoundTrips)
        let key = RequestKey(api: api, method: method, route: route, status: status)
        let series = requests.get(key) {
            let dimensions = [("api", api), ("method", method), ("route", route), ("status", String(status))]
            return RequestSeries(
                count: CoreMetrics.Counter(label: "tricircle_http_requests_total", dimensions: dimensions, factory: factory),
                duration: CoreMetrics.Timer(label: "tricircle_http_request_duration_seconds", dimensions: dimensions, factory: factory))
        }
        series.count.increment()
        series.duration.recordNanoseconds(Int64(clamping: nanoseconds))
    }

    // MARK: pod calls

    struct PodCallKey: Hashable { let region: String, service: String, outcome: String }
    struct PodCallSeries { let count: CoreMetrics.Counter; let duration: CoreMetrics.Timer }

    /// One call to a pod: `outcome` is the status class (`2xx`, `4xx`, `5xx`), `error` (no answer) or
    /// `circuit_open` (refused at the gateway without calling).
    func recordPodCall(region: String, service: String, outcome: String, nanoseconds: UInt64?) {
        let key = PodCallKey(region: region, service: service, outcome: outcome)
        let series = podCalls.get(key) {
            let dimensions = [("region", region), ("service", service), ("outcome", outcome)]
            return PodCallSeries(
                count: CoreMetrics.Counter(label: "tricircle_pod_calls_total", dimensions: dimensions, factory: factory),
                duration: CoreMetrics.Timer(label: "tricircle_pod_call_duration_seconds", dimensions: dimensions, factory: factory))
        }
        series.count.increment()
        if let nanoseconds { series.duration.recordNanoseconds(Int64(clamping: nanoseconds)) }
    }

    /// The status class of a pod's answer, as `recordPodCall` labels it.
    static func outcome(status: Int) -> String { "\(max(1, min(5, status / 100)))xx" }

    // MARK: counters

    /// Increments a counter whose label values come from a small fixed set.
    func count(_ name: String, _ dimensions: [(String, String)] = [], by amount: Int = 1) {
        let key = [name] + dimensions.flatMap { [$0.0, $0.1] }
        counters.get(key) { CoreMetrics.Counter(label: name, dimensions: dimensions, factory: factory) }.increment(by: amount)
    }

    /// A merged list answered without a pod (dead, slow or refusing): `tricircle_list_partial_total`.
    public func listLeftOut(region: String) {
        count("tricircle_list_partial_total", [("region", region)])
    }

    /// An image copy verified in a region: `tricircle_image_copy_bytes_total` and `tricircle_image_copies_total`.
    public func imageCopied(region: String, bytes: Int64) {
        count("tricircle_image_copies_total", [("region", region)])
        count("tricircle_image_copy_bytes_total", [("region", region)], by: Int(clamping: bytes))
    }

    /// A create or resize refused for quota: `tricircle_quota_rejections_total{service, resource}`.
    public func quotaRejected(service: String, resource: String) {
        count("tricircle_quota_rejections_total", [("service", service), ("resource", resource)])
    }

    /// A token cache lookup: `tricircle_token_cache_total{result="hit"|"miss"}`.
    func tokenCache(hit: Bool) { (hit ? cacheCounters.tokenHit : cacheCounters.tokenMiss).increment() }

    /// A routing cache lookup: `tricircle_routing_cache_total{result="hit"|"miss"}`.
    func routingCache(hit: Bool) { (hit ? cacheCounters.routingHit : cacheCounters.routingMiss).increment() }

    /// The cache counters every request increments, made once (building a label array and looking it up per
    /// request cost allocations and a lock on the hot path).
    struct CacheCounters {
        let tokenHit, tokenMiss, routingHit, routingMiss: CoreMetrics.Counter

        init(factory: any MetricsFactory) {
            func counter(_ name: String, _ result: String) -> CoreMetrics.Counter {
                CoreMetrics.Counter(label: name, dimensions: [("result", result)], factory: factory)
            }
            tokenHit = counter("tricircle_token_cache_total", "hit")
            tokenMiss = counter("tricircle_token_cache_total", "miss")
            routingHit = counter("tricircle_routing_cache_total", "hit")
            routingMiss = counter("tricircle_routing_cache_total", "miss")
        }
    }

    // MARK: gauges read at scrape time

    /// Sets a gauge to a value read when `/metrics` is asked (queue depth, circuit state).
    func set(_ name: String, _ dimensions: [(String, String)], to value: Double) {
        CoreMetrics.Gauge(label: name, dimensions: dimensions, factory: factory).record(value)
    }

    /// The Prometheus text exposition of every series.
    public func exposition() -> [UInt8] { registry.emitToBuffer() }
}

/// A lock-protected map from label values to the series objects made for them: a request looks its series up
/// once instead of asking the registry (which locks and hashes the name and labels) for each metric.
final class SeriesCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let map = Mutex<[Key: Value]>([:])

    func get(_ key: Key, make: () -> Value) -> Value {
        map.withLock { map in
            if let value = map[key] { return value }
            let value = make()
            map[key] = value
            return value
        }
    }
}
