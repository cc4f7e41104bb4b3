import Foundation
import OpenStackClient
import OpenStackModels
import RegionSimulator
import Synchronization
import Testing

@Suite("Endpoint resolution and regional calls")
struct KeystoneEndpointTests {
    @Test func resolvesByRegionTypeAndInterfaceAndFillsProjectTemplates() async throws {
        let identity = SimulatedIdentity()
        identity.setEndpoint(region: "RegionOne", serviceType: "compute", serviceName: "nova", url: "http://one:8774/v2.1/")
        identity.setEndpoint(region: "RegionTwo", serviceType: "compute", serviceName: "nova", url: "http://two:8774/v2.1")
        identity.setEndpoint(
            region: "RegionTwo", serviceType: "compute", serviceName: "nova", interface: "internal", url: "http://two-internal:8774/v2.1")
        identity.setEndpoint(region: "RegionTwo", serviceType: "database", serviceName: "trove", url: "http://two:8779/v1.0/$(tenant_id)s")
        try await withLiveKeystone(identity) { keystone async throws in
            let resolver = EndpointResolver(keystone: keystone.client())
            let one = try await resolver.url(region: "RegionOne", serviceType: "compute")
            let two = try await resolver.url(region: "RegionTwo", serviceType: "compute")
            let internalURL = try await resolver.url(region: "RegionTwo", serviceType: "compute", interface: "internal")
            let database = try await resolver.url(region: "RegionTwo", serviceType: "database", projectID: "abc")
            let regions = try await resolver.regions()
            #expect(one == "http://one:8774/v2.1")
            #expect(two == "http://two:8774/v2.1")
            #expect(internalURL == "http://two-internal:8774/v2.1")
            #expect(database == "http://two:8779/v1.0/abc")
            #expect(regions == ["RegionOne", "RegionTwo"])
            await #expect {
                _ = try await resolver.url(region: "RegionThree", serviceType: "compute")
            } throws: { error in
                guard case OpenStackClientError.noEndpoint(let region, _, _) = error else { return false }
                return region == "RegionThree"
            }
        }
    }

    @Test func catalogIsCachedUntilSomethingIsMissing() async throws {
        let reads = Mutex(0)
        let templates = Mutex([CatalogEndpointTemplate(regionID: "R1", serviceType: "compute", serviceName: "nova", interface: "public", urlTemplate: "http://a")])
        let resolver = EndpointResolver(
            source: {
                reads.withLock { $0 += 1 }
                return templates.withLock { $0 }
            }, minimumRefreshInterval: .zero)
        #expect(try await resolver.url(region: "R1", serviceType: "compute") == "http://a")
        #expect(try await resolver.url(region: "R1", serviceType: "compute") == "http://a")
        #expect(reads.withLock { $0 } == 1)
        // A region added to Keystone later is found by re-reading on the miss.
        templates.withLock {
            $0.append(CatalogEndpointTemplate(regionID: "R2", serviceType: "compute", serviceName: "nova", interface: "public", urlTemplate: "http://b"))
        }
        #expect(try await resolver.url(region: "R2", serviceType: "compute") == "http://b")
        #expect(reads.withLock { $0 } == 2)
    }

    @Test func connectionErrorReReadsTheCatalogAndRetriesAtTheNewURL() async throws {
        try await withLiveKeystone { keystone async throws in
            try await withLiveServer(echoServiceRouter()) { serviceURL async throws in
                // The catalog first points at a dead address; the region then moves to the live one.
                keystone.identity.setEndpoint(region: "RegionTwo", serviceType: "compute", serviceName: "nova", url: refusedURL)
                let resolver = EndpointResolver(keystone: keystone.client(), minimumRefreshInterval: .zero)
                let client = RegionalServiceClient(httpClient: keystone.http, resolver: resolver)
                let user = try keystone.token("demo", "demopass", project: "demo")
                let credentials = ServiceCredentials(token: user, projectID: nil)
                #expect(try await resolver.url(region: "RegionTwo", serviceType: "compute") == refusedURL)
                keystone.identity.setEndpoint(region: "RegionTwo", serviceType: "compute", serviceName: "nova", url: serviceURL)
                let response = try await client.send(.get("/servers"), region: "RegionTwo", serviceType: "compute", as: credentials)
                #expect(response.status == 200)
                #expect(try await resolver.url(region: "RegionTwo", serviceType: "compute") == serviceURL)
            }
        }
    }

    @Test func connectionErrorWithUnchangedCatalogIsThrownTyped() async throws {
        try await withLiveKeystone { keystone async throws in
            keystone.identity.setEndpoint(region: "RegionTwo", serviceType: "compute", serviceName: "nova", url: refusedURL)
            let resolver = EndpointResolver(keystone: keystone.client(), minimumRefreshInterval: .zero)
            let client = RegionalServiceClient(httpClient: keystone.http, resolver: resolver)
            await #expect {
                _ = try await client.send(.get("/servers"), region: "RegionTwo", serviceType: "compute", as: ServiceCredentials(token: "t", projectID: nil))
            } throws: { error in
                (error as? OpenStackClientError)?.isConnectionError == true
            }
        }
    }

    @Test func requestsCarryTheUsersTokenHeadersQueryAndBody() async throws {
        try await withLiveKeystone { keystone async throws in
            try await withLiveServer(echoServiceRouter()) { serviceURL async throws in
                keystone.identity.setEndpoint(region: "RegionOne", serviceType: "compute", serviceName: "nova", url: serviceURL)
                let client = RegionalServiceClient(httpClient: keystone.http, resolver: EndpointResolver(keystone: keystone.client()))
                let credentials = ServiceCredentials(token: "user-token", projectID: "p1", requestID: "req-123")
                let echoed = try await client.call(
                    .get("/servers", query: [URLQueryItem(name: "name", value: "a b+c")], headers: [("OpenStack-API-Version", "compute 2.79")]),
                    region: "RegionOne", serviceType: "compute", as: credentials, decoding: [String: [[String: String]]].self)
                let server = try #require(echoed["servers"]?.first)
                #expect(server["x-auth-token"] == "user-token")
                #expect(server["openstack-api-version"] == "compute 2.79")
                #expect(server["x-openstack-request-id"] == "req-123")
                #expect(server["query"] == "name=a%20b%2Bc")
                let body = ["server": ["name": "vm1"]]
                let created = try await client.send(
                    try .json("POST", "/servers", body: body), region: "RegionOne", serviceType: "compute", as: credentials)
                #expect(created.status == 202)
                #expect(try created.decode([String: [String: String]].self) == body)
            }
        }
    }

    @Test func errorStatusesAndTimeoutsAreTyped() async throws {
        try await withLiveKeystone { keystone async throws in
            try await withLiveServer(echoServiceRouter()) { serviceURL async throws in
                keystone.identity.setEndpoint(region: "RegionOne", serviceType: "compute", serviceName: "nova", url: serviceURL)
                let client = RegionalServiceClient(httpClient: keystone.http, resolver: EndpointResolver(keystone: keystone.client()))
                let credentials = ServiceCredentials(token: "t", projectID: nil)
                // send() hands back error answers untouched, for pass-through...
                let raw = try await client.send(.get("/missing"), region: "RegionOne", serviceType: "compute", as: credentials)
                #expect(raw.status == 404)
                // ...call() turns them into .http with status and body.
                await #expect {
                    _ = try await client.call(.get("/missing"), region: "RegionOne", serviceType: "compute", as: credentials, decoding: JSONValue.self)
                } throws: { error in
                    guard case OpenStackClientError.http(let response) = error else { return false }
                    return response.status == 404 && String(buffer: response.body).contains("itemNotFound")
                }
                var slow = RegionalRequest.get("/slow")
                slow.timeout = .milliseconds(100)
                await #expect {
                    _ = try await client.send(slow, region: "RegionOne", serviceType: "compute", as: credentials)
                } throws: { error in
                    guard case OpenStackClientError.timeout = error else { return false }
                    return true
                }
            }
        }
    }
}
