import Foundation

/// The request id of the work in progress, for everything it causes: pod calls made for a request (also in the
/// child tasks of a fan-out) and the jobs it submits carry it, so one id finds the whole story in the
/// gateway's log, its job rows and the regions' logs (oslo's global request id).
public enum RequestTrace {
    /// Set by the gateway for each request it serves and each job it runs; nil elsewhere.
    @TaskLocal public static var requestID: String?

    /// Whether `value` is an id oslo.middleware accepts as a global request id (`req-` + a UUID); anything
    /// else a client sends is ignored, so a log line can never carry a caller's arbitrary text.
    public static func isValid(_ value: some StringProtocol) -> Bool {
        guard value.count == 40, value.hasPrefix("req-") else { return false }
        return UUID(uuidString: String(value.dropFirst(4))) != nil
    }
}
