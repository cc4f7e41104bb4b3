import Foundation

/// The gateway's typed configuration, read once at start-up from defaults, config files and the environment.
public struct TricircleConfig: Sendable {
    public var values: ConfigValues

    public init(values: ConfigValues) { self.values = values }

    /// Loads `--config-file` paths (later files win), then `TRICIRCLE_<SECTION>__<OPTION>` variables.
    public static func load(
        files: [String] = [], environment: [String: String] = ProcessInfo.processInfo.environment,
        overrides: [String: String] = [:]
    ) throws -> TricircleConfig {
        let parsed = try files.map { try ConfigFile.load(path: $0) }
        let config = TricircleConfig(values: try ConfigValues(
            options: TricircleOptions.all, files: parsed, environment: environment, overrides: overrides))
        if let home = config.imageHomeRegion, home == config.topRegionName {
            throw ConfigError("invalid configuration:\n  image.home_region = \(home) names the top region (client.top_region_name), whose image endpoint is this gateway: name the region whose own Glance holds the images")
        }
        return config
    }

    /// Defaults only (tests, the sandbox).
    public static func defaults(overrides: [String: String] = [:]) throws -> TricircleConfig {
        try load(files: [], environment: [:], overrides: overrides)
    }

    public var debug: Bool { values.bool("DEFAULT", "debug") }
    /// `[DEFAULT] log_format = json`: one JSON object per log line.
    public var logsAsJSON: Bool { values.string("DEFAULT", "log_format") == "json" }
    public var statePath: String { values.string("DEFAULT", "state_path") }
    public var bindHost: String { values.string("DEFAULT", "bind_host") }
    public var publicHost: String { values.string("DEFAULT", "public_host") }

    /// The state store URL, defaulting to SQLite under `state_path`.
    public var databaseURL: String {
        let configured = values.string("database", "connection")
        if !configured.isEmpty { return configured }
        return "sqlite://" + (statePath as NSString).appendingPathComponent("tricircle.sqlite")
    }
    public var databaseMaxPoolSize: Int { values.int("database", "max_pool_size") }
    public var autoMigrate: Bool { values.bool("database", "auto_migrate") }

    public var adminPort: Int { values.int("gateway", "admin_port") }
    public var computePort: Int { values.int("gateway", "compute_port") }
    public var volumePort: Int { values.int("gateway", "volume_port") }
    public var networkPort: Int { values.int("gateway", "network_port") }
    public var imagePort: Int { values.int("gateway", "image_port") }
    public var databasePort: Int { values.int("gateway", "database_port") }
    public var defaultAvailabilityZone: String { values.string("gateway", "default_availability_zone") }
    public var maxBodyBytes: Int { values.int("gateway", "max_body_bytes") }
    public var bodyTimeout: Duration { .seconds(values.double("gateway", "body_timeout")) }
    public var clientIdleTimeout: Duration { .seconds(values.double("gateway", "client_idle_timeout")) }
    /// `[gateway] trusted_proxies` split into entries.
    public var trustedProxies: [String] {
        values.string("gateway", "trusted_proxies").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    public var keystoneAuthURL: String { values.string("keystone_authtoken", "auth_url") }
    public var keystoneAnnouncedURL: String {
        let v = values.string("keystone_authtoken", "www_authenticate_uri")
        return v.isEmpty ? keystoneAuthURL : v
    }
    public var serviceUsername: String { values.string("keystone_authtoken", "username") }
    public var servicePassword: String { values.string("keystone_authtoken", "password") }
    public var serviceProjectName: String { values.string("keystone_authtoken", "project_name") }
    public var serviceUserDomainName: String { values.string("keystone_authtoken", "user_domain_name") }
    public var serviceProjectDomainName: String { values.string("keystone_authtoken", "project_domain_name") }
    public var tokenCacheTime: Int { values.int("keystone_authtoken", "token_cache_time") }
    public var tokenCacheSize: Int { values.int("keystone_authtoken", "token_cache_size") }
    public var keystoneTimeout: Duration { .seconds(values.double("keystone_authtoken", "http_request_timeout")) }

    public var topRegionName: String { values.string("client", "top_region_name") }
    public var endpointInterface: String { values.string("client", "interface") }
    public var podTimeout: Duration { .seconds(values.double("client", "pod_timeout")) }
    public var listTimeout: Duration { .seconds(values.double("client", "list_timeout")) }
    public var endpointCacheTime: Int { values.int("client", "endpoint_cache_time") }

    /// Age after which a create-lock is taken over: never less than a create can take (a pod call and its
    /// one retry, `2 * pod_timeout`, plus 5 s), or a slow create still under way would be made a second time.
    public var staleLockSeconds: Int {
        max(values.int("routing", "stale_lock_seconds"), Int((2 * values.double("client", "pod_timeout")).rounded(.up)) + 5)
    }
    public var routingCacheTime: Int { values.int("routing", "cache_time") }
    public var routingCacheSize: Int { values.int("routing", "cache_size") }

    public var jobWorkers: Int { values.int("job", "workers") }
    public var jobLeaseSeconds: Int { values.int("job", "lease_seconds") }
    public var jobMaxAttempts: Int { values.int("job", "max_attempts") }
    public var jobBackoffBase: Double { values.double("job", "backoff_base_seconds") }
    public var jobBackoffMax: Double { values.double("job", "backoff_max_seconds") }
    public var jobPollInterval: Double { values.double("job", "poll_interval") }
    public var jobShutdownGrace: Double { values.double("job", "shutdown_grace_seconds") }
    public var jobRetention: Double { values.double("job", "retention_seconds") }
    public var jobAuditInterval: Double { values.double("job", "audit_interval") }

    /// The region whose Glance holds the images, or nil when none is configured. Never the top region:
    /// its image endpoint is the gateway itself, so `load` refuses that (it would call itself in a loop).
    public var imageHomeRegion: String? {
        let v = values.string("image", "home_region")
        return v.isEmpty ? nil : v
    }

    /// A sample INI file listing every option with its help text and default.
    public static func sampleFile() -> String {
        var out = "# tricircle.conf: every option with its default. Any option can also be set in the\n"
        out += "# environment as TRICIRCLE_<SECTION>__<OPTION>, e.g. TRICIRCLE_DATABASE__CONNECTION.\n"
        var section = ""
        for option in TricircleOptions.all {
            if option.section != section {
                section = option.section
                out += "\n[\(section)]\n"
            }
            out += "# \(option.help)\n#\(option.name) = \(option.defaultValue)\n"
        }
        return out
    }
}
