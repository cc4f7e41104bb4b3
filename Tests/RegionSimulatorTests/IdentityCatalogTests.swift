import Foundation
import HTTPTypes
import OpenStackModels
import RegionSimulator
import Testing

@Suite("Simulated Keystone: catalog and directory")
struct IdentityCatalogTests {
    @Test func setEndpointAppearsInCatalogAndEndpointList() async throws {
        let identity = SimulatedIdentity()
        identity.setEndpoint(region: "RegionTwo", serviceType: "volumev3", serviceName: "cinderv3", url: "http://127.0.0.1:1/v3")
        identity.setEndpoint(region: "RegionTwo", serviceType: "volumev3", serviceName: "cinderv3", url: "http://127.0.0.1:2/v3")
        try await withIdentity(identity) { client, _ async throws in
            let admin = try await client.token("admin", "secret", project: "admin")
            let catalog = try await client.send(.get, "/v3/auth/catalog", token: admin).decode(CatalogResponse.self).catalog
            let volume = try #require(catalog.first { $0.type == "volumev3" })
            // The second setEndpoint replaced the first.
            #expect(volume.endpoints.map(\.url) == ["http://127.0.0.1:2/v3"])
            let endpoints = try await client.send(.get, "/v3/endpoints?interface=public&region_id=RegionTwo", token: admin)
                .decode(EndpointList.self).endpoints
            #expect(endpoints.count == 1)
            #expect(endpoints.first?.serviceID == volume.id)
            let regions = try await client.send(.get, "/v3/regions", token: admin).decode(RegionList.self).regions
            #expect(regions.map(\.id) == ["RegionTwo"])
        }
    }

    /// Horizon's url_for takes the first catalog entry of a type and looks for the selected region's endpoint
    /// in it only: the gateway's CentralRegion endpoints must sit in the same entry as the regions' ones.
    @Test func secondRegionJoinsTheServiceOfItsType() async throws {
        let identity = SimulatedIdentity()
        identity.setEndpoint(region: "RegionOne", serviceType: "network", serviceName: "neutron", url: "http://127.0.0.1:1")
        identity.setEndpoint(region: "RegionTwo", serviceType: "network", serviceName: "neutron", url: "http://127.0.0.1:2")
        identity.setEndpoint(region: "CentralRegion", serviceType: "network", serviceName: "tricircle-network", url: "http://127.0.0.1:3")
        identity.setEndpoint(region: "CentralRegion", serviceType: "block-storage", serviceName: "tricircle-volume", url: "http://127.0.0.1:4")
        try await withIdentity(identity) { client, _ async throws in
            let demo = try await client.token("demo", "demopass", project: "demo")
            let catalog = try await client.send(.get, "/v3/auth/catalog", token: demo).decode(CatalogResponse.self).catalog
            let network = catalog.filter { $0.type == "network" }
            #expect(network.count == 1)
            #expect(network.first?.name == "neutron")
            #expect(Set(network.first?.endpoints.compactMap(\.regionID) ?? []) == ["RegionOne", "RegionTwo", "CentralRegion"])
            // A type no region has gets a service of its own, under the name given.
            #expect(catalog.filter { $0.type == "block-storage" }.map(\.name) == ["tricircle-volume"])
        }
    }

    @Test func endpointCreateAsTheOpenstackCLISendsIt() async throws {
        try await withIdentity { client, _ async throws in
            let admin = try await client.token("admin", "secret", project: "admin")
            #expect(try await client.send(.post, "/v3/regions", token: admin, json: #"{"region": {"id": "RegionOne"}}"#).status == .created)
            #expect(try await client.send(.post, "/v3/regions", token: admin, json: #"{"region": {"id": "RegionOne"}}"#).status == .conflict)
            let service = try await client.send(
                .post, "/v3/services", token: admin, json: #"{"service": {"type": "compute", "name": "nova", "enabled": true}}"#)
            #expect(service.status == .created)
            let serviceID = try service.decode(ServiceResponse.self).service.id
            let create = """
                {"endpoint": {"service_id": "\(serviceID)", "interface": "public", "url": "http://127.0.0.1:18774/v2.1", "region_id": "RegionOne", "region": "RegionOne", "enabled": true}}
                """
            let created = try await client.send(.post, "/v3/endpoints", token: admin, json: create)
            #expect(created.status == .created)
            let endpoint = try created.decode(EndpointResponse.self).endpoint
            #expect(endpoint.regionID == "RegionOne")
            let filtered = try await client.send(.get, "/v3/endpoints?service_id=\(serviceID)", token: admin).decode(EndpointList.self)
            #expect(filtered.endpoints.map(\.id) == [endpoint.id])
            #expect(try await client.send(.delete, "/v3/endpoints/\(endpoint.id)", token: admin).status == .noContent)
            #expect(try await client.send(.get, "/v3/endpoints/\(endpoint.id)", token: admin).status == .notFound)
        }
    }

    @Test func endpointInUnknownRegionOrWithBadInterfaceIs400() async throws {
        try await withIdentity { client, _ async throws in
            let admin = try await client.token("admin", "secret", project: "admin")
            let service = try await client.send(.post, "/v3/services", token: admin, json: #"{"service": {"type": "image", "name": "glance"}}"#)
            let serviceID = try service.decode(ServiceResponse.self).service.id
            let unknownRegion = try await client.send(
                .post, "/v3/endpoints", token: admin,
                json: #"{"endpoint": {"service_id": "\#(serviceID)", "interface": "public", "url": "http://x:9292", "region_id": "Nowhere"}}"#)
            #expect(unknownRegion.status == .badRequest)
            let badInterface = try await client.send(
                .post, "/v3/endpoints", token: admin,
                json: #"{"endpoint": {"service_id": "\#(serviceID)", "interface": "sideways", "url": "http://x:9292"}}"#)
            #expect(badInterface.status == .badRequest)
            let missingURL = try await client.send(
                .post, "/v3/endpoints", token: admin, json: #"{"endpoint": {"service_id": "\#(serviceID)", "interface": "public"}}"#)
            #expect(missingURL.status == .badRequest)
        }
    }

    @Test func membersCannotChangeTheCatalogOrListTheDirectory() async throws {
        try await withIdentity { client, _ async throws in
            let demo = try await client.token("demo", "demopass", project: "demo")
            let create = try await client.send(.post, "/v3/regions", token: demo, json: #"{"region": {"id": "Evil"}}"#)
            #expect(create.status == .forbidden)
            #expect(try create.decode(KeystoneErrorBody.self).error.code == 403)
            #expect(try await client.send(.get, "/v3/projects", token: demo).status == .forbidden)
            #expect(try await client.send(.get, "/v3/users", token: demo).status == .forbidden)
            #expect(try await client.send(.get, "/v3/role_assignments", token: demo).status == .forbidden)
            // Reading the catalog's regions and endpoints needs only a token.
            #expect(try await client.send(.get, "/v3/regions", token: demo).status == .ok)
            #expect(try await client.send(.get, "/v3/regions").status == .unauthorized)
        }
    }

    @Test func seededDirectoryMatchesTheContract() async throws {
        try await withIdentity { client, _ async throws in
            let admin = try await client.token("admin", "secret", project: "admin")
            let projects = try await client.send(.get, "/v3/projects", token: admin).decode(ProjectList.self).projects
            #expect(Set(projects.map(\.name)) == ["admin", "service", "demo", "alt_demo"])
            let users = try await client.send(.get, "/v3/users", token: admin).decode(UserList.self).users
            #expect(Set(users.map(\.name)) == ["admin", "tricircle", "demo", "alt_demo"])
            let roles = try await client.send(.get, "/v3/roles", token: admin).decode(RoleList.self).roles
            #expect(Set(roles.map(\.name)) == ["admin", "member", "reader"])
            let domain = try await client.send(.get, "/v3/domains/default", token: admin).decode(DomainResponse.self).domain
            #expect(domain.name == "Default")
            let demoUser = try #require(users.first { $0.name == "demo" })
            let assignments = try await client.send(
                .get, "/v3/role_assignments?user.id=\(demoUser.id)&include_names", token: admin
            ).decode(RoleAssignmentList.self).roleAssignments
            #expect(assignments.map(\.role.name) == ["member"])
            #expect(assignments.first?.scope.project?.name == "demo")
        }
    }

    @Test func createdUserCanAuthenticateAfterRoleAssignment() async throws {
        try await withIdentity { client, _ async throws in
            let admin = try await client.token("admin", "secret", project: "admin")
            let user = try await client.send(.post, "/v3/users", token: admin, json: #"{"user": {"name": "carol", "password": "pw"}}"#)
                .decode(UserResponse.self).user
            let project = try await client.send(.post, "/v3/projects", token: admin, json: #"{"project": {"name": "carol_project"}}"#)
                .decode(ProjectResponse.self).project
            let member = try #require(
                try await client.send(.get, "/v3/roles?name=member", token: admin).decode(RoleList.self).roles.first)
            #expect(try await client.passwordAuth("carol", "pw", project: "carol_project").status == .unauthorized)
            let assign = try await client.send(.put, "/v3/projects/\(project.id)/users/\(user.id)/roles/\(member.id)", token: admin)
            #expect(assign.status == .noContent)
            #expect(try await client.passwordAuth("carol", "pw", project: "carol_project").status == .created)
        }
    }
}
