import ArgumentParser
import OpenStackModels

/// `tricircle pod add|list|show|delete`: the regions the gateway spans (a client of the admin API).
struct PodCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pod", abstract: "Register and inspect pods (the top region and the bottom regions).",
        subcommands: [Add.self, List.self, Show.self, Delete.self])

    static let fieldOrder = ["pod_id", "region_name", "az_name", "pod_az_name", "dc_name", "created_at", "updated_at"]

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a pod. Without --az-name it becomes the top pod (only one may exist).")
        @OptionGroup var connection: AdminConnectionOptions
        @Option(name: .customLong("region-name"), help: "Keystone region name of the pod (must exist in Keystone).") var regionName: String
        @Option(name: .customLong("az-name"), help: "Availability zone at the top this pod serves; empty for the top pod.") var azName: String = ""
        @Option(name: .customLong("pod-az-name"), help: "AZ name used inside the pod (requests forwarded there carry it).") var podAZName: String = ""
        @Option(name: .customLong("dc-name"), help: "Data centre name (informational).") var dcName: String = ""

        func run() async throws {
            let body = JSONValue.object(["pod": .object([
                "region_name": .string(regionName), "az_name": .string(azName),
                "pod_az_name": .string(podAZName), "dc_name": .string(dcName),
            ])])
            let reply = try await connection.withClient { try await $0.post("/v1.0/pods", body) }
            AdminOutput.printObject(reply["pod"] ?? reply, order: PodCommand.fieldOrder, format: connection.format)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List pods.")
        @OptionGroup var connection: AdminConnectionOptions

        func run() async throws {
            let reply = try await connection.withClient { try await $0.get("/v1.0/pods") }
            AdminOutput.printList(
                reply["pods"]?.arrayValue ?? [],
                columns: [("pod_id", "Pod ID"), ("region_name", "Region Name"), ("az_name", "AZ Name"),
                          ("pod_az_name", "Pod AZ Name"), ("dc_name", "DC Name")],
                format: connection.format)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one pod.")
        @OptionGroup var connection: AdminConnectionOptions
        @Argument(help: "Pod id.") var id: String

        func run() async throws {
            let reply = try await connection.withClient { try await $0.get("/v1.0/pods/\(AdminPath.escape(id))") }
            AdminOutput.printObject(reply["pod"] ?? reply, order: PodCommand.fieldOrder, format: connection.format)
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a pod (refused while routings point at it).")
        @OptionGroup var connection: AdminConnectionOptions
        @Argument(help: "Pod id.") var id: String

        func run() async throws {
            _ = try await connection.withClient { try await $0.delete("/v1.0/pods/\(AdminPath.escape(id))") }
            if connection.format == .table { print("Deleted pod \(id)") }
        }
    }
}
