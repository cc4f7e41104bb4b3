import Foundation

/// The config file every benchmark starts `tricircle serve` with: loopback only, state in `directory`, the
/// front-ends on the five ports below the admin port (compute, volume, network, image, database: as the sandbox
/// lays them out), CentralRegion as the top.
enum GatewayConfigFile {
    /// Writes `directory`/tricircle.conf and returns its path. `extra` is appended as it is: its sections add
    /// options, and a section or option named again overrides these (the file's last value of an option wins).
    static func write(
        directory: String, databaseURL: String, keystoneURL: String, gatewayPort: Int,
        topRegion: String = "CentralRegion", imageHomeRegion: String = "RegionOne", extra: String = ""
    ) throws -> String {
        let path = directory + "/tricircle.conf"
        try """
            [DEFAULT]
            state_path = \(directory)
            bind_host = 127.0.0.1
            debug = false
            [database]
            connection = \(databaseURL)
            [gateway]
            admin_port = \(gatewayPort)
            compute_port = \(gatewayPort - 1)
            volume_port = \(gatewayPort - 2)
            network_port = \(gatewayPort - 3)
            image_port = \(gatewayPort - 4)
            database_port = \(gatewayPort - 5)
            [keystone_authtoken]
            auth_url = \(keystoneURL)
            [client]
            top_region_name = \(topRegion)
            [image]
            home_region = \(imageHomeRegion)
            \(extra)
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
