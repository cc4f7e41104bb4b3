extension Substring {
    /// The first occurrence of `needle`, compared byte by byte in UTF-8. The request path searches short ASCII
    /// strings (a pod's origin in a header, "://", "/v2.1"): the standard library's generic `firstRange(of:)`
    /// cost more there than decoding the pod's answer, and Foundation's `range(of:)` bridges to NSString.
    public func utf8Range(of needle: String) -> Range<String.Index>? {
        let haystack = utf8
        var pattern = needle.utf8.makeIterator()
        guard let first = pattern.next() else { return startIndex..<startIndex }
        var start = haystack.startIndex
        while let candidate = haystack[start...].firstIndex(of: first) {
            var index = haystack.index(after: candidate)
            var rest = needle.utf8.dropFirst().makeIterator()
            var matched = true
            while let expected = rest.next() {
                guard index != haystack.endIndex, haystack[index] == expected else { matched = false; break }
                haystack.formIndex(after: &index)
            }
            if matched { return candidate..<index }
            start = haystack.index(after: candidate)
        }
        return nil
    }
}

extension String {
    /// `Substring.utf8Range(of:)` over the whole string.
    public func utf8Range(of needle: String) -> Range<String.Index>? { self[...].utf8Range(of: needle) }
}
