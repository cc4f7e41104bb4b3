import Logging
import OpenStackClient
import TricircleCore

extension PodForwarder {
    /// Deletes what a pod made when the top could not record it, so nothing is left that nobody can see. A
    /// resource still being built cannot be deleted yet: retried with backoff for up to `patience`; gone (404)
    /// counts as done. Logged as an orphan when the pod never agreed.
    public func removeOrphan(
        _ request: RegionalRequest, in pod: Pod, credentials: ServiceCredentials, patience: Duration, logger: Logger
    ) async {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: patience)
        var wait = Duration.milliseconds(50)
        while true {
            let response = try? await send(request, to: pod, credentials: credentials)
            if let response, response.isSuccess || response.status == 404 { return }
            guard clock.now < deadline else { break }
            try? await Task.sleep(for: wait)
            wait = min(wait * 2, .seconds(2))
        }
        logger.error("could not remove a resource the top failed to record; it is orphaned in its pod",
                     metadata: ["pod": "\(pod.regionName)", "service": "\(serviceType)", "path": "\(request.path)"])
    }
}
