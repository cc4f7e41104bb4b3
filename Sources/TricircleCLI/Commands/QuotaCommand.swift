import ArgumentParser
import Foundation
import OpenStackModels

/// `tricircle quota show PROJECT`: a project's quotas over all regions (a client of the admin API).
struct QuotaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quota", abstract: "A project's quotas over all regions: limit, in use, reserved, each region's part.",
        subcommands: [Show.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show every quota of a project: limit, in use and reserved at the top; per region what it holds / its own quota.")
        @OptionGroup var connection: AdminConnectionOptions
        @Argument(help: "Project id.") var project: String

        func run() async throws {
            let reply = try await connection.withClient { try await $0.get("/v1.0/quotas/\(AdminPath.escape(project))") }
            AdminOutput.printList(
                reply["quota"]?["resources"]?.arrayValue ?? [],
                columns: [("service", "Service"), ("resource", "Resource"), ("limit", "Limit"), ("in_use", "In Use"),
                          ("reserved", "Reserved"), ("regions_summary", "Regions (in use/own quota)")],
                format: connection.format)
        }
    }
}
