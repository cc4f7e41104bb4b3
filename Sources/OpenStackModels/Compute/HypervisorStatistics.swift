import Foundation

/// Nova's `os-hypervisors/statistics` body (until 2.87): capacity and use summed over hypervisors.
public struct HypervisorStatistics: Codable, Sendable, Hashable {
    public var count = 0
    public var vcpus = 0
    public var vcpusUsed = 0
    public var memoryMB = 0
    public var memoryMBUsed = 0
    public var freeRAMMB = 0
    public var localGB = 0
    public var localGBUsed = 0
    public var freeDiskGB = 0
    public var diskAvailableLeast = 0
    public var runningVMs = 0
    public var currentWorkload = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case count, vcpus
        case vcpusUsed = "vcpus_used", memoryMB = "memory_mb", memoryMBUsed = "memory_mb_used", freeRAMMB = "free_ram_mb"
        case localGB = "local_gb", localGBUsed = "local_gb_used", freeDiskGB = "free_disk_gb"
        case diskAvailableLeast = "disk_available_least", runningVMs = "running_vms", currentWorkload = "current_workload"
    }

    /// Lenient: a missing field counts as 0 (older or trimmed answers).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func value(_ key: CodingKeys) throws -> Int { try c.decodeIfPresent(Int.self, forKey: key) ?? 0 }
        count = try value(.count)
        vcpus = try value(.vcpus)
        vcpusUsed = try value(.vcpusUsed)
        memoryMB = try value(.memoryMB)
        memoryMBUsed = try value(.memoryMBUsed)
        freeRAMMB = try value(.freeRAMMB)
        localGB = try value(.localGB)
        localGBUsed = try value(.localGBUsed)
        freeDiskGB = try value(.freeDiskGB)
        diskAvailableLeast = try value(.diskAvailableLeast)
        runningVMs = try value(.runningVMs)
        currentWorkload = try value(.currentWorkload)
    }

    /// The sum of two regions' statistics.
    public static func + (a: Self, b: Self) -> Self {
        var s = Self()
        s.count = a.count + b.count
        s.vcpus = a.vcpus + b.vcpus
        s.vcpusUsed = a.vcpusUsed + b.vcpusUsed
        s.memoryMB = a.memoryMB + b.memoryMB
        s.memoryMBUsed = a.memoryMBUsed + b.memoryMBUsed
        s.freeRAMMB = a.freeRAMMB + b.freeRAMMB
        s.localGB = a.localGB + b.localGB
        s.localGBUsed = a.localGBUsed + b.localGBUsed
        s.freeDiskGB = a.freeDiskGB + b.freeDiskGB
        s.diskAvailableLeast = a.diskAvailableLeast + b.diskAvailableLeast
        s.runningVMs = a.runningVMs + b.runningVMs
        s.currentWorkload = a.currentWorkload + b.currentWorkload
        return s
    }
}

/// One project's entry in Nova's `os-simple-tenant-usage` answers: the totals the top sums over
/// regions; `server_usages` and the period are kept as the regions wrote them.
public struct TenantUsageTotals: Codable, Sendable, Hashable {
    public var tenantID: String
    public var totalHours: Double
    public var totalVCPUsUsage: Double
    public var totalMemoryMBUsage: Double
    public var totalLocalGBUsage: Double

    enum CodingKeys: String, CodingKey {
        case tenantID = "tenant_id", totalHours = "total_hours", totalVCPUsUsage = "total_vcpus_usage"
        case totalMemoryMBUsage = "total_memory_mb_usage", totalLocalGBUsage = "total_local_gb_usage"
    }

    public init(tenantID: String, totalHours: Double = 0, totalVCPUsUsage: Double = 0, totalMemoryMBUsage: Double = 0, totalLocalGBUsage: Double = 0) {
        self.tenantID = tenantID
        self.totalHours = totalHours
        self.totalVCPUsUsage = totalVCPUsUsage
        self.totalMemoryMBUsage = totalMemoryMBUsage
        self.totalLocalGBUsage = totalLocalGBUsage
    }

    /// Adds another region's totals for the same project.
    public mutating func add(_ other: Self) {
        totalHours += other.totalHours
        totalVCPUsUsage += other.totalVCPUsUsage
        totalMemoryMBUsage += other.totalMemoryMBUsage
        totalLocalGBUsage += other.totalLocalGBUsage
    }
}
