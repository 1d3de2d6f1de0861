import Fluent
import Vapor

/// `/data/releases`: the frozen, citable releases — a list, a page per release with its files,
/// checksums, methodology and statistics, the files themselves, and a one-page summary per city
/// that prints on A4.
struct ReleaseController {
    struct ReleaseRow: Encodable {
        var name: String
        var href: String
        var frozenOn: String
        var incidents: Int
    }

    struct ListContent: Encodable {
        var releases: [ReleaseRow]
        var hasReleases: Bool
    }

    @Sendable func list(req: Request) async throws -> View {
        let rows = try await DataReleases.all(on: req.db).map {
            ReleaseRow(
                name: $0.name, href: "/data/releases/" + $0.name, frozenOn: $0.frozenOn, incidents: $0.incidentCount)
        }
        return try await req.view.render(
            "releases",
            PageContext(
                req, title: req.text("release_list_title"), nav: "stats",
                content: ListContent(releases: rows, hasReleases: !rows.isEmpty)))
    }

    struct FileRow: Encodable {
        var label: String
        var href: String
        var size: String
        var sha256: String
    }

    struct CityLink: Encodable {
        var name: String
        var href: String
        var total: String
    }

    struct ReleaseContent: Encodable {
        var name: String
        var frozenOn: String
        /// "Reports removed since this release was frozen: N", when some were.
        var removed: String?
        /// When its files were last rewritten, when they were.
        var rebuilt: String?
        var incidents: Int
        var total: String
        var files: [FileRow]
        var checksumsHref: String
        var methodology: [String]
        var cite: String
        var headline: [String]
        var tables: StatisticsController.Tables
        var summaries: [CityLink]
        var hasSummaries: Bool
    }

    private func release(_ req: Request) async throws -> DataRelease {
        guard let release = try await DataReleases.find(req.parameters.get("name"), on: req.db) else {
            throw AppError.notFound
        }
        return release
    }

    private func cityNames(_ req: Request) async throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try await allCities(on: req.db).map { ($0.id ?? "", $0.name(req.language)) })
    }

    /// How to cite the release, with its permanent address and the CSV's checksum.
    private func citation(_ release: DataRelease, _ req: Request) -> String {
        let site = req.config.publicURL?.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/")) ?? ""
        return req.text("release_cite").replacingOccurrences(of: "{name}", with: release.name)
            .replacingOccurrences(of: "{date}", with: release.frozenOn)
            .replacingOccurrences(of: "{url}", with: site + "/data/releases/" + release.name)
            .replacingOccurrences(of: "{sha256}", with: release.csvSHA256)
    }

    /// The lines that say how many reports left the release and when it was last rewritten.
    private func changes(_ release: DataRelease, _ req: Request) -> (removed: String?, rebuilt: String?) {
        (
            release.removedCount > 0
                ? req.text("release_removed").replacingOccurrences(of: "{count}", with: String(release.removedCount))
                : nil,
            release.rebuiltOn.map { req.text("release_rebuilt").replacingOccurrences(of: "{date}", with: $0) }
        )
    }

    @Sendable func show(req: Request) async throws -> View {
        let release = try await release(req)
        let names = try await cityNames(req)
        let statistics = try DataReleases.decode(release.statistics)
        let words = StatisticsWords(statistics: statistics, cityNames: names, text: req.text)
        let base = "/data/releases/" + release.name
        let files = [
            FileRow(
                label: req.text("data_csv"), href: base + "/" + OpenDataFormat.csv.fileName(release: release.name),
                size: Self.size(release.csvSize), sha256: release.csvSHA256),
            FileRow(
                label: req.text("data_geojson"),
                href: base + "/" + OpenDataFormat.geoJSON.fileName(release: release.name),
                size: Self.size(release.geoJSONSize), sha256: release.geoJSONSHA256),
            FileRow(
                label: req.text("release_statistics_file"),
                href: base + "/" + DataReleases.statisticsFileName(release: release.name),
                size: Self.size(release.statistics.utf8.count),
                sha256: DataReleases.sha256(Data(release.statistics.utf8))),
        ]
        let summaries = statistics.cities.map {
            CityLink(name: names[$0.city] ?? $0.city, href: base + "/cities/" + $0.city, total: words.display($0.total))
        }
        let (removed, rebuilt) = changes(release, req)
        let content = ReleaseContent(
            name: release.name, frozenOn: release.frozenOn, removed: removed, rebuilt: rebuilt,
            incidents: release.incidentCount,
            total: words.display(statistics.total), files: files, checksumsHref: base + "/SHA256SUMS",
            methodology: Self.paragraphs(release.methodology(req.language)), cite: citation(release, req),
            headline: words.headline(),
            tables: StatisticsController.Tables(req, sections: words.sections(), cities: words.cities()),
            summaries: summaries, hasSummaries: !summaries.isEmpty)
        return try await req.view.render(
            "release",
            PageContext(
                req, title: req.text("release_title") + " " + release.name, nav: "stats", scripts: ["stats"],
                usesCharts: true, content: content))
    }

    /// How long a cache may reuse a release's file before asking again. A file changes only
    /// when the hourly job removes reports that left the release, so it must not be kept as
    /// `immutable`: a withdrawn report would stay in every cache that holds the old copy. Five
    /// minutes adds little to the hour a removal may take, and spares the database the downloads
    /// repeated within them; after that, a cache asks again with the ETag (the file's SHA-256)
    /// and gets a bodiless 304 while the file is unchanged.
    static let cacheControl = "public, max-age=300, must-revalidate"

    /// The files of a release as they stand: as frozen, less any report that has left it.
    @Sendable func file(req: Request) async throws -> Response {
        let release = try await release(req)
        let name = req.parameters.get("file") ?? ""
        let database = req.db
        let checksum: String
        if name == "SHA256SUMS" {
            checksum = DataReleases.sha256(Data(release.checksumFile.utf8))
        } else if name == DataReleases.statisticsFileName(release: release.name) {
            checksum = DataReleases.sha256(Data(release.statistics.utf8))
        } else if name == OpenDataFormat.csv.fileName(release: release.name) {
            checksum = release.csvSHA256
        } else if name == OpenDataFormat.geoJSON.fileName(release: release.name) {
            checksum = release.geoJSONSHA256
        } else {
            throw AppError.notFound
        }
        let etag = "\"" + checksum + "\""
        if Self.matches(req.headers[.ifNoneMatch], etag: etag) {
            let unchanged = Response(status: .notModified)
            unchanged.headers.replaceOrAdd(name: .eTag, value: etag)
            unchanged.headers.replaceOrAdd(name: .cacheControl, value: Self.cacheControl)
            return unchanged
        }
        let response: Response
        if name == "SHA256SUMS" {
            response = Response(status: .ok, body: .init(string: release.checksumFile))
            response.headers.contentType = .plainText
        } else if name == DataReleases.statisticsFileName(release: release.name) {
            response = Response(status: .ok, body: .init(string: release.statistics))
            response.headers.contentType = .json
        } else if let format = OpenDataFormat.allCases.first(where: { $0.fileName(release: release.name) == name }) {
            response = Response(
                status: .ok,
                body: .init(managedAsyncStream: { writer in
                    try await DataReleases.read(format, of: release, on: database) {
                        try await writer.writeBuffer(ByteBuffer(data: $0))
                    }
                }))
            response.headers.contentType = format.mediaType
        } else {
            throw AppError.notFound
        }
        response.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"\(name)\"")
        response.headers.replaceOrAdd(name: .eTag, value: etag)
        response.headers.replaceOrAdd(name: .cacheControl, value: Self.cacheControl)
        return response
    }

    /// Whether an `If-None-Match` header names this ETag (weak or strong, in a list, or `*`).
    static func matches(_ values: [String], etag: String) -> Bool {
        values.flatMap { $0.split(separator: ",") }.contains { candidate in
            let tag = candidate.trimmingCharacters(in: .whitespaces)
            return tag == "*" || tag == etag || tag == "W/" + etag
        }
    }

    struct CityContent: Encodable {
        var release: String
        var releaseHref: String
        var city: String
        var frozenOn: String
        var removed: String?
        var rebuilt: String?
        var total: String
        var headline: [String]
        var sections: [StatisticsController.SectionView]
        var cite: String
    }

    /// The questions a one-page summary answers, in this order.
    static let summarySections = [
        "perpetrator", "perpetratorRelation", "prevented", "preventedBy", "kinds", "placeType",
    ]

    /// One city's numbers on one page, for journalists and the akimat: prints on A4.
    @Sendable func city(req: Request) async throws -> View {
        let release = try await release(req)
        let id = try release.requireID()
        guard let slug = req.parameters.get("city"),
            let frozen = try await DataReleaseCity.query(on: req.db).filter(\.$release.$id == id)
                .filter(\.$city == slug).first()
        else { throw AppError.notFound }
        let names = try await cityNames(req)
        let words = StatisticsWords(
            statistics: try DataReleases.decode(frozen.statistics), cityNames: names, text: req.text)
        let sections = words.sections().filter { Self.summarySections.contains($0.id) }
            .sorted { Self.summarySections.firstIndex(of: $0.id)! < Self.summarySections.firstIndex(of: $1.id)! }
        let (removed, rebuilt) = changes(release, req)
        let content = CityContent(
            release: release.name, releaseHref: "/data/releases/" + release.name, city: names[slug] ?? slug,
            frozenOn: release.frozenOn, removed: removed, rebuilt: rebuilt,
            total: words.display(words.statistics.total), headline: words.headline(),
            sections: sections, cite: citation(release, req))
        return try await req.view.render(
            "release-city",
            PageContext(
                req, title: (names[slug] ?? slug) + " — " + req.text("release_title") + " " + release.name,
                nav: "stats", scripts: ["print"], content: content))
    }

    /// A size in the units people read: kB below a megabyte, MB above.
    static func size(_ bytes: Int) -> String {
        bytes < 1_000_000
            ? String(format: "%.0f kB", max(1, Double(bytes) / 1000))
            : String(format: "%.1f MB", Double(bytes) / 1_000_000)
    }

    static func paragraphs(_ text: String) -> [String] {
        text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
    }
}
