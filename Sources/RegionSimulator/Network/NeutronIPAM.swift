import Foundation
import OpenStackModels

/// Address bookkeeping of one subnet: pools, gateway and who holds which address.
///
/// Allocation walks the pools from a cursor, so handing out N addresses costs O(N) overall, and keeps
/// a count of addresses taken inside the pools so exhaustion is known without a scan.
struct SubnetIPAM: Sendable {
    struct Range: Sendable, Hashable {
        var low: UInt128
        var high: UInt128
        var size: UInt128 { high &- low &+ 1 }
    }

    var cidr: IPNetwork
    var pools: [Range]
    var gateway: UInt128?
    /// Address -> port id.
    var allocated: [UInt128: String] = [:]
    var allocatedInPools: UInt128 = 0
    var poolCapacity: UInt128
    /// SLAAC / DHCPv6-stateless: addresses derive from the MAC, pools are not used.
    var autoAddress: Bool
    private var cursorPool = 0
    private var cursor: UInt128

    init(cidr: IPNetwork, pools: [Range], gateway: UInt128?, autoAddress: Bool) {
        self.cidr = cidr
        self.pools = pools
        self.gateway = gateway
        self.autoAddress = autoAddress
        self.poolCapacity = pools.reduce(UInt128(0)) { total, r in
            let (sum, overflow) = total.addingReportingOverflow(r.size)
            return overflow ? UInt128.max : sum
        }
        self.cursor = pools.first?.low ?? 0
    }

    func inPools(_ value: UInt128) -> Bool { pools.contains { value >= $0.low && value <= $0.high } }

    /// True when the address may be given to a port at all (inside the CIDR, not network/broadcast).
    func isUsable(_ value: UInt128) -> Bool { cidr.isAssignable(value) }

    var isExhausted: Bool { allocatedInPools >= poolCapacity }

    /// Takes the next free address from the pools; nil when exhausted.
    mutating func allocateNext(for portID: String) -> UInt128? {
        guard !isExhausted, !pools.isEmpty else { return nil }
        if cursorPool >= pools.count { cursorPool = 0; cursor = pools[0].low }
        // Each step moves the cursor; at most capacity + pools steps before wrapping finds a hole.
        while true {
            let pool = pools[cursorPool]
            if cursor < pool.low || cursor > pool.high { cursor = pool.low }
            let candidate = cursor
            if cursor == pool.high {
                cursorPool = (cursorPool + 1) % pools.count
                cursor = pools[cursorPool].low
            } else {
                cursor += 1
            }
            if allocated[candidate] == nil, candidate != gateway {
                take(candidate, for: portID)
                return candidate
            }
        }
    }

    mutating func take(_ value: UInt128, for portID: String) {
        allocated[value] = portID
        if inPools(value) { allocatedInPools += 1 }
    }

    mutating func release(_ value: UInt128) {
        if allocated.removeValue(forKey: value) != nil, inPools(value) { allocatedInPools -= 1 }
    }

    /// Replaces the pools (subnet update) keeping existing allocations.
    mutating func setPools(_ newPools: [Range]) {
        pools = newPools
        poolCapacity = newPools.reduce(UInt128(0)) { total, r in
            let (sum, overflow) = total.addingReportingOverflow(r.size)
            return overflow ? UInt128.max : sum
        }
        allocatedInPools = UInt128(allocated.keys.filter { inPools($0) }.count)
        cursorPool = 0
        cursor = newPools.first?.low ?? 0
    }

    /// Neutron's default pools: the whole CIDR minus network, broadcast (IPv4) and gateway.
    static func defaultPools(cidr: IPNetwork, gateway: UInt128?) -> [Range] {
        cidr.defaultPoolBounds(gateway: gateway).map { Range(low: $0.low, high: $0.high) }
    }
}
