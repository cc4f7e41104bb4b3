import Foundation

/// x509 key pairs generated as Nova generates them (`nova.crypto.generate_winrm_x509_cert`): a self-signed
/// RSA certificate for `CN=<user>` usable for WinRM client auth, and its key as a base64 PKCS#12 bundle with
/// an empty password. Nova runs `openssl` for both; so does this, with the same arguments.
enum KeypairX509 {
    /// Why a generation failed (no `openssl` on this host, or it refused).
    struct Failure: Error { var reason: String }

    static func generate(userID: String, bits: Int = 2048) async throws -> (certificate: String, privateKey: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tricircle-x509-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let keyFile = directory.appendingPathComponent("temp.key").path
        let configFile = directory.appendingPathComponent("temp.conf").path
        let config = """
            distinguished_name  = req_distinguished_name
            [req_distinguished_name]
            [v3_req_client]
            extendedKeyUsage = clientAuth
            subjectAltName = otherName:1.3.6.1.4.1.311.20.2.3;UTF8:\(userID)@localhost

            """
        try Data(config.utf8).write(to: URL(fileURLWithPath: configFile))
        let certificate = try await run([
            "req", "-x509", "-nodes", "-days", "3650", "-config", configFile, "-newkey", "rsa:\(bits)",
            "-outform", "PEM", "-keyout", keyFile, "-subj", "/CN=\(userID)", "-extensions", "v3_req_client",
        ])
        let bundle = try await run(["pkcs12", "-export", "-inkey", keyFile, "-password", "pass:"], input: certificate)
        guard let text = String(data: certificate, encoding: .utf8), text.contains("BEGIN CERTIFICATE"), !bundle.isEmpty else {
            throw Failure(reason: "openssl produced no certificate")
        }
        return (text, bundle.base64EncodedString())
    }

    /// Runs `openssl` with `arguments`, feeding `input`, and returns its standard output.
    private static func run(_ arguments: [String], input: Data? = nil) async throws -> Data {
        let result: (status: Int32, output: [UInt8])
        do {
            result = try await ChildProcess.run("openssl", arguments, input: input.map { Array($0) } ?? [])
        } catch {
            throw Failure(reason: "openssl could not be started: \(error)")
        }
        guard result.status == 0 else { throw Failure(reason: "openssl exited with \(result.status)") }
        return Data(result.output)
    }
}
