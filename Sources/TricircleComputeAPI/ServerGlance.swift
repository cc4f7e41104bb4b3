import Foundation
import OpenStackClient

/// What the top reads from a pod's `{"server": {...}}` before relaying it: the few fields that decide whether
/// the view must change (a copied image, top network names, the pod's AZ names, server groups) or the top must
/// act (a deleted server, attached volumes). Decoding only these is several times cheaper than building a
/// `JSONValue` of the whole view, which a routed GET did on every call though it rarely changes anything.
struct ServerGlance: Decodable, Sendable {
    var status: String?
    var availabilityZone: String?
    /// The AZ the server is pinned to (2.96+).
    var pinnedAvailabilityZone: String?
    /// The image's id; nil for a volume-backed server (Nova's `"image": ""`).
    var imageID: String?
    /// The `addresses` keys: the pod's network names.
    var networkKeys: [String]
    var attachedVolumeIDs: [String]
    var serverGroups: [String]

    /// `{"server": {...}}` in a pod's answer, or nil when the body is not such a document.
    static func read(_ response: RegionalResponse) -> ServerGlance? {
        (try? response.decode(Envelope.self))?.server
    }

    struct Envelope: Decodable {
        var server: ServerGlance
    }

    enum CodingKeys: String, CodingKey {
        case status, image, addresses
        case availabilityZone = "OS-EXT-AZ:availability_zone"
        case pinnedAvailabilityZone = "pinned_availability_zone"
        case attached = "os-extended-volumes:volumes_attached"
        case serverGroups = "server_groups"
    }

    /// An object with an `id` (the image, an attached volume).
    struct Reference: Decodable { var id: String? }

    /// Any JSON value, not looked at (the addresses under each network key).
    struct Ignored: Decodable {
        init(from decoder: any Decoder) throws {}
    }

    /// Each field is read on its own, a field of an unexpected type is as if absent: the same leniency as
    /// reading the view as untyped JSON, so an odd pod answer is still relayed unchanged.
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        status = (try? container.decodeIfPresent(String.self, forKey: .status)) ?? nil
        availabilityZone = (try? container.decodeIfPresent(String.self, forKey: .availabilityZone)) ?? nil
        pinnedAvailabilityZone = (try? container.decodeIfPresent(String.self, forKey: .pinnedAvailabilityZone)) ?? nil
        imageID = (try? container.decodeIfPresent(Reference.self, forKey: .image))??.id
        networkKeys = ((try? container.decodeIfPresent([String: Ignored].self, forKey: .addresses)) ?? nil).map { Array($0.keys) } ?? []
        attachedVolumeIDs = ((try? container.decodeIfPresent([Reference].self, forKey: .attached)) ?? nil)?.compactMap(\.id) ?? []
        serverGroups = ((try? container.decodeIfPresent([String].self, forKey: .serverGroups)) ?? nil) ?? []
    }
}
