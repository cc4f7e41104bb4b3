import Hummingbird
import NIOCore
import TricircleJobs

extension GatewayRuntime {
    /// `GET /metrics`: the gauges read now (circuit state per pod and service, job queue depth per type and
    /// status), then every series in Prometheus' text format.
    func metricsResponse() async throws -> Response {
        let regionByPod = Dictionary((try? await pods.list())?.map { ($0.podID, $0.regionName) } ?? [], uniquingKeysWith: { a, _ in a })
        for (service, health) in circuitsByService() {
            for (podID, region) in regionByPod {
                metrics.set("tricircle_pod_circuit_open", [("region", region), ("service", service)],
                            to: health.isOpen(podID: podID) ? 1 : 0)
            }
        }
        if let stats = try? await jobs.stats() {
            for depth in stats.queue {
                metrics.set("tricircle_job_queue_depth", [("type", depth.type), ("status", depth.status.rawValue)],
                            to: Double(depth.count))
            }
        }
        var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        response.headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return response
    }
}
