import ArgumentParser
import AsyncHTTPClient
import Foundation
import GatewayTestHarness
import NIOCore
import RegionSimulator
import TricircleCore
import TricircleGateway
import TricircleJobs

/// Image data through the gateway: upload and download streamed through the top Image API, the same
/// download straight from the home Glance, and an `image_copy` job to another pod; MiB/s and peak RSS.
/// Everything runs in this process, and the simulated Glances keep image data in memory (home + copy), so
/// the RSS figure bounds the gateway's share from above; run the gateway as its own process for its own.
struct ImageBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image", abstract: "Image upload/download through the gateway and a copy job to a pod (MiB/s, peak RSS).")

    @Option(name: .customLong("size-mib"), help: "Image size in MiB.")
    var sizeMiB: Int = 64

    func run() async throws {
        let size = sizeMiB << 20
        try await GatewayHarness.with(overrides: ["DEFAULT.debug": "false"]) { harness in
            let token = try harness.token(user: "demo")
            let base = harness.url("image")
            print("image benchmark: \(sizeMiB) MiB, peak RSS at start \(Self.peakRSSMiB()) MiB")
            let created = try await harness.send(
                "POST", base + "/v2/images", token: token.id,
                body: #"{"name": "bench", "disk_format": "raw", "container_format": "bare"}"#)
            guard let id = created.json["id"]?.stringValue else { throw ValidationError("image create failed: \(created.text)") }

            var upload = HTTPClientRequest(url: base + "/v2/images/\(id)/file")
            upload.method = .PUT
            upload.headers.add(name: "X-Auth-Token", value: token.id)
            upload.headers.add(name: "Content-Type", value: "application/octet-stream")
            upload.body = .stream(Self.generated(size), length: .known(Int64(size)))
            let clock = ContinuousClock()
            var start = clock.now
            let uploaded = try await harness.http.execute(upload, timeout: .seconds(600))
            _ = try await uploaded.body.collect(upTo: 1 << 20)
            report("upload through the gateway", status: Int(uploaded.status.code), elapsed: clock.now - start, size: size)

            start = clock.now
            let downloaded = try await Self.drain(harness.http, url: base + "/v2/images/\(id)/file", token: token.id)
            report("download through the gateway", status: downloaded, elapsed: clock.now - start, size: size)

            if let glance = harness.cloud.endpoint(region: "RegionOne", service: .image) {
                start = clock.now
                let direct = try await Self.drain(harness.http, url: glance + "/v2/images/\(id)/file", token: token.id)
                report("download straight from the home Glance", status: direct, elapsed: clock.now - start, size: size)
            }

            let pod = try await harness.pod("RegionTwo")
            start = clock.now
            let job = try await harness.runtime.jobs.submit(
                type: "image_copy", projectID: token.projectID, resource: ["image_id": id, "pod_id": pod.podID])
            var finished = try await harness.runtime.jobs.get(job.id)
            while finished.status == .new || finished.status == .running {
                try await Task.sleep(for: .milliseconds(10))
                finished = try await harness.runtime.jobs.get(job.id)
            }
            report("copy job RegionOne -> RegionTwo (\(finished.status.rawValue)\(finished.lastError.map { ": " + $0 } ?? ""))",
                   status: finished.status == .success ? 200 : 500, elapsed: clock.now - start, size: size)
        }
    }

    func report(_ what: String, status: Int, elapsed: Duration, size: Int) {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = Double(size) / Double(1 << 20) / max(seconds, 1e-9)
        let label = what.padding(toLength: max(60, what.count), withPad: " ", startingAt: 0)
        print("  " + label + String(format: " %6.2f s  %8.1f MiB/s  status %d  peak RSS %d MiB", seconds, rate, status, Self.peakRSSMiB()))
    }

    /// Reads a download to the end without keeping it; returns the status.
    static func drain(_ http: HTTPClient, url: String, token: String) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "X-Auth-Token", value: token)
        let response = try await http.execute(request, timeout: .seconds(600))
        for try await _ in response.body {}
        return Int(response.status.code)
    }

    /// `size` bytes made on the fly in 64 KiB chunks (the benchmark holds no image in memory itself).
    static func generated(_ size: Int) -> GeneratedBytes { GeneratedBytes(size: size) }

    /// This process's peak resident set (VmHWM), MiB; 0 where /proc is missing.
    static func peakRSSMiB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return 0 }
        return kib / 1024
    }
}

/// A body of `size` generated bytes, 64 KiB at a time.
struct GeneratedBytes: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let size: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        let size: Int
        var sent = 0
        let chunk = ByteBuffer(bytes: (0..<65_536).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 7) })

        mutating func next() async -> ByteBuffer? {
            guard sent < size else { return nil }
            let count = Swift.min(65_536, size - sent)
            sent += count
            return chunk.getSlice(at: 0, length: count)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(size: size) }
}
