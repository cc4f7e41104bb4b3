import SQLKit

/// Quota reservations that a create's top rows settle as they are written: each row of `table` inserted for a
/// project takes one unit off that project's reservation in the same transaction. Without it a row already
/// written and its unit still reserved were both counted until the request ended, so a concurrent check at
/// the limit refused a create that fitted (Neutron's resources are counted from the top's rows).
public struct RowSettledReservations: Sendable {
    /// The top table whose rows settle the reservations.
    public var table: String
    /// Project -> the reservation its rows settle.
    public var reservationByProject: [String: String]

    public init(table: String, reservationByProject: [String: String]) {
        self.table = table
        self.reservationByProject = reservationByProject
    }

    /// The reservations the current request's inserts settle (set around the create by the quota check).
    @TaskLocal public static var current: RowSettledReservations?

    /// Called inside the transaction that inserted a row of `table` for `projectID` (with `current` as read before
    /// that transaction began: PostgreSQL runs a transaction's body where task-locals are not seen).
    func settle(table: String, projectID: String, on db: any SQLDatabase) async throws {
        guard self.table == table, let id = reservationByProject[projectID] else { return }
        try await db.raw("UPDATE quota_reservations SET amount = amount - 1 WHERE id = \(bind: id) AND amount > 0").run()
    }
}
