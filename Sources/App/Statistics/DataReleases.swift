import Fluent
import SQLKit
import Vapor

/// Freezing and reading citable releases (issue #12).
enum DataReleases {
    /// Files are stored in pieces of this size.
    static let chunkSize = 1 << 20

    /// A release's name is part of its permanent address: a year, then one or two short parts
    /// of letters and digits (`2026-Q4`, `2026-12`, `2026-Q4-fix`).
    static func validName(_ raw: String?) throws -> String {
        let name = TextRules.trimmed(raw) ?? ""
        guard name.wholeMatch(of: /[0-9]{4}(-[A-Za-z0-9]{1,12}){1,2}/) != nil else {
            throw AppError.validation(["name": "error_release_name"])
        }
        return name
    }

    static func statisticsFileName(release: String) -> String { "dauys-\(release)-statistics.json" }

    static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).hexString
    }

    static func encode(_ statistics: Statistics) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(statistics), as: UTF8.self)
    }

    static func decode(_ json: String) throws -> Statistics {
        try JSONDecoder().decode(Statistics.self, from: Data(json.utf8))
    }

    static func find(_ name: String?, on database: any Database) async throws -> DataRelease? {
        guard let name, let valid = try? validName(name) else { return nil }
        return try await DataRelease.query(on: database).filter(\.$name == valid).first()
    }

    static func all(on database: any Database) async throws -> [DataRelease] {
        try await DataRelease.query(on: database).sort(\.$frozenOn, .descending).sort(\.$name, .descending).all()
    }

    /// Freezes the published data as it is now under `name`, in one transaction: the files, the
    /// national and per-city statistics and the audit entry all see the same moment, and a
    /// failure leaves nothing behind. A name that is taken — even by a release frozen at the
    /// same instant by another administrator — is refused.
    static func freeze(
        name raw: String?, by account: Account, app: Application, on database: any Database, now: Date = Date()
    ) async throws -> DataRelease {
        let name = try validName(raw)
        if try await DataRelease.query(on: database).filter(\.$name == name).first() != nil {
            throw AppError.validation(["name": "error_release_taken"])
        }
        let methodology = Language.allCases.map { methodologyText($0, translations: app.translations) }
        return try await database.transaction { transaction in
            if let sql = transaction as? any SQLDatabase, sql.dialect.name == "postgresql" {
                // Every statement below reads the same snapshot.
                try await sql.raw("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").run()
            }
            let release = DataRelease()
            release.id = UUID()
            release.name = name
            release.frozenOn = KazakhstanTime.dayString(now)
            (release.methodologyKk, release.methodologyRu, release.methodologyEn) =
                (methodology[0], methodology[1], methodology[2])
            (release.incidentCount, release.statistics) = (0, "")
            (release.csvSHA256, release.csvSize, release.geoJSONSHA256, release.geoJSONSize) = ("", 0, "", 0)
            do {
                try await release.create(on: transaction)
            } catch let error as any DatabaseError where error.isConstraintFailure {
                throw AppError.validation(["name": "error_release_taken"])
            }
            let id = try release.requireID()

            let everything = IncidentFilters()
            (release.csvSHA256, release.csvSize) = try await store(.csv, release: id, on: transaction)
            (release.geoJSONSHA256, release.geoJSONSize) = try await store(.geoJSON, release: id, on: transaction)
            release.incidentCount =
                try await everything.apply(
                    to: transaction.sql().select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                        .from(Report.schema),
                    pinsOnly: true
                ).first()?.decode(column: "n", as: Int.self) ?? 0
            let national = try await StatisticsQueries.compute(everything, on: transaction)
            release.statistics = try encode(national)
            try await release.save(on: transaction)
            for city in national.cities {
                var filters = everything
                filters.city = city.city
                let statistics = try await StatisticsQueries.compute(filters, on: transaction)
                try await DataReleaseCity(release: id, city: city.city, statistics: try encode(statistics)).create(
                    on: transaction)
            }
            try await AuditEntry(
                account: account, action: "release_freeze", reportID: nil,
                detail:
                    "release \(name): \(release.incidentCount) incidents; CSV sha256 \(release.csvSHA256); GeoJSON sha256 \(release.geoJSONSHA256)"
            ).create(on: transaction)
            return release
        }
    }

    /// Writes one file of the open data into chunks and returns its SHA-256 and size.
    private static func store(
        _ format: OpenDataFormat, release: UUID, on database: any Database
    ) async throws -> (String, Int) {
        var hasher = SHA256()
        var size = 0
        var pending = Data()
        var seq = 0
        func flush(_ bytes: Data) async throws {
            try await DataReleaseChunk(release: release, file: format, seq: seq, bytes: bytes).create(on: database)
            seq += 1
        }
        try await ExportController.write(format, IncidentFilters(), on: database) { piece in
            let bytes = Data(piece.utf8)
            hasher.update(data: bytes)
            size += bytes.count
            pending.append(bytes)
            while pending.count >= chunkSize {
                try await flush(Data(pending.prefix(chunkSize)))
                pending = Data(pending.dropFirst(chunkSize))
            }
        }
        if !pending.isEmpty { try await flush(pending) }
        return (hasher.finalize().hexString, size)
    }

    /// Sends a stored file to `output`, a chunk at a time.
    static func read(
        _ format: OpenDataFormat, of release: DataRelease, on database: any Database,
        to output: (Data) async throws -> Void
    ) async throws {
        let id = try release.requireID()
        var seq = 0
        while let chunk = try await DataReleaseChunk.query(on: database).filter(\.$release.$id == id)
            .filter(\.$file == format.rawValue).filter(\.$seq == seq).first()
        {
            try await output(chunk.bytes)
            seq += 1
        }
    }

    /// The methodology note in one language, as it stands today; a release keeps its own copy.
    static func methodologyText(_ language: Language, translations: Translations) -> String {
        (["release_method_source", "release_method_moderation"] + (1...5).map { "data_privacy_\($0)" } + [
            "release_method_limits", "release_method_frozen",
        ]).map { translations.text($0, language) }.joined(separator: "\n\n")
    }
}
