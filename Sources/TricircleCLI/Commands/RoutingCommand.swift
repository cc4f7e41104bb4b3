import ArgumentParser
import Foundation
import OpenStackModels

/// `tricircle routing list|show|delete`: the resource routing table (a client of the admin API).
struct RoutingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routing", abstract: "Inspect and repair resource routings (top id -> bottom id in a pod).",
        subcommands: [List.self, Show.self, Create.self, Update.self, Delete.self])

    static let fieldOrder = ["id", "top_id", "bottom_id", "pod_id", "project_id", "resource_type", "created_at", "updated_at"]

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List routings, newest first, one page at a time.")
        @OptionGroup var connection: AdminConnectionOptions
        @Option(help: "Only this routing id.") var id: String?
        @Option(name: .customLong("top-id"), help: "Only this top resource id.") var topID: String?
        @Option(name: .customLong("bottom-id"), help: "Only this bottom resource id.") var bottomID: String?
        @Option(name: .customLong("pod-id"), help: "Only routings into this pod.") var podID: String?
        @Option(name: .customLong("project-id"), help: "Only this project's routings.") var projectID: String?
        @Option(name: .customLong("resource-type"), help: "Only this resource type (server, volume, network, port, ...).") var resourceType: String?
        @Option(help: "Rows per page.") var limit: Int?
        @Option(help: "Start after this routing id (the last row of the previous page).") var marker: String?
        @Flag(help: "Follow next links and print every page.") var all = false

        func run() async throws {
            var query: [(String, String)] = []
            for (key, value) in [("id", id), ("top_id", topID), ("bottom_id", bottomID), ("pod_id", podID),
                                 ("project_id", projectID), ("resource_type", resourceType), ("marker", marker)] {
                if let value { query.append((key, value)) }
            }
            if let limit { query.append(("limit", String(limit))) }
            let (rows, next) = try await connection.withClient { client in
                try await AdminPages.collect(client, path: "/v1.0/routings", query: query, key: "routings", all: all)
            }
            AdminOutput.printList(
                rows,
                columns: [("id", "ID"), ("top_id", "Top ID"), ("bottom_id", "Bottom ID"), ("pod_id", "Pod ID"),
                          ("project_id", "Project ID"), ("resource_type", "Resource Type"), ("created_at", "Created At")],
                format: connection.format)
            AdminPages.noteNext(next, format: connection.format)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one routing.")
        @OptionGroup var connection: AdminConnectionOptions
        @Argument(help: "Routing id.") var id: String

        func run() async throws {
            let reply = try await connection.withClient { try await $0.get("/v1.0/routings/\(AdminPath.escape(id))") }
            AdminOutput.printObject(reply["routing"] ?? reply, order: RoutingCommand.fieldOrder, format: connection.format)
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record where a top resource lives in a pod.")
        @OptionGroup var connection: AdminConnectionOptions
        @Option(name: .customLong("top-id"), help: "Top resource id.") var topID: String
        @Option(name: .customLong("bottom-id"), help: "Resource id inside the pod.") var bottomID: String
        @Option(name: .customLong("pod-id"), help: "Pod id.") var podID: String
        @Option(name: .customLong("project-id"), help: "Owning project id.") var projectID: String
        @Option(name: .customLong("resource-type"), help: "server, volume, network, subnet, port, router, ...") var resourceType: String

        func run() async throws {
            let body = JSONValue.object(["routing": .object([
                "top_id": .string(topID), "bottom_id": .string(bottomID), "pod_id": .string(podID),
                "project_id": .string(projectID), "resource_type": .string(resourceType),
            ])])
            let reply = try await connection.withClient { try await $0.post("/v1.0/routings", body) }
            AdminOutput.printObject(reply["routing"] ?? reply, order: RoutingCommand.fieldOrder, format: connection.format)
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a routing's bottom id, pod or project.")
        @OptionGroup var connection: AdminConnectionOptions
        @Argument(help: "Routing id.") var id: String
        @Option(name: .customLong("bottom-id"), help: "New bottom resource id.") var bottomID: String?
        @Option(name: .customLong("pod-id"), help: "New pod id.") var podID: String?
        @Option(name: .customLong("project-id"), help: "New project id.") var projectID: String?

        func validate() throws {
            if bottomID == nil, podID == nil, projectID == nil {
                throw ValidationError("Give at least one of --bottom-id, --pod-id, --project-id.")
            }
        }

        func run() async throws {
            var fields: [String: JSONValue] = [:]
            if let bottomID { fields["bottom_id"] = .string(bottomID) }
            if let podID { fields["pod_id"] = .string(podID) }
            if let projectID { fields["project_id"] = .string(projectID) }
            let body = JSONValue.object(["routing": .object(fields)])
            let reply = try await connection.withClient { try await $0.put("/v1.0/routings/\(AdminPath.escape(id))", body) }
            AdminOutput.printObject(reply["routing"] ?? reply, order: RoutingCommand.fieldOrder, format: connection.format)
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a routing row (the bottom resource is left alone).")
        @OptionGroup var connection: AdminConnectionOptions
        @Argument(help: "Routing id.") var id: String

        func run() async throws {
            _ = try await connection.withClient { try await $0.delete("/v1.0/routings/\(AdminPath.escape(id))") }
            if connection.format == .table { print("Deleted routing \(id)") }
        }
    }
}
