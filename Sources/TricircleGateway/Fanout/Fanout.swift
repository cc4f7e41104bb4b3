/// "Ask every pod at once": one child task per element, results in the elements' order. The one way the
/// gateway fans a call out (merged paged lists use `CrossPodLister`, which builds on the same idea).
///
/// A pod's call that fails stays that pod's result (`results`), so one dead region does not hide the
/// others' answers, except a pod refusing the caller's token (`PodRejectedToken`): that is about the
/// caller, not the pod, and fails the whole request with a 401 instead of a partial answer. `all` and
/// `each` are for work that must succeed everywhere (the first failure cancels the rest and is thrown).
public enum Fanout {
    /// Every element's outcome, in the elements' order; throws only a `PodRejectedToken`.
    public static func results<Element: Sendable, Value: Sendable>(
        _ elements: [Element], _ body: @escaping @Sendable (Element) async throws -> Value
    ) async throws(PodRejectedToken) -> [Result<Value, any Error>] {
        let results = await outcomes(elements, body)
        for case .failure(let error as PodRejectedToken) in results { throw error }
        return results
    }

    /// Every element's outcome, in the elements' order, whatever failed: for work that must know each
    /// element's fate (what to undo, what to log), where no one failure is the caller's answer.
    public static func outcomes<Element: Sendable, Value: Sendable>(
        _ elements: [Element], _ body: @escaping @Sendable (Element) async throws -> Value
    ) async -> [Result<Value, any Error>] {
        await withTaskGroup(of: (Int, Result<Value, any Error>).self) { group in
            for (index, element) in elements.enumerated() {
                group.addTask {
                    do { return (index, .success(try await body(element))) } catch { return (index, .failure(error)) }
                }
            }
            var out = [Result<Value, any Error>?](repeating: nil, count: elements.count)
            for await (index, result) in group { out[index] = result }
            return out.map { $0 ?? .failure(CancellationError()) }
        }
    }

    /// Every element's value, in order; the first failure cancels the other calls and is thrown.
    public static func all<Element: Sendable, Value: Sendable>(
        _ elements: [Element], _ body: @escaping @Sendable (Element) async throws -> Value
    ) async throws -> [Value] {
        try await withThrowingTaskGroup(of: (Int, Value).self) { group in
            for (index, element) in elements.enumerated() {
                group.addTask { (index, try await body(element)) }
            }
            var out = [Value?](repeating: nil, count: elements.count)
            for try await (index, value) in group { out[index] = value }
            return out.compactMap { $0 }
        }
    }

    /// Every element's value, in order, with at most `width` calls running at a time (a pod asked about
    /// hundreds of things at once); the first failure cancels the other calls and is thrown.
    public static func all<Element: Sendable, Value: Sendable>(
        _ elements: [Element], atMost width: Int, _ body: @escaping @Sendable (Element) async throws -> Value
    ) async throws -> [Value] {
        try await withThrowingTaskGroup(of: (Int, Value).self) { group in
            var out = [Value?](repeating: nil, count: elements.count)
            for (index, element) in elements.enumerated() {
                if index >= max(width, 1), let (done, value) = try await group.next() { out[done] = value }
                group.addTask { (index, try await body(element)) }
            }
            for try await (index, value) in group { out[index] = value }
            return out.compactMap { $0 }
        }
    }

    /// Runs `body` for every element at once; the first failure cancels the others and is thrown.
    public static func each<Element: Sendable>(
        _ elements: [Element], _ body: @escaping @Sendable (Element) async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for element in elements { group.addTask { try await body(element) } }
            try await group.waitForAll()
        }
    }

    /// The first non-nil answer in the elements' order of arrival (the others are cancelled once found).
    public static func first<Element: Sendable, Value: Sendable>(
        _ elements: [Element], _ body: @escaping @Sendable (Element) async -> Value?
    ) async -> Value? {
        await withTaskGroup(of: Value?.self) { group in
            for element in elements { group.addTask { await body(element) } }
            for await value in group {
                if let value {
                    group.cancelAll()
                    return value
                }
            }
            return nil
        }
    }
}
