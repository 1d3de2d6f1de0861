import Fluent
import NIOConcurrencyHelpers
import NIOCore
import SQLKit
import Vapor

/// What the map draws for one view (SPEC §7 `GET /incidents/clusters`): at street level, or
/// where the view holds few incidents, each one as a pin; otherwise clusters with how many of them were not
/// stopped (red) and stopped (blue). A browser never receives more than ``ClusterQueries/maxPoints``
/// pins, or a few hundred clusters, at any zoom.
struct ClusterView: Content {
    struct Cluster: Content, Equatable {
        var latitude: Double
        var longitude: Double
        var count: Int
        /// How many of them were stopped (blue); the rest were not (red).
        var prevented: Int
        /// The box the cluster's incidents lie in, for zooming into it.
        var south: Double
        var west: Double
        var north: Double
        var east: Double

        var json: String {
            "{\"latitude\":\(latitude),\"longitude\":\(longitude),\"count\":\(count),\"prevented\":\(prevented),"
                + "\"south\":\(south),\"west\":\(west),\"north\":\(north),\"east\":\(east)}"
        }
    }

    /// One incident's pin. The words come from `GET /incidents/{id}` when its popup opens.
    struct Point: Content, Equatable {
        var id: UUID
        var latitude: Double
        var longitude: Double
        var prevented: Bool

        var json: String {
            "{\"id\":\"\(id.uuidString)\",\"latitude\":\(latitude),\"longitude\":\(longitude),\"prevented\":\(prevented)}"
        }
    }

    var zoom: Int
    /// Incidents with a pin in the view.
    var total: Int
    var clusters: [Cluster]
    var points: [Point]
    /// `clusters` as JSON, kept with the grid they come from; not itself part of the answer.
    var clustersJSON: [String] = []

    private enum CodingKeys: String, CodingKey { case zoom, total, clusters, points }

    /// The view as JSON, from the clusters' kept JSON: encoding a hundred clusters with
    /// `JSONEncoder` on every request cost more than finding them (issue #14).
    var json: String {
        let clusters = clustersJSON.count == self.clusters.count ? clustersJSON : self.clusters.map(\.json)
        return "{\"zoom\":\(zoom),\"total\":\(total),\"clusters\":[" + clusters.joined(separator: ",")
            + "],\"points\":[" + points.map(\.json).joined(separator: ",") + "]}"
    }
}

/// A zoom's clusters for the whole published set, each also kept as JSON.
struct ClusterGrid: Sendable {
    var clusters: [ClusterView.Cluster]
    var json: [String]

    init(_ clusters: [ClusterView.Cluster]) {
        self.clusters = clusters
        json = clusters.map(\.json)
    }
}

enum ClusterQueries {
    /// From this zoom (streets) up to ``maxPoints`` incidents in a view come as pins; below it,
    /// up to ``sparse``. More come as clusters.
    static let pinZoom = 14
    static let maxPoints = 2000
    static let sparse = 200
    /// A cluster cell is about a quarter of a 256-pixel map tile wide.
    static func cellDegrees(zoom: Int) -> Double { 90 / Double(1 << zoom) }

    /// A public map point (published points lie on a 250 m grid, so there are few of them)
    /// with how many incidents it holds and how many of those were stopped.
    struct Place: Sendable {
        var latitude: Double
        var longitude: Double
        var total: Int
        var prevented: Int
    }

    static func view(
        _ filters: IncidentFilters, zoom: Int, maxPoints: Int = maxPoints, app: Application, on database: any Database
    ) async throws -> ClusterView {
        let (version, places) = try await versionedPlaces(filters, app: app, on: database)
        // The whole published set's cells at this zoom, kept for the version the places are of.
        var unboxed = filters
        unboxed.bbox = nil
        let grid = try await app.clusterGridCache.value(for: "\(unboxed.cacheKey)|\(zoom)", version: version) {
            ClusterGrid(clusters(of: places, zoom: zoom))
        }
        // How many incidents the view holds, bounded by the cells: those wholly inside it
        // count for sure, those that touch it may. Only when the bounds straddle the limit for
        // pins are the places counted one by one.
        var inside = 0
        var touching = 0
        var shown: [Int] = []
        for (index, cell) in grid.clusters.enumerated() {
            guard let box = filters.bbox else {
                inside += cell.count
                shown.append(index)
                continue
            }
            if cell.north < box.minLat || cell.south > box.maxLat || cell.east < box.minLon || cell.west > box.maxLon {
                continue
            }
            touching += cell.count
            if cell.south >= box.minLat && cell.north <= box.maxLat && cell.west >= box.minLon
                && cell.east <= box.maxLon
            {
                inside += cell.count
            }
            // A cell belongs to the view that holds its centre.
            if cell.latitude >= box.minLat && cell.latitude <= box.maxLat && cell.longitude >= box.minLon
                && cell.longitude <= box.maxLon
            {
                shown.append(index)
            }
        }
        if filters.bbox == nil { touching = inside }
        // Pins on their own from street level on, or wherever the view holds only a few.
        let pinLimit = zoom >= pinZoom ? maxPoints : min(sparse, maxPoints)
        if inside <= pinLimit {
            let total = inside == touching ? inside : total(of: places, in: filters)
            if total <= pinLimit {
                return ClusterView(
                    zoom: zoom, total: total, clusters: [],
                    points: try await points(filters, limit: maxPoints, on: database))
            }
        }
        return ClusterView(
            zoom: zoom, total: shown.reduce(0) { $0 + grid.clusters[$1].count },
            clusters: shown.map { grid.clusters[$0] },
            points: [], clustersJSON: shown.map { grid.json[$0] })
    }

    /// The places gathered into square cells about a quarter of a map tile wide at `zoom`: each
    /// cell's count, red/blue split, weighted centre and the box its places lie in.
    static func clusters(of places: [Place], zoom: Int) -> [ClusterView.Cluster] {
        let size = cellDegrees(zoom: zoom)
        struct Cell: Hashable {
            var x: Int
            var y: Int
        }
        var cells: [Cell: (count: Int, prevented: Int, latitude: Double, longitude: Double, box: ClusterView.Cluster)] =
            [:]
        for place in places {
            let cell = Cell(
                x: Int(((place.longitude + 180) / size).rounded(.down)),
                y: Int(((place.latitude + 90) / size).rounded(.down)))
            var entry =
                cells[cell]
                ?? (
                    0, 0, 0, 0,
                    ClusterView.Cluster(
                        latitude: 0, longitude: 0, count: 0, prevented: 0, south: place.latitude, west: place.longitude,
                        north: place.latitude, east: place.longitude)
                )
            entry.count += place.total
            entry.prevented += place.prevented
            entry.latitude += place.latitude * Double(place.total)
            entry.longitude += place.longitude * Double(place.total)
            entry.box.south = min(entry.box.south, place.latitude)
            entry.box.north = max(entry.box.north, place.latitude)
            entry.box.west = min(entry.box.west, place.longitude)
            entry.box.east = max(entry.box.east, place.longitude)
            cells[cell] = entry
        }
        let clusters = cells.sorted { ($0.key.y, $0.key.x) < ($1.key.y, $1.key.x) }.map { _, entry in
            var cluster = entry.box
            cluster.count = entry.count
            cluster.prevented = entry.prevented
            // Kept inside its box: rounding the mean of pins that share one point (as pins of one
            // site now do) could put it a hair beyond them.
            cluster.latitude = min(max(rounded(entry.latitude / Double(entry.count)), cluster.south), cluster.north)
            cluster.longitude = min(max(rounded(entry.longitude / Double(entry.count)), cluster.west), cluster.east)
            return cluster
        }
        return clusters
    }

    /// How many incidents the places hold within the filters' box (all of them without one).
    static func total(of places: [Place], in filters: IncidentFilters) -> Int {
        places.reduce(0) { sum, place in
            guard let box = filters.bbox else { return sum + place.total }
            let inside =
                place.latitude >= box.minLat && place.latitude <= box.maxLat && place.longitude >= box.minLon
                && place.longitude <= box.maxLon
            return inside ? sum + place.total : sum
        }
    }

    /// The pins of a view that holds few incidents: public columns only, no model decoding.
    private static func points(
        _ filters: IncidentFilters, limit: Int, on database: any Database
    ) async throws -> [ClusterView.Point] {
        try await filters.apply(
            to: database.sql().select().column("id").column("public_latitude").column("public_longitude")
                .column("prevented").from(Report.schema),
            pinsOnly: true
        ).orderBy("id").limit(limit).all().map { row in
            ClusterView.Point(
                id: try row.decode(column: "id", as: UUID.self),
                latitude: try row.decode(column: "public_latitude", as: Double.self),
                longitude: try row.decode(column: "public_longitude", as: Double.self),
                prevented: try row.decode(column: "prevented", as: Bool.self))
        }
    }

    /// Every public point the filters (without the view's box) let through, with its counts:
    /// from the counts the published set keeps per filter set (``PublishedSet``), so panning,
    /// zooming and publishing never count the reports again.
    static func places(
        _ filters: IncidentFilters, app: Application, on database: any Database
    ) async throws
        -> [Place]
    {
        try await versionedPlaces(filters, app: app, on: database).places
    }

    /// The places with the version of the published set they are of.
    static func versionedPlaces(
        _ filters: IncidentFilters, app: Application, on database: any Database
    ) async throws -> (version: Int64, places: [Place]) {
        let (snapshot, counts) = try await app.publishedSet.placeCounts(filters, on: database)
        var unboxed = filters
        unboxed.bbox = nil
        let places = try await app.clusterCache.value(for: unboxed.cacheKey, version: snapshot.version) {
            counts.places(in: snapshot.places)
        }
        return (snapshot.version, places)
    }

    private static func rounded(_ degrees: Double) -> Double { (degrees * 1_000_000).rounded() / 1_000_000 }
}

extension IncidentFilters {
    /// The filters that decide which incidents count, as one string (the view's box and the
    /// page are not part of it).
    var cacheKey: String {
        [
            from ?? "", to ?? "", kinds.map(\.rawValue).sorted().joined(separator: ","),
            placeTypes.map(\.rawValue).sorted().joined(separator: ","), perpetrator?.rawValue ?? "",
            prevented.map { $0 ? "1" : "0" } ?? "", city ?? "",
        ].joined(separator: "|")
    }
}

typealias ClusterCache = PublicViewCache<[ClusterQueries.Place]>
typealias ClusterGridCache = PublicViewCache<ClusterGrid>

extension Application {
    private struct ClusterCacheKey: StorageKey { typealias Value = ClusterCache }

    /// Set once in `configure`.
    var clusterCache: ClusterCache {
        get { storage[ClusterCacheKey.self] ?? ClusterCache() }
        set { storage[ClusterCacheKey.self] = newValue }
    }

    private struct ClusterGridCacheKey: StorageKey { typealias Value = ClusterGridCache }

    /// Set once in `configure`: the clusters of the whole published set per filters and zoom.
    var clusterGridCache: ClusterGridCache {
        get { storage[ClusterGridCacheKey.self] ?? ClusterGridCache() }
        set { storage[ClusterGridCacheKey.self] = newValue }
    }
}
