import Foundation
import Testing
import TricircleTestSupport

@testable import OpenStackModels

/// The gateway's own JSON reader and writer must read what `JSONDecoder` read and write exactly what
/// `JSONEncoder` (sorted keys, unescaped slashes) wrote, since clients and signatures saw those bytes before.
@Suite struct JSONValueParsingTests {
    /// A Nova server view as 2.100 shows it (abridged from the API reference), with the shapes a pod answer has.
    static let serverView = #"""
    {"server": {"OS-DCF:diskConfig": "AUTO", "OS-EXT-AZ:availability_zone": "nova", "OS-EXT-SRV-ATTR:host": "compute",
     "OS-EXT-STS:power_state": 1, "OS-EXT-STS:task_state": null, "OS-EXT-STS:vm_state": "active",
     "OS-SRV-USG:launched_at": "2019-04-23T15:19:10.000000", "OS-SRV-USG:terminated_at": null, "accessIPv4": "1.2.3.4",
     "accessIPv6": "80fe::", "addresses": {"private": [{"OS-EXT-IPS-MAC:mac_addr": "00:0c:29:0d:11:74",
     "OS-EXT-IPS:type": "fixed", "addr": "192.168.1.30", "version": 4}]}, "config_drive": "", "created": "2019-04-23T15:19:09Z",
     "description": "n\u00e9e \"quoted\" \\ back\/slash \ud83d\ude00 tab\t", "flavor": {"disk": 1, "ephemeral": 0,
     "extra_specs": {"hw:numa_nodes": "1"}, "original_name": "m1.tiny.specs", "ram": 512, "swap": 0, "vcpus": 1},
     "hostId": "2091634baaccdc4c5a1d57069c833e402921df696b7f970791b12ec6", "id": "2ce4c5b3-2866-4972-93ce-77a2ea46a7f9",
     "image": {"id": "70a599e0-31e7-49b7-b260-868f441e862b", "links": [{"href": "http://openstack.example.com/6f70656e737461636b20342065766572/images/70a599e0-31e7-49b7-b260-868f441e862b", "rel": "bookmark"}]},
     "key_name": null, "locked": true, "locked_reason": null, "metadata": {"My Server Name": "Apache1"}, "name": "new-server-test",
     "progress": 0, "security_groups": [{"name": "default"}], "server_groups": [], "status": "ACTIVE", "tags": [],
     "tenant_id": "6f70656e737461636b20342065766572", "trusted_image_certificates": null, "updated": "2019-04-23T15:19:11Z",
     "user_id": "fake", "cpu": 0.25, "big": 12345678901234568, "small": -1.5e-7, "zero": -0, "huge": 1E+300}}
    """#

    static func foundationDecode(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    static func foundationEncode(_ value: JSONValue) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test func readsWhatJSONDecoderReads() throws {
        let ours = try JSONValue(data: Data(Self.serverView.utf8))
        #expect(ours == (try Self.foundationDecode(Self.serverView)))
        #expect(ours["server"]?["description"]?.stringValue == "née \"quoted\" \\ back/slash 😀 tab\t")
        #expect(ours["server"]?["big"]?.doubleValue == 12345678901234568)
        #expect(ours["server"]?["small"]?.doubleValue == -1.5e-7)
    }

    @Test func writesWhatJSONEncoderWrote() throws {
        let value = try JSONValue(data: Data(Self.serverView.utf8))
        #expect(String(decoding: value.encoded(), as: UTF8.self) == (try Self.foundationEncode(value)))
        let awkward: JSONValue = [
            "control": .string("\u{0}\u{1}\u{8}\u{9}\u{a}\u{b}\u{c}\u{d}\u{1f}\u{7f}\u{2028}"), "é": 1, "e": 2, "B": 3, "_": 4, "a10": 5, "a9": 6,
            "numbers": [0.1, 1e-5, 1e20, 123456789.125, -0.0, 8.9e15, 9.1e15, -42, 3, 1.7976931348623157e308, .number(Double.leastNonzeroMagnitude)],
            "nested": [[], [:], [nil, true, false]],
        ]
        #expect(String(decoding: awkward.encoded(), as: UTF8.self) == (try Self.foundationEncode(awkward)))
    }

    /// Random documents: whatever one side writes, the other reads back equal, and both writers agree.
    @Test func randomDocumentsRoundTripLikeFoundation() throws {
        var generator = SeededGenerator(seed: 2026)
        for _ in 0..<300 {
            let value = Self.randomValue(&generator, depth: 0)
            let ourBytes = value.encoded()
            let theirs = try Self.foundationEncode(value)
            #expect(String(decoding: ourBytes, as: UTF8.self) == theirs)
            #expect(try JSONValue(data: ourBytes) == (try Self.foundationDecode(theirs)))
        }
    }

    @Test(arguments: [
        "[1,]", "{\"a\":1,}", "01", "[01]", "1e400", "-1e400", "\"\\ud800\"", "\"\\ude00\"", "\"\\ud800\\u0041\"", "\"a\u{1}\"",
        "[1] x", "NaN", "Infinity", "-", "1.", ".5", "1e", "1e+", "[1 2]", "{1:2}", "nul", "tru", "\"\\x\"", "\"abc", "[", "{\"a\"",
        "{\"a\" 1}", "", "  ", "// c\n1", "'a'", "+1", "0x10",
    ])
    func refusesWhatIsNotJSON(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue(data: Data(text.utf8)) }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONValue(data: Data([0x22, 0xFF, 0x22])) }
        #expect(throws: JSONParseError.self) { try JSONValue(data: Data([0x22, 0x5C, 0x6E, 0xC3, 0x22])) }
    }

    @Test func acceptsWhitespaceByteOrderMarkAndFragments() throws {
        #expect(try JSONValue(data: Data(" \n\t{ \"a\" : [ ] }\r\n".utf8)) == ["a": []])
        #expect(try JSONValue(data: Data([0xEF, 0xBB, 0xBF] + Array("1".utf8))) == 1)
        #expect(try JSONValue(data: Data("\"x\"".utf8)) == "x")
        #expect(try JSONValue(data: Data("-0".utf8)) == .number(-0.0))
        #expect(try JSONValue(data: Data("9007199254740993".utf8)) == .number(9007199254740992))
    }

    /// Python's json, which every OpenStack service reads requests with, keeps the last of duplicate keys.
    @Test func laterDuplicateKeyWins() throws {
        #expect(try JSONValue(data: Data("{\"a\":1,\"a\":2}".utf8)) == ["a": 2])
    }

    /// A hostile body nested thousands deep is refused, not recursed into until the stack ends.
    @Test func nestingIsBounded() throws {
        let ok = String(repeating: "[", count: JSONParser.maxDepth) + String(repeating: "]", count: JSONParser.maxDepth)
        #expect(throws: Never.self) { try JSONValue(data: Data(ok.utf8)) }
        for depth in [JSONParser.maxDepth + 1, 100_000] {
            let deep = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            #expect(throws: JSONParseError.self) { try JSONValue(data: Data(deep.utf8)) }
            let objects = String(repeating: "{\"a\":", count: depth) + "1" + String(repeating: "}", count: depth)
            #expect(throws: JSONParseError.self) { try JSONValue(data: Data(objects.utf8)) }
        }
    }

    static func randomValue(_ g: inout SeededGenerator, depth: Int) -> JSONValue {
        switch g.next() % (depth > 3 ? 4 : 6) {
        case 0: return .null
        case 1: return .bool(g.next() % 2 == 0)
        case 2:
            switch g.next() % 3 {
            case 0: return .number(Double(Int64(bitPattern: g.next()) % 1_000_000_000))
            case 1: return .number(Double(bitPattern: g.next() & 0x7FEF_FFFF_FFFF_FFFF) * (g.next() % 2 == 0 ? 1 : -1))
            default: return .number(Double(g.next() % 100_000) / 1000)
            }
        case 3: return .string(randomString(&g))
        case 4: return .array((0..<Int(g.next() % 5)).map { _ in randomValue(&g, depth: depth + 1) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int(g.next() % 6) { members[randomString(&g)] = randomValue(&g, depth: depth + 1) }
            return .object(members)
        }
    }

    static func randomString(_ g: inout SeededGenerator) -> String {
        let alphabet: [Unicode.Scalar] = ["a", "Z", "0", "_", "-", ":", "/", "\\", "\"", " ", "\u{0}", "\u{1f}", "\n", "é", "€", "😀", "\u{7f}", "\u{2028}"]
        var text = ""
        for _ in 0..<Int(g.next() % 12) { text.unicodeScalars.append(alphabet[Int(g.next() % UInt64(alphabet.count))]) }
        return text
    }
}
