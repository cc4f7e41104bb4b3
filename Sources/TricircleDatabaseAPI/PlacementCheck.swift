import Foundation
import OpenStackClient
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleJobs
import TricircleStore

/// The Multi-Region Trove spec's checks before anything is built in a region, done by the top: the
/// datastore version exists in that region's Trove; the image it boots has the same checksum and
/// os_hash_value there as in the home image service (missing: copied there by an `image_copy` job
/// instead of failing); the flavor has the same vcpus and RAM there (through the top's flavor mapping).
struct PlacementCheck: Sendable {
    let api: DatabaseAPI

    /// The result for one region: what each check found, and what is wrong (empty: it can be placed).
    struct Outcome: Sendable {
        var pod: Pod
        var version = "unchecked"
        var image = "unchecked"
        var flavor: String?
        var problems: [String] = []
        var notes: [String] = []
        /// The pod's flavor id for the requested flavor (nil: none requested or not found).
        var bottomFlavor: String?
        var placeable: Bool { problems.isEmpty }

        var json: JSONValue {
            var checks: [String: JSONValue] = ["datastore_version": .string(version), "image": .string(image)]
            if let flavor { checks["flavor"] = .string(flavor) }
            return [
                "region": .string(pod.regionName), "availability_zone": .string(pod.azName), "placeable": .bool(placeable),
                "checks": .object(checks), "problems": .array(problems.map { .string($0) }),
                "notes": .array(notes.map { .string($0) }),
            ]
        }
    }

    /// Runs every check for `pod`. `copyMissingImage`: a create copies a missing image and waits for it;
    /// the pre-flight only says it would.
    func check(
        datastore: DatastoreRef, flavorRef: String?, in pod: Pod, call: DatabaseCall, copyMissingImage: Bool
    ) async throws -> Outcome {
        var outcome = Outcome(pod: pod)
        let name = "\(datastore.type) \(datastore.version ?? "(default version)")"
        let version = try await versionIn(pod, datastore: datastore, credentials: call.credentials)
        switch version {
        case .found(var v):
            outcome.version = "present"
            // Trove shows a version's image to admins only: asked again as the gateway's service user.
            if v.image == nil, case .found(let full) = try await versionIn(pod, datastore: datastore, credentials: try await service(call)) {
                v = full
            }
            try await checkImage(v, datastore: datastore, name: name, in: pod, call: call, copy: copyMissingImage, into: &outcome)
        case .missing:
            outcome.version = "missing"
            outcome.image = "unchecked"
            outcome.problems.append("Datastore version \(name) does not exist in region \(pod.regionName).")
        case .unavailable(let reason):
            outcome.version = "unknown"
            outcome.problems.append("Region \(pod.regionName) could not be asked for datastore version \(name): \(reason).")
        }
        if let flavorRef { try await checkFlavor(flavorRef, in: pod, call: call, create: copyMissingImage, into: &outcome) }
        return outcome
    }

    enum VersionLookup: Sendable {
        case found(DatastoreVersion)
        case missing
        case unavailable(String)
    }

    func service(_ call: DatabaseCall) async throws -> ServiceCredentials {
        try await api.runtime.serviceCredentials(requestID: call.context.requestID)
    }

    func versionIn(_ pod: Pod, datastore: DatastoreRef, credentials: ServiceCredentials) async throws -> VersionLookup {
        let path: String
        if let version = datastore.version {
            path = "/datastores/\(Self.escape(datastore.type))/versions/\(Self.escape(version))"
        } else {
            path = "/datastores/\(Self.escape(datastore.type))"
        }
        let response: RegionalResponse
        do {
            response = try await api.forwarder.send(.get(path), to: pod, credentials: credentials)
        } catch let error as APIError {
            return .unavailable(error.message)
        }
        // trove 25.1.0 answers an unknown datastore 404 and an unknown version of a known one 400 (badRequest)
        if response.status == 404 || response.status == 400 { return .missing }
        guard response.isSuccess else { return .unavailable("HTTP \(response.status)") }
        if datastore.version != nil {
            guard let body = try? response.decode(DatastoreVersionEnvelope.self) else { return .unavailable("an unreadable answer") }
            return .found(body.version)
        }
        // No version named: the datastore's default one, as the pod would choose it.
        guard let store = try? response.decode(DatastoreEnvelope.self),
              let defaultID = store.datastore.defaultVersion ?? store.datastore.versions.last?.id else { return .missing }
        return try await versionIn(pod, datastore: DatastoreRef(type: datastore.type, version: defaultID), credentials: credentials)
    }

    // MARK: Image

    func checkImage(
        _ version: DatastoreVersion, datastore: DatastoreRef, name: String, in pod: Pod, call: DatabaseCall, copy: Bool,
        into outcome: inout Outcome
    ) async throws {
        guard let homeRegion = api.imageHomeRegion,
              let homePod = try await api.pods.pod(region: homeRegion) else {
            outcome.image = "unchecked"
            outcome.notes.append("No home image service is configured ([image] home_region): images are not compared.")
            return
        }
        let credentials = try await service(call)
        // The reference: the image the same version boots in the home region (else this region's image id).
        var homeImageID = version.image
        if homePod.podID != pod.podID, case .found(let home) = try await versionIn(homePod, datastore: datastore, credentials: credentials),
           let id = home.image {
            homeImageID = id
        }
        guard let homeImageID, let home = try await image(homeImageID, in: homePod, credentials: credentials) else {
            outcome.image = "missing at home"
            outcome.problems.append("The image of datastore version \(name) (\(version.image ?? "none")) is not in the home image service (\(homeRegion)), so region \(pod.regionName) cannot be checked against it.")
            return
        }
        if homePod.podID == pod.podID {
            outcome.image = "same"
            return
        }
        if let there = try await imageThere(version: version, home: home, in: pod, credentials: credentials) {
            if let difference = Self.difference(home, there) {
                outcome.image = "differs"
                outcome.problems.append("The image of datastore version \(name) differs in region \(pod.regionName): image \(there.id) there has \(difference.there), the home image \(home.id) in \(homeRegion) has \(difference.home).")
            } else {
                outcome.image = "same"
            }
            return
        }
        guard copy else {
            outcome.image = "missing"
            outcome.notes.append("Image \(home.id) is not in region \(pod.regionName) yet: a create copies it there first.")
            return
        }
        outcome.image = try await copyImage(home.id, to: pod, call: call)
        if outcome.image != "copied" {
            outcome.problems.append("The image \(home.id) of datastore version \(name) is missing in region \(pod.regionName) and could not be copied there: \(outcome.image).")
        }
    }

    /// The image the version boots in `pod`: its own id there, else the top's verified copy of the home
    /// image, else one of the same name (the spec's rule).
    func imageThere(version: DatastoreVersion, home: Image, in pod: Pod, credentials: ServiceCredentials) async throws -> Image? {
        if let id = version.image, let found = try await image(id, in: pod, credentials: credentials) { return found }
        if let row = try await api.routing.resolve(topID: home.id, type: .image, podID: pod.podID, projectID: nil),
           let bottomID = row.bottomID, let found = try await image(bottomID, in: pod, credentials: credentials) {
            return found
        }
        guard let name = home.name, !name.isEmpty else { return nil }
        let response = try await api.glance.send(.get("/v2/images", query: [URLQueryItem(name: "name", value: name)]), to: pod, credentials: credentials)
        guard response.isSuccess, let list = try? response.decode(ImageList.self) else { return nil }
        return list.images.first { $0.status == "active" }
    }

    func image(_ id: String, in pod: Pod, credentials: ServiceCredentials) async throws -> Image? {
        let response = try await api.glance.send(.get("/v2/images/\(Self.escape(id))"), to: pod, credentials: credentials)
        guard response.isSuccess else { return nil }
        return try? response.decode(Image.self)
    }

    /// What differs between two images' checksums (nil: the same). Both os_hash_value and checksum are
    /// compared where both images carry them.
    static func difference(_ home: Image, _ there: Image) -> (home: String, there: String)? {
        var homeParts: [String] = []
        var thereParts: [String] = []
        var compared = false
        if let a = home.checksum, let b = there.checksum {
            compared = true
            if a != b {
                homeParts.append("checksum \(a)")
                thereParts.append("checksum \(b)")
            }
        }
        if let a = home.hashValue, let b = there.hashValue {
            compared = true
            if a != b {
                homeParts.append("os_hash_value \(a)")
                thereParts.append("os_hash_value \(b)")
            }
        }
        // Nothing to compare (an image without data on one side): not known to be the same.
        if !compared { return ("checksum \(home.checksum ?? "none")", "checksum \(there.checksum ?? "none")") }
        return homeParts.isEmpty ? nil : (homeParts.joined(separator: " and "), thereParts.joined(separator: " and "))
    }

    /// Copies the home image to `pod` by the Image API's `image_copy` job and waits for its verified copy:
    /// "copied", or why not.
    func copyImage(_ imageID: String, to pod: Pod, call: DatabaseCall) async throws -> String {
        let job: TricircleJobs.Job
        do {
            job = try await api.jobs.submit(
                type: "image_copy", projectID: call.caller.projectID, resource: ["image_id": imageID, "pod_id": pod.podID])
        } catch {
            return "no image copy could be queued (\(error))"
        }
        let routing = api.routing
        let jobs = api.jobs
        let outcome: String? = try await jobs.waitFor(until: .now + .seconds(300), maxPause: .milliseconds(500)) {
            if let row = try await routing.resolve(topID: imageID, type: .image, podID: pod.podID, projectID: nil), row.bottomID != nil {
                return "copied"
            }
            let current = try await jobs.get(job.id)
            if current.status == .failed, !current.willRetry { return "the copy failed (\(current.lastError ?? "unknown error"))" }
            return nil
        }
        return outcome ?? "the copy (job \(job.id)) is still running; try again shortly"
    }

    // MARK: Flavor

    /// The requested flavor in `pod`: through the top's flavor mapping when there is one (`create`: made
    /// in the pod when missing, as a boot does), else the same id; its vcpus and RAM must equal the top's.
    func checkFlavor(_ flavorRef: String, in pod: Pod, call: DatabaseCall, create: Bool, into outcome: inout Outcome) async throws {
        let id = flavorRef.split(separator: "/").last.map(String.init) ?? flavorRef
        var bottomID = id
        if let mapping = api.flavors {
            do {
                if create {
                    bottomID = try await mapping.bottomFlavor(id, in: pod, context: call.podContext)
                } else if let mapped = try await mapping.mappedFlavor(id, in: pod) {
                    bottomID = mapped
                }
            } catch let error as APIError {
                outcome.flavor = "missing"
                outcome.problems.append("Flavor \(id) cannot be used in region \(pod.regionName): \(error.message)")
                return
            }
        }
        let reference = try await api.flavorStore.get(id)
        let response = try await api.send(call, .get("/flavors/\(Self.escape(bottomID))"), to: pod)
        guard response.isSuccess, let there = try? response.decode(DatabaseFlavorEnvelope.self).flavor else {
            outcome.flavor = "missing"
            outcome.problems.append("Flavor \(id) does not exist in region \(pod.regionName).")
            return
        }
        outcome.bottomFlavor = there.id
        if let reference, reference.vcpus != there.vcpus || reference.ram != there.ram {
            outcome.flavor = "differs"
            outcome.problems.append("Flavor \(id) (\(reference.vcpus) vCPUs, \(reference.ram) MB RAM) is flavor \(there.id) in region \(pod.regionName), which has \(there.vcpus) vCPUs and \(there.ram) MB RAM.")
            return
        }
        outcome.flavor = "same"
    }

    /// The top flavor a pod's flavor stands for: the top flavor mapped to it in that pod (when several are,
    /// the one with the same id, else the lowest id), else the same id (pods whose flavors keep the top's ids).
    func topFlavor(ofPodFlavor bottomID: String, in pod: Pod) async throws -> String {
        let rows = try await FlavorMappingStore(store: api.runtime.store).list(podID: pod.podID, limit: 10_000)
        let tops = rows.filter { $0.bottomFlavorID == bottomID }.map(\.topFlavorID)
        if tops.contains(bottomID) { return bottomID }
        return tops.min() ?? bottomID
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? text
    }
}
