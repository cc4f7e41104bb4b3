import Foundation
import Synchronization

/// State of one simulated region shared by its compute, block storage and image services, so that
/// cross-service effects happen as in a real region (attaching a volume marks it in-use, createImage
/// adds an image to Glance, booting checks the image exists).
///
/// Lock order when holding more than one: compute, then volumes, then images. The region's Neutron
/// lock is never held together with another one: compute takes it alone, before or after its own.
public final class RegionStore: Sendable {
    let compute: Mutex<ComputeState>
    let volumes: Mutex<VolumeState>
    let images: Mutex<ImageState>
    /// The region's Neutron, so servers own real ports in it as Nova's do.
    public let networking: SimulatedNetworking
    /// Region name, used for seeding deterministic ids.
    public let regionName: String

    /// A region seeded as devstack leaves it: m1.* flavors, a cirros image, the lvmdriver-1 volume type.
    public init(regionName: String, quotaDefaults: QuotaDefaults = QuotaDefaults()) {
        self.regionName = regionName
        compute = Mutex(ComputeState.seeded(quotaDefaults: quotaDefaults))
        volumes = Mutex(VolumeState.seeded(regionName: regionName, quotaDefaults: quotaDefaults))
        images = Mutex(ImageState.seeded(regionName: regionName))
        networking = SimulatedNetworking()
    }
}

/// Default per-project quotas; Nova's and Cinder's defaults unless changed (benchmarks raise them).
public struct QuotaDefaults: Sendable, Hashable {
    /// Nova quota defaults (instances 10, cores 20, ram 51200 MiB, key_pairs 100, ...).
    public var compute: [String: Int]
    /// Cinder quota defaults (volumes 10, gigabytes 1000, snapshots 10, ...).
    public var volume: [String: Int]

    public init(compute: [String: Int] = QuotaDefaults.novaDefaults, volume: [String: Int] = QuotaDefaults.cinderDefaults) {
        self.compute = compute
        self.volume = volume
    }

    /// Unlimited (-1) everywhere, for scale runs.
    public static var unlimited: QuotaDefaults {
        QuotaDefaults(compute: novaDefaults.mapValues { _ in -1 }, volume: cinderDefaults.mapValues { _ in -1 })
    }

    public static let novaDefaults: [String: Int] = [
        "instances": 10, "cores": 20, "ram": 51200, "key_pairs": 100, "metadata_items": 128,
        "injected_files": 5, "injected_file_content_bytes": 10240, "injected_file_path_bytes": 255,
        "server_groups": 10, "server_group_members": 10,
    ]

    public static let cinderDefaults: [String: Int] = [
        "volumes": 10, "gigabytes": 1000, "snapshots": 10, "backups": 10, "backup_gigabytes": 1000,
        "groups": 10, "per_volume_gigabytes": -1,
    ]
}

/// Deterministic UUID-shaped ids from a seed string (seed data gets the same ids on every run).
enum SeedID {
    static func uuid(_ seed: String) -> String {
        // FNV-1a over the seed, stretched to 128 bits.
        var a: UInt64 = 0xcbf2_9ce4_8422_2325
        var b: UInt64 = 0x8422_2325_cbf2_9ce4
        for byte in seed.utf8 {
            a = (a ^ UInt64(byte)) &* 0x100_0000_01b3
            b = (b ^ UInt64(byte)) &* 0x100_0000_01b3 &+ 7
        }
        // String(format:) is slow on Linux; this runs for every rendered server (hostId).
        func hex16(_ v: UInt64) -> String {
            let digits = String(v, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
        let chars = Array(hex16(a) + hex16(b))
        return "\(String(chars[0..<8]))-\(String(chars[8..<12]))-4\(String(chars[13..<16]))-a\(String(chars[17..<20]))-\(String(chars[20..<32]))"
    }
}

/// A lazily applied state change: the record shows `target` once `due` has passed (no timers).
struct Pending<Target: Sendable>: Sendable {
    var due: Date
    var target: Target
}

/// A fresh lowercase UUID string.
func newUUID() -> String { UUID().uuidString.lowercased() }

extension RegionStore {
    /// Id of the seeded cirros image in this region.
    public var seededImageID: String { SeedID.uuid("\(regionName)/image/cirros") }
}
