import Foundation
import Testing
import TricircleCore

@Suite("Configuration")
struct ConfigTests {
    @Test("defaults start on SQLite under ./data with nothing configured")
    func defaults() throws {
        let config = try TricircleConfig.defaults()
        #expect(config.databaseURL == "sqlite://data/tricircle.sqlite" || config.databaseURL == "sqlite://./data/tricircle.sqlite")
        #expect(config.adminPort == 19999)
        #expect(config.jobWorkers == 2)
    }

    @Test("file values apply, and the environment wins over the file")
    func precedence() throws {
        let file = try ConfigFile(path: "t.conf", text: """
            [DEFAULT]
            debug = true
            [database]
            connection = postgresql://u:p@127.0.0.1:5432/db
            [gateway]
            admin_port = 20000
            """)
        let values = try ConfigValues(
            options: TricircleOptions.all, files: [file],
            environment: ["TRICIRCLE_GATEWAY__ADMIN_PORT": "20001", "PATH": "/bin"])
        let config = TricircleConfig(values: values)
        #expect(config.debug)
        #expect(config.databaseURL == "postgresql://u:p@127.0.0.1:5432/db")
        #expect(config.adminPort == 20001)
    }

    @Test("unknown options and bad values are all reported at once, with file and line")
    func errors() throws {
        let file = try ConfigFile(path: "bad.conf", text: """
            [gateway]
            admin_port = lots
            colour = blue
            [job]
            workers = -3
            """)
        do {
            _ = try ConfigValues(options: TricircleOptions.all, files: [file], environment: ["TRICIRCLE_JOB__NOPE": "1"])
            Issue.record("expected an error")
        } catch let error as ConfigError {
            #expect(error.description.contains("bad.conf:2"))
            #expect(error.description.contains("unknown option 'colour'"))
            #expect(error.description.contains("bad.conf:5"))
            #expect(error.description.contains("TRICIRCLE_JOB__NOPE"))
        }
    }

    @Test("malformed lines name the line")
    func malformed() {
        #expect(throws: ConfigError.self) { try ConfigFile(path: "x", text: "name = outside") }
        #expect(throws: ConfigError.self) { try ConfigFile(path: "x", text: "[DEFAULT\nx=1") }
        #expect(throws: ConfigError.self) { try ConfigFile(path: "x", text: "[DEFAULT]\njust words") }
    }

    @Test("a database URL with another scheme is refused")
    func badScheme() {
        #expect(throws: ConfigError.self) { try TricircleConfig.defaults(overrides: ["database.connection": "mysql://x"]) }
    }

    @Test("timestamps round-trip and sort as strings")
    func timestamps() throws {
        let a = Date(timeIntervalSince1970: 1_700_000_000.123456)
        let text = Timestamp.format(a)
        #expect(text == "2023-11-14T22:13:20.123456Z")
        let back = try #require(Timestamp.parse(text))
        #expect(abs(back.timeIntervalSince1970 - a.timeIntervalSince1970) < 0.000002)
        #expect(Timestamp.format(a) < Timestamp.format(a.addingTimeInterval(0.000001)))
        #expect(Timestamp.parse("2023-11-14 22:13:20") == nil)
    }
}
