import Foundation
import Hummingbird
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway

/// The volume types a datastore version may use, over every region.
struct VolumeTypeRoutes: APIRoutes {
    let api: DatabaseAPI

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("datastores/:ds/versions/:version/volume-types", use: volumeTypes)
    }

    /// `GET /datastores/{ds}/versions/{v}/volume-types`: every region's Cinder types Trove allows for the
    /// version, merged by name (the home region's first, so its ids win); Trove 25.1.0 has no other
    /// volume-type route.
    func volumeTypes(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let call = try api.begin(request, context)
        let path = "/datastores/\(PlacementCheck.escape(try call.param("ds")))/versions/\(PlacementCheck.escape(try call.param("version")))/volume-types"
        let answers = try await PodAnswers(api: api).all(call, path: path, as: DatabaseVolumeTypeList.self)
        var merged: [DatabaseVolumeType] = []
        for type in answers.flatMap(\.value.volumeTypes) where !merged.contains(where: { $0.name == type.name }) { merged.append(type) }
        return try DatastoreRoutes(api: api).encoded(DatabaseVolumeTypeList(volumeTypes: merged), call)
    }
}
