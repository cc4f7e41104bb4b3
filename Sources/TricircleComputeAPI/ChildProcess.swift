import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs a helper program (`openssl`) to completion: input written to its stdin, its stdout collected, stderr dropped.
///
/// Not Foundation's `Process`: on Linux its `run()` copies each `/proc/self/fd` entry's whole 256-byte name and reads
/// past glibc's buffer (swift-corelibs-foundation #5472, unfixed in Swift 6.3.1), which crashed the test process during an
/// x509 key pair create; a crash there would take the gateway down. The blocking spawn/read/wait runs on a Dispatch
/// worker, never on an event loop.
enum ChildProcess {
    /// Why a program could not be run.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The program's exit status (128 + signal when a signal ended it) and everything it wrote to stdout.
    static func run(_ program: String, _ arguments: [String], input: [UInt8] = []) async throws -> (status: Int32, output: [UInt8]) {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try runBlocking(program, arguments, input: input) })
            }
        }
    }

    private static func runBlocking(_ program: String, _ arguments: [String], input: [UInt8]) throws -> (status: Int32, output: [UInt8]) {
        // Socket pairs rather than pipes: a write to a child that already exited fails with EPIPE (MSG_NOSIGNAL)
        // instead of raising SIGPIPE in the gateway. Close-on-exec, so other children started meanwhile inherit nothing.
        var stdinPair: [Int32] = [-1, -1]
        var stdoutPair: [Int32] = [-1, -1]
        let streamType = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, streamType, 0, &stdinPair) == 0 else { throw Failure(description: "socketpair: \(errorText(errno))") }
        guard socketpair(AF_UNIX, streamType, 0, &stdoutPair) == 0 else {
            close(stdinPair[0]); close(stdinPair[1])
            throw Failure(description: "socketpair: \(errorText(errno))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPair[1], 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPair[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = ([program] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, program, &actions, nil, argv, environ)
        close(stdinPair[1])
        close(stdoutPair[1])
        guard spawned == 0 else {
            close(stdinPair[0]); close(stdoutPair[0])
            throw Failure(description: "\(program) could not be started: \(errorText(spawned))")
        }
        input.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count, let base = bytes.baseAddress {
                let written = send(stdinPair[0], base + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                if written > 0 { offset += written } else if written < 0, errno == EINTR { continue } else { break }
            }
        }
        close(stdinPair[0])
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(stdoutPair[0], $0.baseAddress, $0.count) }
            if count > 0 { output.append(contentsOf: chunk[0..<count]) } else if count < 0, errno == EINTR { continue } else { break }
        }
        close(stdoutPair[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as macros.
        let signal = status & 0x7F
        return (signal == 0 ? (status >> 8) & 0xFF : 128 + signal, output)
    }

    private static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
