import ArgumentParser
import Foundation
import Logging
import TricircleCore
import TricircleGateway
import TricircleServer

/// `tricircle audit [--repair] [--json]`: what crashes left behind, between the top and the pods.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Compare the routing table and job queue with what every pod holds; exit 1 when anything is off.",
        discussion: """
            Reads the gateway's configuration (state database, Keystone service user) like `tricircle serve`, and
            lists every bottom pod's servers, volumes, snapshots, Neutron copies and image copies (all projects)
            with the service user. Reports four counts:
              orphans                  pod resources the gateway made that no routing row points at
              rows pointing at nothing routing rows whose bottom resource the pod no longer holds, and the top's
                                       own records no pod holds (ports a boot made for a server never recorded)
              jobs lost                jobs no worker will pick up again (dead lease, never due, given up after crashes)
              create-locks stuck       create-lock rows older than [routing] stale_lock_seconds
            Exit 0 when all four are 0, else 1. With --repair: orphans are deleted by `audit_orphan_delete` jobs
            (run by the gateway's job workers), rows pointing at nothing are dropped after the pod answers 404 once
            more (a server's as a show's 404 forgets it: the ports its boot made go too), stuck locks are released,
            lost jobs queued again. Safe to run at any time: nothing younger than
            --grace-seconds and no resource whose create-lock is held is touched. `[job] audit_interval` runs the
            same repair periodically as an `audit` job.
            """)

    @OptionGroup var options: ConfigOptionGroup

    @Flag(help: "Repair what is found (see above).")
    var repair = false

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Option(help: "Leave out pod resources, routing rows and expired leases younger than this many seconds (they may be mid-create).")
    var graceSeconds: Double = 60

    func run() async throws {
        let config = try options.load()
        // Logs go to stderr; keep them quiet unless asked, the report is the output.
        let level: Logger.Level = options.debug || config.debug ? .debug : .warning
        LoggingSetup.bootstrap(debug: false, json: config.logsAsJSON, level: level)
        let gateway = try await GatewayAssembly.start(config: config, logger: Logger(label: "tricircle.audit"))
        let report: AuditReport
        do {
            report = try await gateway.audit(graceSeconds: graceSeconds).run(repair: repair)
        } catch {
            await gateway.shutdown()
            throw error
        }
        await gateway.shutdown()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(Self.render(report))
        }
        if !report.isClean { throw ExitCode(1) }
    }

    static func render(_ report: AuditReport) -> String {
        var out: [String] = []
        let counts = report.counts
        out.append(table(["check", "count"], [
            ["orphans in pods", "\(counts.orphans)"],
            ["rows pointing at nothing", "\(counts.dangling)"],
            ["jobs lost", "\(counts.lostJobs)"],
            ["create-locks stuck", "\(counts.stuckLocks)"],
        ]))
        if !report.orphans.isEmpty {
            out.append("\nOrphans in pods:")
            out.append(table(["region", "type", "bottom id", "top id", "project", "created"], report.orphans.map {
                [$0.region, $0.resourceType.rawValue, $0.bottomID, $0.topID ?? "-", $0.projectID, $0.createdAt ?? "-"]
            }))
        }
        if !report.danglingRows.isEmpty {
            out.append("\nRows pointing at nothing:")
            out.append(table(["routing id", "type", "top id", "bottom id", "pod", "updated"], report.danglingRows.map {
                [$0.id, $0.resourceType.rawValue, $0.topID, $0.bottomID ?? "-", $0.podID, $0.updatedAt]
            }))
        }
        if !report.strandedTopRecords.isEmpty {
            out.append("\nTop records pointing at nothing (counted with the rows):")
            out.append(table(["type", "id", "project", "created", "why"], report.strandedTopRecords.map {
                [$0.resourceType, $0.id, $0.projectID, $0.createdAt, String($0.reason.prefix(80))]
            }))
        }
        if !report.lostJobs.isEmpty {
            out.append("\nJobs lost:")
            out.append(table(["job id", "type", "status", "why"], report.lostJobs.map {
                [$0.job.id, $0.job.type, $0.job.status.rawValue, String($0.reason.prefix(100))]
            }))
        }
        if !report.stuckLocks.isEmpty {
            out.append("\nCreate-locks stuck:")
            out.append(table(["routing id", "type", "top id", "pod", "since"], report.stuckLocks.map {
                [$0.id, $0.resourceType.rawValue, $0.topID, $0.podID, $0.updatedAt]
            }))
        }
        if !report.skipped.isEmpty {
            out.append("\nNot audited (could not be listed):")
            out.append(table(["region", "what", "error"], report.skipped.map { [$0.region, $0.what, String($0.error.prefix(100))] }))
        }
        if let repair = report.repair {
            out.append("\nRepair: \(repair.orphanJobsQueued) cleanup jobs queued, \(repair.rowsDropped) rows dropped, "
                       + "\(repair.locksReleased) locks released, \(repair.jobsRequeued) jobs queued again, "
                       + "\(repair.topRecordsRemoved) top records removed")
            for line in repair.skipped { out.append("  left alone: \(line)") }
        }
        return out.joined(separator: "\n")
    }

    static func table(_ headings: [String], _ rows: [[String]]) -> String {
        var widths = headings.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            "| " + zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: " | ") + " |"
        }
        let rule = "+" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "+") + "+"
        return ([rule, line(headings), rule] + rows.map(line) + [rule]).joined(separator: "\n")
    }
}
