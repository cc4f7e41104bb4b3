import Foundation
import UnixSignals

/// Waits until SIGINT or SIGTERM arrives (foreground commands that run until stopped).
func waitForTermination() async throws {
    for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) { return }
}

/// Prints a line straight to standard output (unbuffered), so a log file or pipe shows it while the
/// command keeps running.
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
