import Foundation
import Hummingbird
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway

/// Datastores and their versions: each region's Trove has its own catalog (and its own ids), so the top
/// lists the union by name (the home region's entry first, so its ids win) and shows an item from the
/// first region that has it.
struct DatastoreRoutes: APIRoutes {
    let api: DatabaseAPI

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("datastores", use: list)
        group.get("datastores/:ds", use: show)
        group.get("datastores/:ds/versions", use: versions)
        group.get("datastores/:ds/versions/:version", use: version)
    }

    /// `GET /datastores`: every region's datastores, merged by name with their versions merged by name.
    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        let answers = try await PodAnswers(api: api).all(call, path: "/datastores", as: DatastoreList.self)
        var merged: [Datastore] = []
        for store in answers.flatMap(\.value.datastores) {
            if let index = merged.firstIndex(where: { $0.name == store.name }) {
                for version in store.versions where !merged[index].versions.contains(where: { $0.name == version.name }) {
                    merged[index].versions.append(version)
                }
            } else {
                merged.append(store)
            }
        }
        return try encoded(DatastoreList(datastores: merged), call)
    }

    /// `GET /datastores/{ds}`: the first region's answer, its versions extended with the other regions'.
    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        let ds = PlacementCheck.escape(try call.param("ds"))
        let answers = try await PodAnswers(api: api).all(call, path: "/datastores/\(ds)", as: DatastoreEnvelope.self)
        guard var first = answers.first?.value.datastore else { throw DatabaseAPI.fault(TroveError.datastoreNotFound(try call.param("ds"))) }
        for other in answers.dropFirst().map(\.value.datastore) {
            for version in other.versions where !first.versions.contains(where: { $0.name == version.name }) { first.versions.append(version) }
        }
        return try encoded(DatastoreEnvelope(datastore: first), call)
    }

    /// `GET /datastores/{ds}/versions`: merged by name.
    func versions(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        let ds = PlacementCheck.escape(try call.param("ds"))
        let answers = try await PodAnswers(api: api).all(call, path: "/datastores/\(ds)/versions", as: DatastoreVersionList.self)
        guard !answers.isEmpty else { throw DatabaseAPI.fault(TroveError.datastoreNotFound(try call.param("ds"))) }
        var merged: [DatastoreVersion] = []
        for version in answers.flatMap(\.value.versions) where !merged.contains(where: { $0.name == version.name }) {
            merged.append(version)
        }
        return try encoded(DatastoreVersionList(versions: merged), call)
    }

    /// `GET /datastores/{ds}/versions/{version}`: the first region that has it.
    func version(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        let path = "/datastores/\(PlacementCheck.escape(try call.param("ds")))/versions/\(PlacementCheck.escape(try call.param("version")))"
        let answers = try await PodAnswers(api: api).all(call, path: path, as: DatastoreVersionEnvelope.self)
        guard let first = answers.first else { throw DatabaseAPI.fault(TroveError.datastoreVersionNotFound(try call.param("version"))) }
        return try encoded(first.value, call)
    }

    func encoded<T: Encodable>(_ value: T, _ call: DatabaseCall) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return api.json(try JSONDecoder().decode(JSONValue.self, from: encoder.encode(value)))
    }
}

/// `GET /flavors` and `/flavors/{id}`: every region's flavors by id (home region first), links to the
/// gateway. A `flavorRef` at the top names one of these, mapped to each region's own flavor on create.
struct FlavorRoutes: APIRoutes {
    let api: DatabaseAPI

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("flavors", use: list)
        group.get("flavors/:id", use: show)
    }

    func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        let answers = try await PodAnswers(api: api).all(call, path: "/flavors", as: DatabaseFlavorList.self)
        var merged: [DatabaseFlavor] = []
        for flavor in answers.flatMap(\.value.flavors) where !merged.contains(where: { $0.id == flavor.id }) { merged.append(flavor) }
        return try DatastoreRoutes(api: api).encoded(DatabaseFlavorList(flavors: merged), call)
    }

    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        let id = try call.param("id")
        let answers = try await PodAnswers(api: api).all(call, path: "/flavors/\(PlacementCheck.escape(id))", as: DatabaseFlavorEnvelope.self)
        guard let first = answers.first else { throw DatabaseAPI.fault(TroveError.notFound(id)) }
        return try DatastoreRoutes(api: api).encoded(first.value, call)
    }
}

/// The same GET asked of every pod at once: the successful answers decoded, home region first, links
/// rewritten to the gateway; pods that fail are left out and logged.
struct PodAnswers {
    let api: DatabaseAPI

    func all<T: Decodable & Sendable>(_ call: DatabaseCall, path: String, as type: T.Type) async throws -> [(pod: Pod, value: T)] {
        let pods = try await homeFirst()
        let results = try await Fanout.results(pods) { pod -> RegionalResponse in
            try await api.send(call, .get(path), to: pod)
        }
        var out: [(pod: Pod, value: T)] = []
        for (pod, result) in zip(pods, results) {
            switch result {
            case .success(let response) where response.isSuccess:
                var body = response.body
                if let from = PodForwarder.origin(of: response.url), !call.origin.isEmpty { body = body.replacingAll(from, with: call.origin) }
                if let value = try? JSONDecoder().decode(T.self, from: Data(buffer: body)) { out.append((pod, value)) }
            // not there: 404, or 400 for a datastore version (what trove 25.1.0 answers for an unknown one)
            case .success(let response) where response.status == 404 || response.status == 400:
                continue
            case .success(let response):
                api.logger.warning("pod left out of a database catalog answer", metadata: ["pod": "\(pod.regionName)", "status": "\(response.status)"])
            case .failure(let error):
                api.logger.warning("pod left out of a database catalog answer", metadata: ["pod": "\(pod.regionName)", "error": "\(error)"])
            }
        }
        return out
    }

    /// Every pod, the home region's (`[image] home_region`) first.
    func homeFirst() async throws -> [Pod] {
        var pods = try await api.pods.bottomPods()
        if let home = api.imageHomeRegion, let index = pods.firstIndex(where: { $0.regionName == home }) {
            pods.insert(pods.remove(at: index), at: 0)
        }
        return pods
    }
}

/// `GET /datastores/{ds}/versions/{version}/regions[?flavor=id]`: the pre-create checks of every region,
/// so an operator sees where a version can be placed (and what is wrong elsewhere). Nothing is copied or
/// created by it.
struct PlacementRoutes: APIRoutes {
    let api: DatabaseAPI

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("datastores/:ds/versions/:version/regions", use: regions)
    }

    func regions(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        let datastore = DatastoreRef(type: try call.param("ds"), version: try call.param("version"))
        let flavor = QueryString.decoded(request.uri.query).first { $0.0 == "flavor" }?.1
        let pods = try await api.pods.bottomPods()
        let check = PlacementCheck(api: api)
        let results = try await Fanout.results(pods) { pod in
            try await check.check(datastore: datastore, flavorRef: flavor, in: pod, call: call, copyMissingImage: false)
        }
        let entries: [JSONValue] = zip(pods, results).map { pod, result in
            switch result {
            case .success(let outcome): return outcome.json
            case .failure(let error):
                var outcome = PlacementCheck.Outcome(pod: pod)
                outcome.problems.append("Region \(pod.regionName) could not be checked: \(error).")
                return outcome.json
            }
        }
        return api.json([
            "datastore": ["type": .string(datastore.type), "version": .string(datastore.version ?? "")],
            "regions": .array(entries),
        ])
    }
}
