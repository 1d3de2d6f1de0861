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

    /// The layer as the API sends it, kept per filter set and box for the published set's
    /// version: a map panning over a busy city asks for the same views again and again.
    static func cachedJSON(
        _ filters: IncidentFilters, cities: [String: City], app: Application, on database: any Database
    ) async throws -> ByteBuffer {
        let box = filters.bbox.map { "\($0.minLon),\($0.minLat),\($0.maxLon),\($0.maxLat)" } ?? ""
        return try await app.densityCache.value(for: filters.cacheKey + "|" + box, on: database) {
            ByteBuffer(
                data: try JSONEncoder().encode(try await compute(filters, cities: cities, app: app, on: database)))
        }
    }

    /// The layer for these filters, from the counts the published set keeps (``PublishedSet``).
    static func compute(
        _ filters: IncidentFilters, cities: [String: City], app: Application, on database: any Database
    ) async throws -> DensityMap {
        let (snapshot, counts) = try await app.publishedSet.placeCounts(filters, on: database)
        // Public points are on a 250 m grid, so there are few distinct ones to go through.
        var exact: [PublicLocation.Cell: Int] = [:]
        for (index, total) in counts.totals.enumerated() where total > 0 {
            let point = snapshot.places.points[index]
            if let box = filters.bbox,
                point.latitude < box.minLat || point.latitude > box.maxLat || point.longitude < box.minLon
                    || point.longitude > box.maxLon
            {
                continue
            }
            let cell = PublicLocation.cell(
                containing: PublicLocation.Point(latitude: point.latitude, longitude: point.longitude),
                cellMetres: cellMetres)
            exact[cell, default: 0] += Int(total)
        }
        let cells = exact.sorted { ($0.key.row, $0.key.column) < ($1.key.row, $1.key.column) }.map { cell, n in
            let shown = PublicCount(exact: n)
            return DensityMap.Cell(
                south: rounded(cell.south), west: rounded(cell.west), north: rounded(cell.north),
                east: rounded(cell.east), count: shown, level: DensityLevel(shown))
        }

        // Cities: all of them whatever the view, with and without pins.
        let figures = counts.cities(in: snapshot.cities).compactMap { slug, counted -> DensityMap.CityFigure? in
            guard let city = cities[slug] else { return nil }
            // Each figure is its own answer, counted in whole groups of ten (``Disclosure``).
            let shown = Disclosure.groupedTotal(counted.reports)
            guard shown.count != nil else { return nil }
            return DensityMap.CityFigure(
                city: slug, latitude: city.latitude, longitude: city.longitude, total: shown,
                withoutPin: Disclosure.groupedTotal(counted.reports - counted.pinned),
                level: DensityLevel(shown))
        }.sorted { ($0.total.weight, $1.city) > ($1.total.weight, $0.city) }
        return DensityMap(cells: cells, cities: figures)
    }

    /// Six decimals (about 10 cm): enough to draw a 1 km cell, short to send.
    private static func rounded(_ degrees: Double) -> Double { (degrees * 1_000_000).rounded() / 1_000_000 }
}

extension Application {
    private struct DensityCacheKey: StorageKey { typealias Value = PublicViewCache<ByteBuffer> }

    /// Set once in `configure`: the density layer's answers per filter set and box.
    var densityCache: PublicViewCache<ByteBuffer> {
        get { storage[DensityCacheKey.self] ?? PublicViewCache() }
        set { storage[DensityCacheKey.self] = newValue }
    }
}
