import Foundation

/// Trove's faults (`{"itemNotFound": {"message": ..., "code": 404}}`), with Trove's wording.
public enum TroveError {
    /// trove.common.exception.NotFound.
    public static func notFound(_ id: String) -> TroveFault {
        TroveFault(name: "itemNotFound", message: "Resource \(id) cannot be found.", code: 404)
    }
    /// A flavor that Nova does not know.
    public static func flavorNotFound(_ id: String) -> TroveFault {
        TroveFault(name: "itemNotFound", message: "Resource \(id) cannot be found.", code: 404)
    }
    public static func datastoreNotFound(_ name: String) -> TroveFault {
        TroveFault(name: "itemNotFound", message: "Datastore '\(name)' cannot be found.", code: 404)
    }
    public static func datastoreVersionNotFound(_ version: String) -> TroveFault {
        TroveFault(name: "itemNotFound", message: "Datastore version '\(version)' cannot be found.", code: 404)
    }
    public static func clusterNotFound(_ id: String) -> TroveFault {
        TroveFault(name: "itemNotFound", message: "Cluster '\(id)' cannot be found.", code: 404)
    }
    public static func badRequest(_ message: String) -> TroveFault {
        TroveFault(name: "badRequest", message: message, code: 400)
    }
    /// Schema validation failures read "Validation error: ...".
    public static func validation(_ message: String) -> TroveFault {
        TroveFault(name: "badRequest", message: "Validation error: \(message)", code: 400)
    }
    /// An action on an instance that is not ACTIVE.
    public static func unprocessable(status: String) -> TroveFault {
        TroveFault(
            name: "unprocessableEntity",
            message: "Instance is not currently available for an action to be performed (status was \(status)).",
            code: 422)
    }
    public static func clusterBusy(task: String) -> TroveFault {
        TroveFault(
            name: "unprocessableEntity",
            message: "This action cannot be performed on the cluster while the current cluster task is '\(task)'.",
            code: 422)
    }
    public static func unauthorized() -> TroveFault {
        TroveFault(name: "unauthorized", message: "The request you have made requires authentication.", code: 401)
    }
    public static func forbidden(_ message: String = "User does not have admin privileges.") -> TroveFault {
        TroveFault(name: "forbidden", message: message, code: 403)
    }
}
