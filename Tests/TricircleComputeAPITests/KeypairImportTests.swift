import Foundation
import GatewayTestHarness
import OpenStackModels
import Testing

/// Key pairs as Nova keeps them: an imported key exactly as given, and x509 key pairs generated.
@Suite("Compute key pairs: imported text and x509")
struct KeypairImportTests {
    @Test("an imported public key ending in a newline is stored and answered with it")
    func importedKeyKeepsItsNewline() async throws {
        try await GatewayHarness.with { harness in
            let demo = try CatalogClient(harness)
            let key = KeypairTests.publicKey + "\n"
            let created = try await demo.send("POST", "/os-keypairs", ["keypair": ["name": "nl", "public_key": .string(key)]], version: "2.2")
            #expect(created.status == 201)
            #expect(created.json["keypair"]?["public_key"]?.stringValue == key)
            #expect(created.json["keypair"]?["fingerprint"]?.stringValue == KeypairTests.fingerprint)
            let shown = try await demo.send("GET", "/os-keypairs/nl")
            #expect(shown.json["keypair"]?["public_key"]?.stringValue == key)
            let listed = try await demo.send("GET", "/os-keypairs")
            #expect(listed.json["keypairs"]?.at(0)?["keypair"]?["public_key"]?.stringValue == key)
        }
    }

    @Test("an x509 key pair without a public key gets a generated certificate and a PKCS#12 private key")
    func x509Generated() async throws {
        try await GatewayHarness.with { harness in
            let demo = try CatalogClient(harness)
            let created = try await demo.send("POST", "/os-keypairs", ["keypair": ["name": "cert", "type": "x509"]], version: "2.2")
            #expect(created.status == 201)
            let keypair = created.json["keypair"]
            #expect(keypair?["type"] == "x509")
            let certificate = try #require(keypair?["public_key"]?.stringValue)
            #expect(certificate.hasPrefix("-----BEGIN CERTIFICATE-----\n"))
            // Nova's fingerprint of a certificate is its SHA-1: 20 bytes, colon separated.
            #expect(keypair?["fingerprint"]?.stringValue?.split(separator: ":").count == 20)
            let bundle = try #require(keypair?["private_key"]?.stringValue)
            #expect(Data(base64Encoded: bundle).map { $0.first == 0x30 && $0.count > 1000 } == true)
            let shown = try await demo.send("GET", "/os-keypairs/cert", version: "2.2")
            #expect(shown.json["keypair"]?["type"] == "x509")
            #expect(shown.json["keypair"]?["public_key"]?.stringValue == certificate)
            #expect(shown.json["keypair"]?["private_key"] == nil)
            // From 2.92 Nova generates nothing: a public key is required whatever the type.
            let late = try await demo.send("POST", "/os-keypairs", ["keypair": ["name": "late", "type": "x509"]], version: "2.92")
            #expect(late.status == 400)
        }
    }
}
