import Fluent
import Vapor

/// A citable release of the open data (issue #12): the public incidents and the statistics as
/// they were at one moment, frozen under a name such as `2026-Q4`, with SHA-256 checksums and
/// a methodology note. It never gains a report and keeps the frozen public fields of the reports
/// it holds; a report that is withdrawn, taken down or merged away leaves it within the hour
/// (SPEC §6, issue #21): see ``DataReleases/rebuildWhereReportsLeft(app:on:now:)``.
final class DataRelease: Model, @unchecked Sendable {
    static let schema = "data_releases"

    @ID(key: .id) var id: UUID?
    @Field(key: "name") var name: String
    /// The day it was frozen, in Kazakhstan: the public date of the release.
    @Field(key: "frozen_on") var frozenOn: String
    /// Rows in the incident files (every published incident with a pin at that moment).
    @Field(key: "incident_count") var incidentCount: Int
    /// The national statistics as JSON (a ``Statistics``), byte for byte as downloaded.
    @Field(key: "statistics") var statistics: String
    @Field(key: "csv_sha256") var csvSHA256: String
    @Field(key: "csv_size") var csvSize: Int
    @Field(key: "geojson_sha256") var geoJSONSHA256: String
    @Field(key: "geojson_size") var geoJSONSize: Int
    /// The methodology as it stood when the release was frozen, in each language.
    @Field(key: "methodology_kk") var methodologyKk: String
    @Field(key: "methodology_ru") var methodologyRu: String
    @Field(key: "methodology_en") var methodologyEn: String
    /// How many of the reports it held at freezing have left it since (withdrawn, taken down,
    /// merged into another report).
    @Field(key: "removed_count") var removedCount: Int
    /// The day, in Kazakhstan, its files were last rewritten because reports left; nil if never.
    @OptionalField(key: "rebuilt_on") var rebuiltOn: String?
    /// Names the current set of file chunks: a rebuild writes a new set beside the old one and
    /// switches to it in one short transaction. Empty for the set written at freezing.
    @Field(key: "files_key") var filesKey: String
    /// Set when the files must be rewritten although no member is seen leaving: a rebuild that
    /// was interrupted after its members were removed, or a release frozen before membership
    /// was kept (its first rebuild also brings its statistics under today's rules).
    @Field(key: "rebuild_due") var rebuildDue: Bool

    init() {}

    func methodology(_ language: Language) -> String {
        language.pick(kk: methodologyKk, ru: methodologyRu, en: methodologyEn)
    }

    /// The checksums in the format `sha256sum -c` reads.
    var checksumFile: String {
        [
            (csvSHA256, OpenDataFormat.csv.fileName(release: name)),
            (geoJSONSHA256, OpenDataFormat.geoJSON.fileName(release: name)),
            (DataReleases.sha256(Data(statistics.utf8)), DataReleases.statisticsFileName(release: name)),
        ].map { "\($0.0)  \($0.1)\n" }.joined()
    }
}

/// One city's statistics in a release, for its one-page summary.
final class DataReleaseCity: Model, @unchecked Sendable {
    static let schema = "data_release_cities"

    @ID(key: .id) var id: UUID?
    @Parent(key: "release_id") var release: DataRelease
    @Field(key: "city") var city: String
    @Field(key: "statistics") var statistics: String

    init() {}

    init(release: UUID, city: String, statistics: String) {
        $release.id = release
        self.city = city
        self.statistics = statistics
    }
}

/// A piece of a release's file, about 1 MB, so files of any size are written and read back
/// without holding them whole, and every server instance reads them from the database.
final class DataReleaseChunk: Model, @unchecked Sendable {
    static let schema = "data_release_chunks"

    @ID(key: .id) var id: UUID?
    @Parent(key: "release_id") var release: DataRelease
    @Field(key: "file") var file: String
    @Field(key: "seq") var seq: Int
    @Field(key: "bytes") var bytes: Data

    init() {}

    init(release: UUID, file: OpenDataFormat, key: String, seq: Int, bytes: Data) {
        $release.id = release
        self.file = Self.file(file, key: key)
        self.seq = seq
        self.bytes = bytes
    }

    /// The `file` column of a set of chunks: `csv` for the files written at freezing, then
    /// `csv.KEY` for each rebuild.
    static func file(_ format: OpenDataFormat, key: String) -> String {
        key.isEmpty ? format.rawValue : format.rawValue + "." + key
    }
}

struct CreateDataReleases: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(DataRelease.schema)
            .id()
            .field("name", .string, .required)
            .field("frozen_on", .string, .required)
            .field("incident_count", .int, .required)
            .field("statistics", .string, .required)
            .field("csv_sha256", .string, .required)
            .field("csv_size", .int, .required)
            .field("geojson_sha256", .string, .required)
            .field("geojson_size", .int, .required)
            .field("methodology_kk", .string, .required)
            .field("methodology_ru", .string, .required)
            .field("methodology_en", .string, .required)
            .unique(on: "name")
            .create()
        try await database.schema(DataReleaseCity.schema)
            .id()
            .field("release_id", .uuid, .required, .references(DataRelease.schema, "id", onDelete: .cascade))
            .field("city", .string, .required)
            .field("statistics", .string, .required)
            .unique(on: "release_id", "city")
            .create()
        try await database.schema(DataReleaseChunk.schema)
            .id()
            .field("release_id", .uuid, .required, .references(DataRelease.schema, "id", onDelete: .cascade))
            .field("file", .string, .required)
            .field("seq", .int, .required)
            .field("bytes", .data, .required)
            .unique(on: "release_id", "file", "seq")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(DataReleaseChunk.schema).delete()
        try await database.schema(DataReleaseCity.schema).delete()
        try await database.schema(DataRelease.schema).delete()
    }
}

/// Which reports a release holds (issue #21): written when it is frozen, one row per report
/// published at that moment, pin or not; a row goes when its report leaves the release. Only
/// these reports can ever appear in its files and statistics, so a release never gains a report
/// published later. Holds no field of the report, only its id.
/// Releases frozen before public points were moved together per site (``RederivePublicPoints``)
/// are written again from their reports' public fields as they are now, without those that left.
struct RefreshReleasePoints: AsyncMigration {
    func prepare(on database: any Database) async throws {
        for release in try await DataRelease.query(on: database).all() {
            let leaving = try await DataReleases.leavingMembers(of: try release.requireID(), on: database)
            _ = try await DataReleases.rebuild(release, leaving: leaving, refreshRows: true, on: database)
        }
    }

    func revert(on database: any Database) async throws {}
}

struct AddReleaseMembers: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(DataReleases.membersTable)
            .field("release_id", .uuid, .required, .references(DataRelease.schema, "id", onDelete: .cascade))
            .field("report_id", .uuid, .required)
            .unique(on: "release_id", "report_id")
            .create()
        // One column per statement: SQLite adds a single column per ALTER TABLE.
        let releases = DataRelease.schema
        try await database.schema(releases).field("removed_count", .int, .required, .sql(.default(0))).update()
        try await database.schema(releases).field("rebuilt_on", .string).update()
        try await database.schema(releases).field("files_key", .string, .required, .sql(.default(""))).update()
        try await database.schema(releases).field("rebuild_due", .bool, .required, .sql(.default(false))).update()
        for release in try await DataRelease.query(on: database).all() {
            try await DataReleases.adoptFrozenBeforeMembership(release, on: database)
        }
    }

    func revert(on database: any Database) async throws {
        for field in ["rebuild_due", "files_key", "rebuilt_on", "removed_count"] {
            try await database.schema(DataRelease.schema).deleteField(.string(field)).update()
        }
        try await database.schema(DataReleases.membersTable).delete()
    }
}
