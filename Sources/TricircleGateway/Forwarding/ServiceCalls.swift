import OpenStackClient
import TricircleCore

extension GatewayRuntime {
    /// The gateway's own service user (admin in the pods) as pod-call credentials: for the copies the
    /// gateway manages (networks, image copies, flavors) and for jobs, which have no caller.
    public func serviceCredentials(requestID: String? = nil) async throws -> ServiceCredentials {
        try await keystone.serviceCredentials(requestID: requestID)
    }

    /// The pod registered for a region, or one standing for it (`PodDirectory.pod(standingFor:)`).
    public func pod(region: String) async throws -> Pod {
        try await podDirectory.pod(standingFor: region)
    }
}

extension KeystoneClient {
    /// The gateway's own service user as pod-call credentials (what `GatewayRuntime.serviceCredentials`
    /// gives, for a call helper that holds the Keystone client instead of the runtime).
    public func serviceCredentials(requestID: String? = nil) async throws -> ServiceCredentials {
        let issued = try await serviceToken()
        return ServiceCredentials(token: issued.id, projectID: issued.token.project?.id, requestID: requestID)
    }
}

extension PodDirectory {
    /// The pod registered for a region, or one standing for it (a home image region need not be a pod):
    /// what a call to a region by name goes through, so it shares that region's circuit.
    public func pod(standingFor region: String) async throws -> Pod {
        if let pod = try await pod(region: region) { return pod }
        return Pod(podID: "region:" + region, regionName: region, azName: "", podAZName: "", dcName: "", createdAt: "", updatedAt: "")
    }
}

extension PodForwarder {
    /// Sends as the gateway's service user. A 401 or 403 means the cached service token went bad (revoked,
    /// or issued before its roles were granted): it is dropped and the call made once more with a fresh one.
    public func sendAsService(
        _ request: RegionalRequest, to pod: Pod, keystone: KeystoneClient, requestID: String? = nil
    ) async throws -> RegionalResponse {
        func once() async throws -> (RegionalResponse, String) {
            let issued = try await keystone.serviceToken()
            let credentials = ServiceCredentials(token: issued.id, projectID: issued.token.project?.id, requestID: requestID)
            return (try await send(request, to: pod, credentials: credentials), issued.id)
        }
        let (response, token) = try await once()
        guard response.status == 401 || response.status == 403 else { return response }
        await keystone.invalidateServiceToken(token)
        return try await once().0
    }
}
