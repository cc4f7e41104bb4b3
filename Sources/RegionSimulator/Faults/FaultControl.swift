import Foundation
import HTTPTypes
import Hummingbird
import OpenStackModels

/// `/sim/...` control routes served on the Keystone listener:
///
/// - `GET /sim/faults` — every region's non-healthy settings.
/// - `GET|PUT|DELETE /sim/faults/{region}/{service}` — one service's `FaultSettings` as JSON
///   (`latency_ms`, `jitter_ms`, `error_rate`, `error_status`, `down`, `black_hole`, `transition_factor`;
///   PUT replaces, omitted fields are healthy defaults; PATCH changes only the fields given).
/// - `DELETE /sim/faults` — clear everything.
/// - `GET /sim/endpoints` — the URL of every region's services.
struct FaultControl: Sendable {
    let cloud: SimulatedCloud

    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/sim/faults") { _, _ in
            var regions: [String: JSONValue] = [:]
            for region in cloud.configuration.regions {
                guard let injector = cloud.faults(region: region.name) else { continue }
                regions[region.name] = .object(injector.allSettings().mapValues { Self.json($0) })
            }
            return SimHTTP.json(["faults": .object(regions)])
        }
        router.delete("/sim/faults") { _, _ in
            cloud.resetFaults()
            return SimHTTP.empty(status: 204)
        }
        router.get("/sim/faults/:region/:service") { _, context in
            let (injector, service) = try resolve(context)
            return SimHTTP.json(Self.json(injector.settings(for: service)))
        }
        router.put("/sim/faults/:region/:service") { request, context in
            let (injector, service) = try resolve(context)
            var request = request
            let buffer = try await request.collectBody(upTo: 1 << 20)
            let settings: FaultSettings
            do {
                settings = try JSONDecoder().decode(FaultSettings.self, from: Data(buffer.readableBytesView))
            } catch {
                throw SimulatorError(status: 400, message: "Body must be a FaultSettings JSON object: \(error)")
            }
            guard (0...1).contains(settings.errorRate), settings.latencyMs >= 0, settings.jitterMs >= 0, settings.answerDelayMs >= 0 else {
                throw SimulatorError(status: 400, message: "error_rate must be within 0...1 and latencies non-negative")
            }
            injector.set(settings, for: service)
            return SimHTTP.json(Self.json(injector.settings(for: service)))
        }
        router.patch("/sim/faults/:region/:service") { request, context in
            let (injector, service) = try resolve(context)
            var request = request
            let buffer = try await request.collectBody(upTo: 1 << 20)
            guard case .object(let changes)? = try? JSONValue(data: Data(buffer.readableBytesView)),
                case .object(var merged) = Self.json(injector.settings(for: service))
            else {
                throw SimulatorError(status: 400, message: "Body must be a JSON object of FaultSettings fields")
            }
            merged.merge(changes) { _, new in new }
            let settings: FaultSettings
            do {
                settings = try JSONValue.object(merged).decode(FaultSettings.self)
            } catch {
                throw SimulatorError(status: 400, message: "Body must be a FaultSettings JSON object: \(error)")
            }
            injector.set(settings, for: service)
            return SimHTTP.json(Self.json(injector.settings(for: service)))
        }
        router.delete("/sim/faults/:region/:service") { _, context in
            let (injector, service) = try resolve(context)
            injector.set(FaultSettings(), for: service)
            return SimHTTP.empty(status: 204)
        }
        router.get("/sim/endpoints") { _, _ in
            var regions: [String: JSONValue] = [:]
            for (region, services) in cloud.endpoints() {
                regions[region] = .object(services.mapValues { .string($0) })
            }
            return SimHTTP.json(["identity": .string(cloud.identityURL), "regions": .object(regions)])
        }
        return router
    }

    private func resolve(_ context: BasicRequestContext) throws -> (FaultInjector, String) {
        let region = context.parameters.get("region") ?? ""
        guard let injector = cloud.faults(region: region) else {
            throw SimulatorError(status: 404, message: "No region \(region)")
        }
        let name = context.parameters.get("service") ?? ""
        guard let service = SimulatedCloudConfiguration.ServiceKind(loose: name) else {
            throw SimulatorError(status: 404, message: "No service \(name); use compute, volumev3, image, network or database")
        }
        return (injector, service.rawValue)
    }

    static func json(_ settings: FaultSettings) -> JSONValue {
        (try? JSONValue(encoding: settings)) ?? [:]
    }
}
