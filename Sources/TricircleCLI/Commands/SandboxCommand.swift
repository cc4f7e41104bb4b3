import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import OpenStackClient
import OpenStackModels
import RegionSimulator
import TricircleCore
import TricircleGateway
import TricircleServer
import TricircleStore

/// `tricircle sandbox`: simulated Keystone and regions plus the gateway on SQLite, ready for the openstack CLI.
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run the gateway over simulated regions (Keystone, CentralRegion, RegionOne/az1, RegionTwo/az2).")

    @Option(help: "Directory for the sandbox's database, openrc and clouds.yaml.")
    var stateDir: String = "./data/sandbox"

    @Option(help: "Simulated Keystone's port; the simulated services take the ports after it.")
    var keystonePort: Int = 15000

    @Option(help: "The gateway's admin API port; the OpenStack front-ends take the ports below it (compute = admin-1, volume -2, network -3, image -4).")
    var adminPort: Int = 19999

    @Flag(help: "Keep the gateway database of an earlier sandbox run (by default each run starts clean).")
    var keepState = false

    @Option(help: "State store URL (postgresql://...) instead of SQLite in --state-dir; it is used as it is (not emptied).")
    var databaseConnection: String?

    @Flag(help: """
        Run no gateway here: `tricircle serve` processes on --database-connection, behind a load balancer on \
        --admin-port and the ports below it, are the top region's endpoints. The sandbox registers the pods, \
        seeds the regions, waits for that network endpoint, then makes the DevStack networks through it.
        """)
    var externalGateway = false

    @Flag(name: .long, help: "Log at debug level.")
    var debug = false

    static let topRegion = "CentralRegion"
    static let bottomRegions = [("RegionOne", "az1"), ("RegionTwo", "az2")]
    /// The region whose Glance holds the top's images (copied to the other pods on demand).
    static let imageHomeRegion = "RegionOne"

    func validate() throws {
        if externalGateway && databaseConnection == nil {
            throw ValidationError("--external-gateway needs --database-connection: the gateway processes share that store")
        }
    }

    func run() async throws {
        LoggingSetup.bootstrap(debug: debug)
        let logger = Logger(label: "tricircle.sandbox")
        let stateDir = (self.stateDir as NSString).standardizingPath
        try FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true)
        let databasePath = stateDir + "/tricircle.sqlite"
        if !keepState && databaseConnection == nil {
            // The simulated regions live in memory, so routings from an earlier run would point at nothing.
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: databasePath + suffix) }
        }

        // The top region runs no simulated services: the gateway's own front-ends are its endpoints.
        var regions = [SimulatedCloudConfiguration.Region(name: Self.topRegion, availabilityZone: "central", services: [])]
        regions += Self.bottomRegions.map { SimulatedCloudConfiguration.Region(name: $0.0, availabilityZone: $0.1) }
        let cloud = SimulatedCloud(configuration: SimulatedCloudConfiguration(regions: regions, basePort: keystonePort))

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await cloud.run() }
            try await cloud.waitUntilReady()

            let config = try TricircleConfig.load(files: [], environment: [:], overrides: [
                "DEFAULT.state_path": stateDir,
                "DEFAULT.bind_host": "127.0.0.1",
                "DEFAULT.debug": debug ? "true" : "false",
                "database.connection": databaseConnection ?? "sqlite://" + databasePath,
                "gateway.admin_port": "\(adminPort)",
                "gateway.compute_port": "\(adminPort - 1)",
                "gateway.volume_port": "\(adminPort - 2)",
                "gateway.network_port": "\(adminPort - 3)",
                "gateway.image_port": "\(adminPort - 4)",
                "gateway.database_port": "\(adminPort - 5)",
                "keystone_authtoken.auth_url": cloud.identityURL,
                "client.top_region_name": Self.topRegion,
                "image.home_region": Self.imageHomeRegion,
            ])
            let gateway = try await GatewayAssembly.start(config: config, logger: logger)
            let runtime = gateway.runtime
            var ports: [String: Int] = [:]
            if !externalGateway {
                let listening = AsyncStream<(String, Int)>.makeStream()
                group.addTask {
                    try await gateway.run(components: .all) { name, port in listening.continuation.yield((name, port)) }
                }
                let expected = Set(["admin"] + gateway.frontEnds.map(\.name))
                for await (name, port) in listening.stream {
                    ports[name] = port
                    if expected.isSubset(of: Set(ports.keys)) { break }
                }
            }
            let adminURL = "http://127.0.0.1:\(ports["admin"] ?? adminPort)"

            try await registerPods(runtime.pods)
            cloud.identity.setEndpoint(region: Self.topRegion, serviceType: "tricircle", serviceName: "tricircle", url: adminURL + "/v1.0")
            // The gateway's front-ends are the top region's endpoints: clients with OS_REGION_NAME=CentralRegion use them.
            for frontEnd in gateway.frontEnds {
                let url = "http://127.0.0.1:\(ports[frontEnd.name] ?? frontEnd.port)" + frontEnd.catalogPath
                for serviceType in frontEnd.catalogServiceTypes {
                    for interface in ["public", "internal", "admin"] {
                        cloud.identity.setEndpoint(region: Self.topRegion, serviceType: serviceType,
                                                   serviceName: "tricircle-" + frontEnd.name, interface: interface, url: url)
                    }
                }
            }
            let image = try await seedImage(cloud: cloud, http: runtime.httpClient)
            let datastoreImages = try await seedDatastoreImages(cloud: cloud, http: runtime.httpClient)
            let networkURL = "http://127.0.0.1:\(ports["network"] ?? adminPort - 3)"
            if externalGateway { try await waitForGateway(networkURL, http: runtime.httpClient) }
            try await SandboxNetworks(
                keystoneURL: cloud.identityURL, networkURL: networkURL,
                http: runtime.httpClient, externalZone: Self.bottomRegions[0].1).seed()
            try writeClientFiles(stateDir: stateDir, keystoneURL: cloud.identityURL)

            say("""

                Tricircle sandbox is running.
                  Keystone (simulated):   \(cloud.identityURL)   users admin/secret, demo/demopass, alt_demo/altpass
                  Gateway admin API:      \(adminURL)/v1.0   (tricircle pod list, routing list, job list)
                  Gateway state:          \(runtime.store.displayURL)\(externalGateway ? "   (gateway processes started apart)" : "")
                  Top region:             \(Self.topRegion): the gateway's front-ends
                """)
            for frontEnd in gateway.frontEnds {
                say("    \(frontEnd.name.padding(toLength: 8, withPad: " ", startingAt: 0)) http://127.0.0.1:\(ports[frontEnd.name] ?? frontEnd.port)\(frontEnd.catalogPath)")
            }
            say("  Home image service:     \(Self.imageHomeRegion)'s Glance (seeded image \"\(image)\", \(datastoreImages) datastore images)")
            say("  Networks (DevStack's):  public (external, \(SandboxNetworks.publicCIDR), in \(Self.bottomRegions[0].1)); demo's private (\(SandboxNetworks.privateCIDR)) and router1")
            for (region, az) in Self.bottomRegions {
                let services = (cloud.endpoints()[region] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)" }
                say("  Pod \(region) (AZ \(az)):  \(services.joined(separator: ", "))")
            }
            say("""
                  Fault injection:        PUT \(cloud.controlURL)/sim/faults/<region>/<service>

                Use it:
                  source \(stateDir)/openrc        (or OS_CLOUD=tricircle-sandbox with \(stateDir)/clouds.yaml)
                  openstack region list; openstack endpoint list; tricircle pod list
                  openstack server create --availability-zone az2 --flavor m1.tiny --image cirros-sandbox vm1
                OS_REGION_NAME=RegionOne (or RegionTwo) talks to that simulated region directly.
                Ctrl-C stops everything.
                """)
            try await waitForTermination()
            say("stopping")
            group.cancelAll()
        }
    }

    /// Waits until a gateway started apart answers its version document (unauthenticated) at `url`.
    func waitForGateway(_ url: String, http: HTTPClient) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(120))
        while clock.now < deadline {
            if let answer = try? await http.execute(HTTPClientRequest(url: url + "/"), timeout: .seconds(2)),
               (try? await answer.body.collect(upTo: 1 << 20)) != nil, answer.status.code < 300 {
                return
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw ValidationError("no gateway answered at \(url) within 120 s (--external-gateway)")
    }

    /// Registers the top pod and one pod per bottom region; a restart with --keep-state finds them already there.
    func registerPods(_ pods: PodStore) async throws {
        let existing = Set(try await pods.list().map(\.regionName))
        if !existing.contains(Self.topRegion) {
            _ = try await pods.create(regionName: Self.topRegion, azName: "")
        }
        for (region, az) in Self.bottomRegions where !existing.contains(region) {
            _ = try await pods.create(regionName: region, azName: az, podAZName: az)
        }
    }

    /// Uploads a small public image to the home image service and returns its name.
    func seedImage(cloud: SimulatedCloud, http: HTTPClient) async throws -> String {
        let name = "cirros-sandbox"
        guard let glance = cloud.endpoint(region: Self.imageHomeRegion, service: .image) else { return "(none)" }
        let keystone = KeystoneClient(
            configuration: KeystoneClientConfiguration(authURL: cloud.identityURL, username: "admin", password: "secret", projectName: "admin"),
            httpClient: http)
        let token = try await keystone.serviceToken().id
        var create = HTTPClientRequest(url: glance + "/v2/images")
        create.method = .POST
        create.headers.add(name: "X-Auth-Token", value: token)
        create.headers.add(name: "Content-Type", value: "application/json")
        create.body = .bytes(ByteBuffer(string: #"{"name": "\#(name)", "disk_format": "qcow2", "container_format": "bare", "visibility": "public"}"#))
        let created = try await http.execute(create, timeout: .seconds(10))
        let body = try await created.body.collect(upTo: 1 << 20)
        guard created.status.code < 300,
              case .object(let fields) = try JSONDecoder().decode(JSONValue.self, from: Data(buffer: body)),
              case .string(let id) = fields["id"]
        else { throw ValidationError("seeding the sandbox image failed: \(created.status) \(String(buffer: body))") }
        var upload = HTTPClientRequest(url: glance + "/v2/images/\(id)/file")
        upload.method = .PUT
        upload.headers.add(name: "X-Auth-Token", value: token)
        upload.headers.add(name: "Content-Type", value: "application/octet-stream")
        // 256 KiB of a repeating pattern: small, but enough to exercise streamed copies and checksums.
        var data = ByteBuffer()
        for i in 0..<(256 * 1024) { data.writeInteger(UInt8(truncatingIfNeeded: i &* 31 &+ 7)) }
        upload.body = .bytes(data)
        let uploaded = try await http.execute(upload, timeout: .seconds(10))
        _ = try await uploaded.body.collect(upTo: 1 << 20)
        guard uploaded.status.code < 300 else { throw ValidationError("uploading the sandbox image failed: \(uploaded.status)") }
        return name
    }

    /// Writes `openrc` (admin) and `clouds.yaml` for the real OpenStack clients: admin and demo, and the
    /// cloud names DevStack writes (`devstack`, `devstack-alt`, `devstack-admin`, `devstack-system-admin`)
    /// that the clients' functional suites use. The simulated Keystone has no system scope, so
    /// `devstack-system-admin` is the admin project's admin.
    func writeClientFiles(stateDir: String, keystoneURL: String) throws {
        let openrc = """
            # tricircle sandbox: source me, then use the openstack CLI
            export OS_AUTH_URL=\(keystoneURL)
            export OS_IDENTITY_API_VERSION=3
            export OS_USERNAME=admin
            export OS_PASSWORD=secret
            export OS_PROJECT_NAME=admin
            export OS_USER_DOMAIN_NAME=Default
            export OS_PROJECT_DOMAIN_NAME=Default
            export OS_REGION_NAME=\(Self.topRegion)
            export TRICIRCLE_ADMIN_URL=http://127.0.0.1:\(adminPort)

            """
        let clouds = """
            clouds:
              tricircle-sandbox:
                auth: {auth_url: "\(keystoneURL)", username: admin, password: secret, project_name: admin,
                       user_domain_name: Default, project_domain_name: Default}
                region_name: \(Self.topRegion)
                identity_api_version: 3
              tricircle-sandbox-demo:
                auth: {auth_url: "\(keystoneURL)", username: demo, password: demopass, project_name: demo,
                       user_domain_name: Default, project_domain_name: Default}
                region_name: \(Self.topRegion)
                identity_api_version: 3

            """ + [("devstack", "demo", "demopass", "demo"), ("devstack-alt", "alt_demo", "altpass", "alt_demo"),
                   ("devstack-admin", "admin", "secret", "admin"), ("devstack-system-admin", "admin", "secret", "admin"),
                   ("demo", "demo", "demopass", "demo"), ("alt_demo", "alt_demo", "altpass", "alt_demo")].map { cloud, user, password, project in
                """
                  \(cloud):
                    auth: {auth_url: "\(keystoneURL)", username: \(user), password: \(password), project_name: \(project),
                           user_domain_name: Default, project_domain_name: Default}
                    region_name: \(Self.topRegion)
                    identity_api_version: 3

                """
            }.joined()
        try clouds.write(toFile: stateDir + "/clouds.yaml", atomically: true, encoding: .utf8)
        // openrc last: scripts wait for it as the sign that the sandbox is ready.
        try openrc.write(toFile: stateDir + "/openrc", atomically: true, encoding: .utf8)
    }
}
