import Foundation

/// Trove's faults (`{"itemNotFound": {"message": ..., "code": 404}}`), with Trove's wording.
public enum TroveError {
    /// trove.common.exception.NotFound.
    public static func notFound(_ id: String) -> TroveFault {
        TroveFault(name: "itemNotFound", message: "Resource \(id) cannot be found.", code: 404)
    }
    /// A create or resize naming a flavor Nova does not know: trove 25.1.0's `FlavorNotFound` is not in its
    /// fault map's 404 list, so it is a 400 (`GET /flavors/{id}` of an unknown flavor is `notFound`, 404).
    public static func flavorNotFound(_ id: String) -> TroveFault {
        TroveFault(name: "badRequest", message: "Resource \(id) cannot be found.", code: 400)
    }
    public static func datastoreNotFound(_ name: String) -> TroveFault {
        TroveFault(name: "itemNotFound", message: "Datastore '\(name)' cannot be found.", code: 404)
    }
    /// trove 25.1.0 answers an unknown version (show, or a create naming it) with a 400, measured against trove-api.
    public static func datastoreVersionNotFound(_ version: String) -> TroveFault {
        TroveFault(name: "badRequest", message: "Datastore version '\(version)' cannot be found.", code: 400)
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
    /// An action on an instance that is not ACTIVE (trove 25.1.0's `validate_can_perform_action` wording).
    public static func unprocessable(id: String, status: String) -> TroveFault {
        TroveFault(
            name: "unprocessableEntity",
            message: "Instance \(id) is not currently available for an action to be performed (instance status was \(status)).",
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
