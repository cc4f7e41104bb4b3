import ArgumentParser
import OpenStackModels

/// `tricircle job list|show|redo|delete|schemas`: asynchronous cross-region work (a client of the admin API).
struct JobCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "job", abstract: "Inspect, redo and delete asynchronous jobs.",
        subcommands: [List.self, Show.self, Create.self, Redo.self, Delete.self, Schemas.self])

    static let fieldOrder = [
        "id", "type", "project_id", "status", "resource", "attempts", "max_attempts", "last_error", "progress",
        "next_run_at", "lease_owner", "lease_expires_at", "created_at", "updated_at", "started_at", "finished_at",
    ]

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List jobs, newest first.")
        @OptionGroup var connection: AdminConnectionOptions
        @Option(help: "Only jobs of this type.") var type: String?
        @Option(help: "Only jobs in this status: new, running, success, failed.") var status: String?
        @Option(name: .customLong("project-id"), help: "Only this project's jobs.") var projectID: String?
        @Option(help: "Rows per page.") var limit: Int?
        @Option(help: "Start after this job id (the last row of the previous page).") var marker: String?
        @Flag(help: "Follow next links and print every page.") var all = false

        func run() async throws {
            var query: [(String, String)] = []
            for (key, value) in [("type", type), ("status", status), ("project_id", projectID), ("marker", marker)] {
                if let value { query.append((key, value)) }
            }
            if let limit { query.append(("limit", String(limit))) }
            let (rows, next) = try await connection.withClient { client in
                try await AdminPages.collect(client, path: "/v1.0/jobs", query: query, key: "jobs", all: all)
            }
            AdminOutput.printList(
                rows,
                columns: [("id", "ID"), ("type", "Type"), ("status", "Status"), ("project_id", "Project ID"),
                          ("resource", "Resource"), ("attempts", "Attempts"), ("last_error", "Last Error"),
                          ("updated_at", "Updated At")],
                format: connection.format)
            AdminPages.noteNext(next, format: connection.format)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a job with its last error, progress and recent runs.")
        @OptionGroup var connection: AdminConnectionOptions
        @Argument(help: "Job id.") var id: String

        func run() async throws {
            let reply = try await connection.withClient { try await $0.get("/v1.0/jobs/\(AdminPath.escape(id))") }
            AdminOutput.printObject(reply["job"] ?? reply, order: JobCommand.fieldOrder, format: connection.format)
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue a job (see `job schemas` for each type's resource keys).")
        @OptionGroup var connection: AdminConnectionOptions
        @Option(help: "Job type, e.g. router_setup.") var type: String
        @Option(name: .customLong("project-id"), help: "Project the job works for.") var projectID: String
        @Option(name: .customLong("resource"), help: "A resource key and value, key=value; repeat for each key.")
        var resource: [String] = []

        func run() async throws {
            var keys: [String: JSONValue] = [:]
            for pair in resource {
                guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                    throw ValidationError("--resource takes key=value, got '\(pair)'")
                }
                keys[String(pair[..<equals])] = .string(String(pair[pair.index(after: equals)...]))
            }
            let body = JSONValue.object(["job": .object([
                "type": .string(type), "project_id": .string(projectID), "resource": .object(keys),
            ])])
            let reply = try await connection.withClient { try await $0.post("/v1.0/jobs", body) }
            AdminOutput.printObject(reply["job"] ?? reply, order: JobCommand.fieldOrder, format: connection.format)
        }
    }

    struct Redo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run a job again now (refused while it is running).")
        @OptionGroup var connection: AdminConnectionOptions
        @Argument(help: "Job id.") var id: String

        func run() async throws {
            let reply = try await connection.withClient { try await $0.put("/v1.0/jobs/\(AdminPath.escape(id))") }
            AdminOutput.printObject(reply["job"] ?? reply, order: JobCommand.fieldOrder, format: connection.format)
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a job that is not running.")
        @OptionGroup var connection: AdminConnectionOptions
        @Argument(help: "Job id.") var id: String

        func run() async throws {
            _ = try await connection.withClient { try await $0.delete("/v1.0/jobs/\(AdminPath.escape(id))") }
            if connection.format == .table { print("Deleted job \(id)") }
        }
    }

    struct Schemas: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List job types and the resource keys each takes.")
        @OptionGroup var connection: AdminConnectionOptions

        func run() async throws {
            let reply = try await connection.withClient { try await $0.get("/v1.0/jobs/schemas") }
            AdminOutput.printList(
                reply["schemas"]?.arrayValue ?? [], columns: [("type", "Type"), ("resource", "Resource")],
                format: connection.format)
        }
    }
}
