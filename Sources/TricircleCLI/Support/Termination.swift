import UnixSignals

/// Waits until SIGINT or SIGTERM arrives (foreground commands that run until stopped).
func waitForTermination() async throws {
    for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) { return }
}
