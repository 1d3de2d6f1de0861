import Crypto
import Foundation

/// Makes the public point of a published report (SPEC §6).
///
/// One real place gets one public place: the exact point is first snapped to a 100 m cell, and
/// the displacement is drawn from HMAC(server secret, that cell). Every report made within the
/// cell therefore lands on the same public point, so averaging the pins of many reports from one
/// workplace — or asking for one pin many times — gives back the public point, not the place.
///
/// At the finest precision the public point is the centre of a 250 m grid cell that lies
/// 175–325 m from the 100 m cell's centre: a displacement of 100–400 m followed by snapping, kept
/// to the cells for which every point of the 100 m cell (at most 71 m from its centre) ends
/// 100–400 m away.
enum PublicLocation {
    static let metresPerDegreeLatitude = 111_320.0
    /// Reports within one cell of this size share their public point.
    static let placeCellMetres = 100.0
    /// The 250 m cells whose centres are this far from the place cell's centre are candidates.
    static let candidateRing = 175.0...325.0

    struct Point: Equatable, Sendable {
        var latitude: Double
        var longitude: Double
    }

    static func make(
        latitude: Double, longitude: Double, precision: PublicPrecision, cityCentre: Point, key: SymmetricKey
    ) -> Point {
        let place = snap(Point(latitude: latitude, longitude: longitude), cellMetres: placeCellMetres)
        let seed = Array(HMAC<SHA256>.authenticationCode(for: Data(placeName(place).utf8), using: key))
        switch precision {
        case .city:
            return cityCentre
        case .grid250:
            let candidates = grid250Candidates(around: place)
            return candidates[Int(number(seed[12..<20]) % UInt64(candidates.count))]
        case .km1:
            return snap(displace(place, seed: seed), cellMetres: 1000)
        }
    }

    /// The 100 m cell's name as the HMAC input; the centre's coordinates, rounded so that the
    /// same cell always gives the same text.
    private static func placeName(_ centre: Point) -> String {
        String(format: "place-100m:%.6f,%.6f", centre.latitude, centre.longitude)
    }

    private static func number(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// Centres of the 250 m cells near `place` that lie within ``candidateRing`` of it, in a
    /// fixed order (rows south to north, cells west to east).
    static func grid250Candidates(around place: Point) -> [Point] {
        let latitudeStep = 250 / metresPerDegreeLatitude
        var candidates: [Point] = []
        for rowOffset in -2...2 {
            let probeLatitude = place.latitude + Double(rowOffset) * latitudeStep
            let longitudeStep = 250 / (metresPerDegreeLatitude * cos(probeLatitude * Double.pi / 180))
            for columnOffset in -2...2 {
                let probe = Point(
                    latitude: probeLatitude, longitude: place.longitude + Double(columnOffset) * longitudeStep)
                let centre = snap(probe, cellMetres: 250)
                if candidateRing.contains(distance(place, centre)) && !candidates.contains(centre) {
                    candidates.append(centre)
                }
            }
        }
        return candidates
    }

    /// Moves the point 100–400 m in a direction and by a distance drawn from `seed`.
    static func displace(_ point: Point, seed: [UInt8]) -> Point {
        func unit(_ bytes: ArraySlice<UInt8>) -> Double { Double(number(bytes)) / Double(UInt64(1) << 48) }
        let angle = unit(seed[0..<6]) * 2 * Double.pi
        // Uniform over the ring's area rather than its radius, so points are not bunched inwards.
        let inner = 100.0
        let outer = 400.0
        let distance = (inner * inner + unit(seed[6..<12]) * (outer * outer - inner * inner)).squareRoot()
        let north = distance * cos(angle)
        let east = distance * sin(angle)
        return Point(
            latitude: point.latitude + north / metresPerDegreeLatitude,
            longitude: point.longitude + east / (metresPerDegreeLatitude * cos(point.latitude * Double.pi / 180)))
    }

    /// The centre of the grid cell the point falls in. Rows are `cellMetres` tall; each row is
    /// cut into cells `cellMetres` wide at that row's latitude.
    static func snap(_ point: Point, cellMetres: Double) -> Point {
        cell(containing: point, cellMetres: cellMetres).centre
    }

    /// A square cell of the grid: rows of equal height, each row's columns as wide in metres
    /// as the row is tall at its centre line.
    struct Cell: Hashable, Sendable {
        /// The row and column name the cell; the rest follows from them.
        var row: Int
        var column: Int
        var south: Double
        var west: Double
        var north: Double
        var east: Double
        var centre: Point

        static func == (a: Cell, b: Cell) -> Bool { (a.row, a.column) == (b.row, b.column) }
        func hash(into hasher: inout Hasher) {
            hasher.combine(row)
            hasher.combine(column)
        }
    }

    static func cell(containing point: Point, cellMetres: Double) -> Cell {
        let latitudeStep = cellMetres / metresPerDegreeLatitude
        let row = (point.latitude / latitudeStep).rounded(.down)
        let rowCentre = (row + 0.5) * latitudeStep
        let longitudeStep = cellMetres / (metresPerDegreeLatitude * cos(rowCentre * Double.pi / 180))
        let column = (point.longitude / longitudeStep).rounded(.down)
        return Cell(
            row: Int(row), column: Int(column), south: row * latitudeStep, west: column * longitudeStep,
            north: (row + 1) * latitudeStep, east: (column + 1) * longitudeStep,
            centre: Point(latitude: rowCentre, longitude: (column + 0.5) * longitudeStep))
    }

    /// Great-circle distance in metres, for tests and sanity checks.
    static func distance(_ a: Point, _ b: Point) -> Double {
        let radius = 6_371_000.0
        let lat1 = a.latitude * .pi / 180
        let lat2 = b.latitude * .pi / 180
        let dLat = lat2 - lat1
        let dLon = (b.longitude - a.longitude) * .pi / 180
        let h = sin(dLat / 2) * sin(dLat / 2) + cos(lat1) * cos(lat2) * sin(dLon / 2) * sin(dLon / 2)
        return 2 * radius * asin(min(1, h.squareRoot()))
    }
}
