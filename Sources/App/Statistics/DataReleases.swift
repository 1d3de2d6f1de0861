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
    /// national and per-city statistics, the list of reports it holds and the audit entry all see
    /// the same moment, and a failure leaves nothing behind. A name that is taken — even by a
    /// release frozen at the same instant by another administrator — is refused.
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
            (release.removedCount, release.rebuiltOn, release.filesKey, release.rebuildDue) = (0, nil, "", false)
            do {
                try await release.create(on: transaction)
            } catch let error as any DatabaseError where error.isConstraintFailure {
                throw AppError.validation(["name": "error_release_taken"])
            }
            let id = try release.requireID()

            // The reports it holds: every published one, pin or not, as its statistics count.
            try await transaction.sql().insert(into: membersTable).columns("release_id", "report_id")
                .select {
                    $0.column(SQLBind(id)).column("id").from(Report.schema)
                        .where("status", .equal, ReportStatus.published.rawValue)
                }.run()

            let everything = IncidentFilters()
            for format in OpenDataFormat.allCases {
                var writer = ChunkWriter(release: id, file: DataReleaseChunk.file(format, key: ""), on: transaction)
                try await ExportController.write(format, everything, on: transaction) {
                    try await writer.append(Data($0.utf8))
                }
                let (sha, size) = try await writer.finish()
                switch format {
                case .csv: (release.csvSHA256, release.csvSize) = (sha, size)
                case .geoJSON: (release.geoJSONSHA256, release.geoJSONSize) = (sha, size)
                }
            }
            release.incidentCount =
                try await everything.apply(
                    to: transaction.sql().select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                        .from(Report.schema),
                    pinsOnly: true
                ).first()?.decode(column: "n", as: Int.self) ?? 0
            let (national, cities) = try await statistics(of: id, on: transaction)
            release.statistics = national
            try await release.save(on: transaction)
            for (city, json) in cities {
                try await DataReleaseCity(release: id, city: city, statistics: json).create(on: transaction)
            }
            try await AuditEntry(
                account: account, action: "release_freeze", reportID: nil,
                detail:
                    "release \(name): \(release.incidentCount) incidents; CSV sha256 \(release.csvSHA256); GeoJSON sha256 \(release.geoJSONSHA256)"
            ).create(on: transaction)
            return release
        }
    }

    /// A release's national and per-city statistics, as JSON: counted by the public page's own
    /// queries (and so under its disclosure rules), over the reports the release holds and
    /// nothing else — the same way when it is frozen and whenever it is rebuilt. To those rules
    /// a release is a narrower answer than the live country, which can be subtracted from it,
    /// so it shows no age breakdown.
    static func statistics(
        of release: UUID, on database: any Database
    ) async throws -> (national: String, cities: [(String, String)]) {
        var held = IncidentFilters()
        held.releaseMembers = release
        // Counted from the reports: the counts the database keeps are the live data's.
        let national = try await StatisticsQueries.compute(held, on: database)
        var cities: [(String, String)] = []
        for city in national.cities {
            var filters = held
            filters.city = city.city
            cities.append(
                (city.city, try encode(try await StatisticsQueries.compute(filters, on: database))))
        }
        return (try encode(national), cities)
    }

    /// Writes one file into chunks of ``chunkSize`` as its pieces come, and tells its SHA-256
    /// and size at the end.
    struct ChunkWriter {
        let release: UUID
        let file: String
        let database: any Database
        private var hasher = SHA256()
        private var size = 0
        private var pending = Data()
        private var seq = 0

        init(release: UUID, file: String, on database: any Database) {
            (self.release, self.file, self.database) = (release, file, database)
        }

        private mutating func flush(_ bytes: Data) async throws {
            let chunk = DataReleaseChunk()
            chunk.$release.id = release
            (chunk.file, chunk.seq, chunk.bytes) = (file, seq, bytes)
            try await chunk.create(on: database)
            seq += 1
        }

        mutating func append(_ bytes: Data) async throws {
            hasher.update(data: bytes)
            size += bytes.count
            pending.append(bytes)
            while pending.count >= chunkSize {
                try await flush(Data(pending.prefix(chunkSize)))
                pending = Data(pending.dropFirst(chunkSize))
            }
        }

        mutating func finish() async throws -> (sha256: String, size: Int) {
            if !pending.isEmpty { try await flush(pending) }
            pending = Data()
            return (hasher.finalize().hexString, size)
        }
    }

    /// Sends a stored file to `output`, a chunk at a time. A download that runs across a rebuild
    /// ends short (the old chunks are gone); its checksum then tells the reader to fetch again.
    static func read(
        _ format: OpenDataFormat, of release: DataRelease, on database: any Database,
        to output: (Data) async throws -> Void
    ) async throws {
        let id = try release.requireID()
        let file = DataReleaseChunk.file(format, key: release.filesKey)
        var seq = 0
        while let chunk = try await DataReleaseChunk.query(on: database).filter(\.$release.$id == id)
            .filter(\.$file == file).filter(\.$seq == seq).first()
        {
            try await output(chunk.bytes)
            seq += 1
        }
    }

    // MARK: Reports leaving a release (issue #21)

    static let membersTable = "data_release_members"

    /// The reports a release held that are no longer published: withdrawn (deleted), taken
    /// down (rejected), or merged into another report (archived).
    static func leavingMembers(of release: UUID, on database: any Database) async throws -> [UUID] {
        try await database.sql().raw(
            """
            SELECT m.report_id FROM \(ident: membersTable) m LEFT JOIN \(ident: Report.schema) r
            ON r.id = m.report_id AND r.status = \(bind: ReportStatus.published.rawValue)
            WHERE m.release_id = \(bind: release) AND r.id IS NULL
            """
        ).all().map { try $0.decode(column: "report_id", as: UUID.self) }
    }

    /// The hourly job's part (``Retention/run(on:now:)``): every release that holds a report
    /// which has left the published data gets its files, checksums and statistics rewritten
    /// without it. Cheap when nothing left: one read per release. Running it twice, or on two
    /// instances at once, does no harm: the second finds nothing to do, or loses the switch
    /// and deletes what it wrote. Returns how many releases were rebuilt.
    ///
    /// Why hourly and not at the moment a report leaves: a release's files changing the minute
    /// a reporter withdraws would date the withdrawal for anyone watching the checksums, and
    /// link it to the reporter's request in a network log (SPEC §6: no timing trail); batched
    /// by the hour, they say only "in this hour, some left". Rewriting also reads and writes
    /// the whole release, which a moderator's action, or a bulk take-down of fifty, should not
    /// wait for. The report's own row leaves the published data at once, so nothing new is
    /// ever computed from it.
    @discardableResult
    static func rebuildWhereReportsLeft(on database: any Database, now: Date = Date()) async throws -> Int {
        var rebuilt = 0
        // One release that fails does not keep the others from being rebuilt; the first
        // failure is reported after all were tried.
        var failure: (any Error)?
        for release in try await DataRelease.query(on: database).all() {
            do {
                let leaving = try await leavingMembers(of: try release.requireID(), on: database)
                guard !leaving.isEmpty || release.rebuildDue else { continue }
                if try await rebuild(release, leaving: leaving, on: database, now: now) { rebuilt += 1 }
            } catch {
                failure = failure ?? error
            }
        }
        if rebuilt > 0 {
            // What was overwritten leaves the disk too (SQLite's log; PostgreSQL's dead rows).
            try await StorageHygiene.foldWriteAheadLog(on: database)
            if let sql = database as? any SQLDatabase, sql.dialect.name == "postgresql", !database.inTransaction {
                try await sql.raw(
                    "VACUUM \(ident: DataReleaseChunk.schema), \(ident: DataReleaseCity.schema), \(ident: DataRelease.schema), \(ident: membersTable)"
                ).run()
            }
        }
        if let failure { throw failure }
        return rebuilt
    }

    /// Rewrites one release without the reports that left it. First the leaving members go (and
    /// the release is marked due, so an interruption is finished by the next run); then new
    /// files are written beside the old ones, from the old files' records of the reports it
    /// still holds, so their public fields stay exactly as frozen; the statistics are counted
    /// again, through the same queries as the public page, over the reports it still holds;
    /// last, one short transaction switches to the new files and deletes the old. Returns
    /// false if another run switched first.
    ///
    /// - Parameter refreshRows: write the files from the public fields the reports it holds
    ///   have now, not from its old records: after their public points were moved
    ///   (``RederivePublicPoints``), a release that kept the old ones would publish each
    ///   report at two points worked out apart, and a site's old pins still average back to it.
    static func rebuild(
        _ release: DataRelease, leaving: [UUID], refreshRows: Bool = false, on database: any Database,
        now: Date = Date()
    ) async throws -> Bool {
        let id = try release.requireID()
        if !leaving.isEmpty {
            try await database.transaction { transaction in
                try await StorageHygiene.overwriteDeletedContent(on: transaction)
                // Counted by the rows this run deleted: another instance running at once counts none twice.
                var removed = 0
                for start in stride(from: 0, to: leaving.count, by: 500) {
                    removed += try await transaction.sql().delete(from: membersTable).where("release_id", .equal, id)
                        .where("report_id", .in, Array(leaving[start..<min(start + 500, leaving.count)]))
                        .returning("report_id").all().count
                }
                guard removed > 0 else { return }
                try await transaction.sql().update(DataRelease.schema)
                    .set("removed_count", to: SQLRaw("removed_count + \(removed)"))
                    .set("rebuild_due", to: true).where("id", .equal, id).run()
            }
        }
        let oldKey = release.filesKey
        let newKey = String(UUID().uuidString.prefix(8)).lowercased()
        var files: [OpenDataFormat: (sha256: String, size: Int)] = [:]
        var incidents = 0
        do {
            for format in OpenDataFormat.allCases {
                let (sha, size, records) =
                    refreshRows
                    ? try await exportHeldReports(format, of: release, into: newKey, on: database)
                    : try await copyHeldRecords(format, of: release, into: newKey, on: database)
                files[format] = (sha, size)
                if format == .csv { incidents = records }
            }
        } catch {
            try await deleteChunks(of: id, key: newKey, on: database)
            throw error
        }
        let (statistics, cities) = try await Self.statistics(of: id, on: database)
        let (csv, geoJSON, incidentCount, cityRows) = (files[.csv], files[.geoJSON], incidents, cities)
        let switched = try await database.transaction { transaction -> Bool in
            try await StorageHygiene.overwriteDeletedContent(on: transaction)
            let won = try await transaction.sql().update(DataRelease.schema)
                .set("files_key", to: newKey).set("rebuild_due", to: false)
                .set("rebuilt_on", to: KazakhstanTime.dayString(now)).set("incident_count", to: incidentCount)
                .set("statistics", to: statistics)
                .set("csv_sha256", to: csv?.sha256 ?? "").set("csv_size", to: csv?.size ?? 0)
                .set("geojson_sha256", to: geoJSON?.sha256 ?? "").set("geojson_size", to: geoJSON?.size ?? 0)
                .where("id", .equal, id).where("files_key", .equal, oldKey)
                .returning("id").all()
            guard !won.isEmpty else { return false }
            try await deleteChunks(of: id, key: oldKey, on: transaction)
            try await DataReleaseCity.query(on: transaction).filter(\.$release.$id == id).delete()
            for (city, json) in cityRows {
                try await DataReleaseCity(release: id, city: city, statistics: json).create(on: transaction)
            }
            return true
        }
        if !switched { try await deleteChunks(of: id, key: newKey, on: database) }
        return switched
    }

    private static func deleteChunks(of release: UUID, key: String, on database: any Database) async throws {
        for format in OpenDataFormat.allCases {
            try await DataReleaseChunk.query(on: database).filter(\.$release.$id == release)
                .filter(\.$file == DataReleaseChunk.file(format, key: key)).delete()
        }
    }

    /// Writes one file anew from the reports the release still holds, as the open data
    /// exports them now. Returns the new file's SHA-256, size and number of records.
    private static func exportHeldReports(
        _ format: OpenDataFormat, of release: DataRelease, into key: String, on database: any Database
    ) async throws -> (String, Int, Int) {
        let id = try release.requireID()
        var held = IncidentFilters()
        held.releaseMembers = id
        var writer = ChunkWriter(release: id, file: DataReleaseChunk.file(format, key: key), on: database)
        try await ExportController.write(format, held, on: database) { try await writer.append(Data($0.utf8)) }
        let (sha, size) = try await writer.finish()
        let records =
            try await held.apply(
                to: database.sql().select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                    .from(Report.schema),
                pinsOnly: true
            ).first()?.decode(column: "n", as: Int.self) ?? 0
        return (sha, size, records)
    }

    /// Copies the records of one stored file whose report the release still holds into a new
    /// set of chunks named `key`; a record whose id cannot be read is left out. Returns the new
    /// file's SHA-256, size and number of records.
    private static func copyHeldRecords(
        _ format: OpenDataFormat, of release: DataRelease, into key: String, on database: any Database
    ) async throws -> (String, Int, Int) {
        let id = try release.requireID()
        var writer = ChunkWriter(release: id, file: DataReleaseChunk.file(format, key: key), on: database)
        var scanner = ReleaseFileScanner(format)
        var waiting: [(UUID, Data)] = []
        var written = 0
        func writeHeld() async throws {
            guard !waiting.isEmpty else { return }
            let held = Set(
                try await database.sql().select().column("report_id").from(membersTable)
                    .where("release_id", .equal, id).where("report_id", .in, waiting.map(\.0)).all()
                    .map { try $0.decode(column: "report_id", as: UUID.self) })
            for (report, bytes) in waiting where held.contains(report) {
                // GeoJSON features are separated by commas; a CSV's lines end themselves.
                if format == .geoJSON && written > 0 { try await writer.append(Data(",".utf8)) }
                try await writer.append(bytes)
                written += 1
            }
            waiting.removeAll(keepingCapacity: true)
        }
        func take(_ pieces: [ReleaseFileScanner.Piece]) async throws {
            for piece in pieces {
                switch piece {
                case .text(let bytes):
                    try await writeHeld()
                    try await writer.append(bytes)
                case .record(let report, let bytes):
                    guard let report else { continue }
                    waiting.append((report, bytes))
                    if waiting.count >= 500 { try await writeHeld() }
                }
            }
        }
        try await read(format, of: release, on: database) { try await take(scanner.feed($0)) }
        try await take(scanner.finish())
        try await writeHeld()
        let (sha, size) = try await writer.finish()
        return (sha, size, written)
    }

    /// A release frozen before releases kept their members (migration ``AddReleaseMembers``):
    /// its reports with a pin are read from its CSV, and those still published become members;
    /// its reports without a pin were never listed, so those published by the time it was frozen
    /// (by the hour of the freeze's audit entry, else by the end of its day) are taken. The
    /// reports its CSV holds that are no longer published count as removed, and it is due for a
    /// rebuild, which also counts its statistics again under today's disclosure rules.
    static func adoptFrozenBeforeMembership(_ release: DataRelease, on database: any Database) async throws {
        let id = try release.requireID()
        let sql = try database.sql()
        func members() async throws -> Int {
            try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(membersTable)
                .where("release_id", .equal, id).first()?.decode(column: "n", as: Int.self) ?? 0
        }
        var scanner = ReleaseFileScanner(.csv)
        var listed = 0
        var batch: [UUID] = []
        func adopt() async throws {
            guard !batch.isEmpty else { return }
            try await sql.insert(into: membersTable).columns("release_id", "report_id")
                .select {
                    $0.column(SQLBind(id)).column("id").from(Report.schema)
                        .where("status", .equal, ReportStatus.published.rawValue).where("id", .in, batch)
                }.run()
            batch.removeAll(keepingCapacity: true)
        }
        func take(_ pieces: [ReleaseFileScanner.Piece]) async throws {
            for case .record(let report?, _) in pieces {
                listed += 1
                batch.append(report)
                if batch.count >= 500 { try await adopt() }
            }
        }
        try await read(.csv, of: release, on: database) { try await take(scanner.feed($0)) }
        try await take(scanner.finish())
        try await adopt()
        let pinnedStillPublished = try await members()
        let audited = try await AuditEntry.query(on: database).filter(\.$action == "release_freeze")
            .filter(\.$detail =~ "release \(release.name):").first()?.createdAt
        let frozenBy =
            audited ?? KazakhstanTime.noon(ofDay: release.frozenOn)?.addingTimeInterval(12 * 3600) ?? Date()
        try await sql.insert(into: membersTable).columns("release_id", "report_id")
            .select {
                $0.column(SQLBind(id)).column("id").from(Report.schema)
                    .where("status", .equal, ReportStatus.published.rawValue)
                    .where(group: {
                        $0.where("public_latitude", .is, SQLLiteral.null).orWhere(
                            "public_longitude", .is, SQLLiteral.null)
                    })
                    .where("published_at", .lessThanOrEqual, frozenBy)
            }.run()
        try await sql.update(DataRelease.schema).set("removed_count", to: max(0, listed - pinnedStillPublished))
            .set("rebuild_due", to: true).where("id", .equal, id).run()
    }

    /// The methodology note in one language, as it stands today; a release keeps its own copy.
    static func methodologyText(_ language: Language, translations: Translations) -> String {
        (["release_method_source", "release_method_moderation"] + (1...5).map { "data_privacy_\($0)" } + [
            "release_method_limits", "release_method_frozen",
        ]).map { translations.text($0, language) }.joined(separator: "\n\n")
    }
}
