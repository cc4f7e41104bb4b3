/// Every option `tricircle` understands. The sample config and the README's reference are generated from this.
public enum TricircleOptions {
    public static let all: [ConfigOption] = [
        // [DEFAULT]
        .init("DEFAULT", "debug", .bool, default: "false", help: "Log at debug level."),
        .init("DEFAULT", "state_path", .string, default: "./data", help: "Directory for local state (the default SQLite file)."),
        .init("DEFAULT", "bind_host", .string, default: "0.0.0.0", help: "Address every API listener binds to."),
        .init("DEFAULT", "public_host", .string, default: "127.0.0.1", help: "Host name clients use to reach this gateway (version documents, links): host, host:port or https://host[:port]; without a port, each API's listener port. The client's Host header is never used."),
        // [gateway]: one port per front-end
        .init("gateway", "admin_port", .integer(0...65535), default: "19999", help: "Admin API (/v1.0/pods, routings, jobs)."),
        .init("gateway", "compute_port", .integer(0...65535), default: "19998", help: "Compute API v2.1 at the top."),
        .init("gateway", "volume_port", .integer(0...65535), default: "19997", help: "Block Storage API v3 at the top."),
        .init("gateway", "network_port", .integer(0...65535), default: "19996", help: "Networking API v2.0 at the top."),
        .init("gateway", "image_port", .integer(0...65535), default: "19995", help: "Image API v2 at the top."),
        .init("gateway", "database_port", .integer(0...65535), default: "19994", help: "Database API v1.0 at the top."),
        .init("gateway", "default_availability_zone", .string, default: "",
              help: "AZ for creates that name none. Empty: the bottom pod whose AZ name sorts first."),
        .init("gateway", "max_body_bytes", .integer(1024...(1 << 30)), default: "1048576", help: "Largest JSON request body accepted (image data is streamed and not limited by this)."),
        .init("gateway", "body_timeout", .number(0.1...3600), default: "30", help: "Seconds a client has to send a JSON request body once its headers arrived (slower: 408, connection closed)."),
        .init("gateway", "client_idle_timeout", .number(1...86400), default: "900", help: "Seconds an idle client connection is kept open (as Nova's client_socket_timeout)."),
        .init("gateway", "trusted_proxies", .string, default: "", help: "Comma-separated addresses or CIDR ranges of load balancers whose X-Forwarded-Host/-Proto decide the links in answers. Empty: links always use public_host."),
        // [database]
        .init("database", "connection", .url(schemes: ["sqlite", "postgresql", "postgres"]), default: "",
              help: "State store URL: sqlite:///path/to/file or postgresql://user:pass@host:port/db. Empty: SQLite at <state_path>/tricircle.sqlite."),
        .init("database", "max_pool_size", .integer(1...1000), default: "10", help: "PostgreSQL connections per process."),
        .init("database", "auto_migrate", .bool, default: "true", help: "Run schema migrations at start-up (always on for SQLite)."),
        // [keystone_authtoken]: as keystonemiddleware
        .init("keystone_authtoken", "auth_url", .url(schemes: ["http", "https"]), default: "http://127.0.0.1:5000/v3", help: "Keystone v3 URL the gateway authenticates against."),
        .init("keystone_authtoken", "www_authenticate_uri", .url(schemes: ["http", "https"]), default: "", help: "Keystone URL announced in WWW-Authenticate (default: auth_url)."),
        .init("keystone_authtoken", "username", .string, default: "tricircle", help: "The gateway's service user."),
        .init("keystone_authtoken", "password", .string, default: "servicepass", secret: true, help: "The service user's password."),
        .init("keystone_authtoken", "project_name", .string, default: "service", help: "Project the service user's token is scoped to."),
        .init("keystone_authtoken", "user_domain_name", .string, default: "Default", help: "Domain of the service user."),
        .init("keystone_authtoken", "project_domain_name", .string, default: "Default", help: "Domain of the service project."),
        .init("keystone_authtoken", "token_cache_time", .integer(0...86400), default: "300", help: "Seconds a validated token is trusted before Keystone is asked again (a revoked token works at most this long)."),
        .init("keystone_authtoken", "token_cache_size", .integer(0...10_000_000), default: "10000", help: "Most validated tokens kept in memory."),
        .init("keystone_authtoken", "http_request_timeout", .number(0.1...600), default: "10", help: "Seconds to wait for Keystone."),
        // [client]: how the gateway talks to pods
        .init("client", "top_region_name", .string, default: "CentralRegion", help: "Keystone region of the top (the gateway's own endpoints and the home image service)."),
        .init("client", "interface", .choice(["public", "internal", "admin"]), default: "public", help: "Catalog interface used for pod endpoints."),
        .init("client", "pod_timeout", .number(0.1...3600), default: "30", help: "Seconds to wait for a pod on a routed call."),
        .init("client", "list_timeout", .number(0.1...600), default: "5", help: "Seconds each pod has to answer its part of a merged list."),
        .init("client", "endpoint_cache_time", .integer(0...86400), default: "600", help: "Seconds pod endpoints read from the catalog are reused."),
        // [routing]
        .init("routing", "stale_lock_seconds", .integer(1...86400), default: "30", help: "Age after which a create-lock row (no bottom id) is adopted or removed; never less than twice [client] pod_timeout plus 5 s, so a create still under way is not made twice."),
        .init("routing", "cache_time", .integer(0...86400), default: "30", help: "Seconds a resolved routing stays in the in-process cache (other processes' deletes are seen within this)."),
        .init("routing", "cache_size", .integer(0...10_000_000), default: "100000", help: "Most routing rows cached per process."),
        // [job]
        .init("job", "workers", .integer(0...256), default: "2", help: "Job workers in this process (0: none)."),
        .init("job", "lease_seconds", .integer(1...3600), default: "30", help: "How long a claimed job is owned before another worker may take it over."),
        .init("job", "max_attempts", .integer(1...1000), default: "8", help: "Runs before a failing job stays failed."),
        .init("job", "backoff_base_seconds", .number(0.01...3600), default: "1", help: "First retry delay; doubles each attempt, with jitter."),
        .init("job", "backoff_max_seconds", .number(0.01...86400), default: "300", help: "Longest retry delay."),
        .init("job", "poll_interval", .number(0.01...60), default: "0.5", help: "Seconds an idle worker waits before looking for due jobs."),
        .init("job", "shutdown_grace_seconds", .number(0...3600), default: "10", help: "On shutdown, how long a worker may finish its current job before handing it back."),
        .init("job", "retention_seconds", .number(0...(365 * 86400)), default: "604800", help: "How long successful jobs and run-log rows are kept before they are pruned."),
        .init("job", "audit_interval", .number(0...(7 * 86400)), default: "0", help: "Seconds between periodic audits with repair (`tricircle audit --repair` as a job); 0: off."),
        // [image]
        .init("image", "home_region", .string, default: "",
              help: "Region whose Image service (Glance) holds every image; the top Image API and image copies use it. Must name a region with its own Glance, never client.top_region_name (whose image endpoint is this gateway). Empty: no home image service (the Image API answers 503 and boots pass image ids through)."),
    ]
}
