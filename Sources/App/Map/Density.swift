import Fluent
import SQLKit
import Vapor

/// The map's "more often / less often" layer (issue #12): published incidents counted per
/// 1 km cell for a city's view, and per city for the country's.
///
/// Cells count the public points only, so the layer shows nothing the pins do not already
/// show; their counts are rounded to 5, "fewer than 5" from 1 to 4, so a cell with one or two
/// reports is drawn as "some". Reports without a pin (at home, or by a partner, relative or
/// neighbour) have no public place finer than their city (SPEC §6): they count in their city's
/// figure, never in a cell, and city figures follow ``Disclosure``'s rule — a city that the
/// filters leave with fewer than 10 reports is not drawn, and its reports without a pin show
/// as a number only when there are at least 10 of them.
struct DensityMap: Content, Sendable {
    struct Cell: Content, Equatable, Sendable {
        var south: Double
        var west: Double
        var north: Double
        var east: Double
        var count: PublicCount
        var level: DensityLevel
    }

    struct CityFigure: Content, Equatable, Sendable {
        var city: String
        var latitude: Double
        var longitude: Double
        /// Every published report of the city, with or without a pin: at least 10.
        var total: PublicCount
        /// Those of them that have no pin: a number, or "fewer than 10".
        var withoutPin: PublicCount
        var level: DensityLevel
    }

    /// The side of a cell in metres.
    var cellMetres = DensityQueries.cellMetres
    /// Cells with at least one report, inside the `bbox` when one was given; south to north,
    /// west to east.
    var cells: [Cell]
    /// Cities with at least 10 matching reports, most first (the `bbox` does not narrow them).
    var cities: [CityFigure]
}

/// How much a cell or city holds, in words the legend can say.
enum DensityLevel: String, Content, CaseIterable, Sendable {
    /// Fewer than 5: shown, but never as a number.
    case some
    /// 5 or 10.
    case few
    /// 15 to 45.
    case several
    /// 50 or more.
    case many

    init(_ count: PublicCount) {
        switch count.count {
        case nil: self = .some
        case .some(...10): self = .few
        case .some(..<50): self = .several
        default: self = .many
        }
    }
}

enum DensityQueries {
    static let cellMetres = 1000.0

    static func compute(
        _ filters: IncidentFilters, cities: [String: City], on database: any Database
    ) async throws -> DensityMap {
        let sql = try database.sql()
        let count = SQLFunction("COUNT", args: SQLLiteral.all)

        // Public points are on a 250 m grid, so there are few distinct ones to read.
        let points = try await filters.apply(
            to: sql.select().column("public_latitude").column("public_longitude").column(count, as: "n")
                .from(Report.schema).groupBy("public_latitude").groupBy("public_longitude"),
            pinsOnly: true
        ).all()
        var exact: [PublicLocation.Cell: Int] = [:]
        for row in points {
            let point = PublicLocation.Point(
                latitude: try row.decode(column: "public_latitude", as: Double.self),
                longitude: try row.decode(column: "public_longitude", as: Double.self))
            exact[PublicLocation.cell(containing: point, cellMetres: cellMetres), default: 0] +=
                try row.decode(column: "n", as: Int.self)
        }
        let cells = exact.sorted { ($0.key.row, $0.key.column) < ($1.key.row, $1.key.column) }.map { cell, n in
            let shown = PublicCount(exact: n)
            return DensityMap.Cell(
                south: rounded(cell.south), west: rounded(cell.west), north: rounded(cell.north),
                east: rounded(cell.east), count: shown, level: DensityLevel(shown))
        }

        // Cities: all of them whatever the view, with and without pins.
        var wholeCountry = filters
        wholeCountry.bbox = nil
        func perCity(pinsOnly: Bool) async throws -> [String: Int] {
            var result: [String: Int] = [:]
            for row in try await wholeCountry.apply(
                to: sql.select().column("city").column(count, as: "n").from(Report.schema).groupBy("city"),
                pinsOnly: pinsOnly
            ).all() {
                result[try row.decode(column: "city", as: String.self)] = try row.decode(column: "n", as: Int.self)
            }
            return result
        }
        let everyReport = try await perCity(pinsOnly: false)
        let pinned = try await perCity(pinsOnly: true)
        let figures = everyReport.compactMap { slug, total -> DensityMap.CityFigure? in
            guard let city = cities[slug] else { return nil }
            // Each figure is its own answer, counted in whole groups of ten (``Disclosure``).
            let shown = Disclosure.groupedTotal(total)
            guard shown.count != nil else { return nil }
            return DensityMap.CityFigure(
                city: slug, latitude: city.latitude, longitude: city.longitude, total: shown,
                withoutPin: Disclosure.groupedTotal(total - (pinned[slug] ?? 0)),
                level: DensityLevel(shown))
        }.sorted { ($0.total.weight, $1.city) > ($1.total.weight, $0.city) }
        return DensityMap(cells: cells, cities: figures)
    }

    /// Six decimals (about 10 cm): enough to draw a 1 km cell, short to send.
    private static func rounded(_ degrees: Double) -> Double { (degrees * 1_000_000).rounded() / 1_000_000 }
}
