import Fluent
import Vapor

/// A citable release of the open data (issue #12): the public incidents and the statistics as
/// they were at one moment, frozen under a name such as `2026-Q4`, with SHA-256 checksums and
/// a methodology note. Nothing changes a release once it is made; later moderation changes only
/// the live data.
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

    init(release: UUID, file: OpenDataFormat, seq: Int, bytes: Data) {
        $release.id = release
        self.file = file.rawValue
        self.seq = seq
        self.bytes = bytes
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
