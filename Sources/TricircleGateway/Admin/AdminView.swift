import Hummingbird
import OpenStackModels
import TricircleCore
import TricircleJobs
import TricircleStore

/// A row the admin API shows: its fields in JSON, listed once per row type (`adminFields`).
protocol AdminRow: Sendable {
    static var adminFields: [AdminField<Self>] { get }
}

/// One field of an admin view: its JSON name and how it is read from the row. A nil is written as null
/// (the admin API shows every field of a row, set or not; synthesized `Encodable` would leave it out).
struct AdminField<Row>: Sendable {
    let write: @Sendable (Row, inout KeyedEncodingContainer<AdminKey>) throws -> Void

    init<Value: Encodable>(_ name: String, _ value: @escaping @Sendable (Row) -> Value?) {
        write = { row, container in
            if let value = value(row) {
                try container.encode(value, forKey: AdminKey(name))
            } else {
                try container.encodeNil(forKey: AdminKey(name))
            }
        }
    }
}

/// A JSON key named at run time.
struct AdminKey: CodingKey {
    let stringValue: String
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

/// A row as the admin API shows it: its `adminFields`, then any `extra` ones (a job's runs on show).
struct AdminView<Row: AdminRow>: Encodable, Sendable {
    let row: Row
    var extra: [AdminField<Row>] = []

    init(_ row: Row, extra: [AdminField<Row>] = []) {
        self.row = row
        self.extra = extra
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: AdminKey.self)
        for field in Row.adminFields + extra { try field.write(row, &container) }
    }
}

/// One page of an admin list: `{"<collection>": [...], "<collection>_links": [...]}`.
struct AdminPage<Row: AdminRow>: Encodable {
    let collection: String
    let rows: [Row]
    let links: [Link]

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: AdminKey.self)
        try container.encode(rows.map { AdminView($0) }, forKey: AdminKey(collection))
        try container.encode(links, forKey: AdminKey(collection + "_links"))
    }
}

extension ResourceRouting: AdminRow {
    /// `bottom_id` is null while the row is a create-lock.
    static var adminFields: [AdminField<ResourceRouting>] {
        [.init("id") { $0.id }, .init("top_id") { $0.topID }, .init("bottom_id") { $0.bottomID }, .init("pod_id") { $0.podID },
         .init("project_id") { $0.projectID }, .init("resource_type") { $0.resourceType.rawValue },
         .init("created_at") { $0.createdAt }, .init("updated_at") { $0.updatedAt }]
    }
}

extension FlavorMappingRow: AdminRow {
    static var adminFields: [AdminField<FlavorMappingRow>] {
        [.init("id") { $0.id }, .init("top_flavor_id") { $0.topFlavorID }, .init("pod_id") { $0.podID },
         .init("bottom_flavor_id") { $0.bottomFlavorID }, .init("pinned") { $0.pinned },
         .init("created_at") { $0.createdAt }, .init("updated_at") { $0.updatedAt }]
    }
}

extension Job: AdminRow {
    static var adminFields: [AdminField<Job>] {
        [.init("id") { $0.id }, .init("type") { $0.type }, .init("project_id") { $0.projectID }, .init("resource") { $0.resource },
         .init("status") { $0.status.rawValue }, .init("attempts") { $0.attempts }, .init("max_attempts") { $0.maxAttempts },
         .init("next_run_at") { $0.nextRunAt }, .init("lease_owner") { $0.leaseOwner },
         .init("lease_expires_at") { $0.leaseExpiresAt }, .init("last_error") { $0.lastError },
         .init("progress") { AdminView(ProgressRow($0.progress)) }, .init("created_at") { $0.createdAt },
         .init("updated_at") { $0.updatedAt }, .init("started_at") { $0.startedAt }, .init("finished_at") { $0.finishedAt },
         .init("will_retry") { $0.willRetry }, .init("request_id") { $0.requestID }]
    }

    /// A job's progress (`note` null when unset).
    struct ProgressRow: AdminRow {
        let progress: JobProgress
        init(_ progress: JobProgress) { self.progress = progress }
        static var adminFields: [AdminField<ProgressRow>] {
            [.init("done") { $0.progress.done }, .init("total") { $0.progress.total }, .init("note") { $0.progress.note }]
        }
    }
}

extension JobRun: AdminRow {
    static var adminFields: [AdminField<JobRun>] {
        [.init("outcome") { $0.outcome }, .init("attempt") { $0.attempt }, .init("worker") { $0.worker }, .init("error") { $0.error },
         .init("started_at") { $0.startedAt }, .init("finished_at") { $0.finishedAt }]
    }
}

extension AdminView where Row == Job {
    /// A job with its latest runs (shown by `GET /v1.0/jobs/{id}`).
    init(_ job: Job, runs: [JobRun]) {
        self.init(job, extra: [.init("runs") { _ in runs.map { AdminView<JobRun>($0) } }])
    }
}
