import Crypto
import Foundation

/// Makes the public point of a published report (SPEC §6).
///
/// One real place gets one public place, and one site — a campus, a market, a street of up to
/// 500 m — has all its public points shifted together:
///
/// - The exact point is first snapped to its 100 m cell, the *place*. Everything after depends
///   on the place and the server secret only, never on the report, so every report made within
///   one cell — or one pin asked for many times — gets the same public point.
/// - The place is moved by a *displacement field* drawn from the server secret: at the nodes of
///   a lattice 5 km apart the secret draws two numbers, which are blended continuously between
///   the nodes and turned into a direction and a distance of 100–400 m. The blend is rescaled so
///   that every direction is equally likely midway between nodes as at a node. Places a few
///   hundred metres apart get nearly the same vector, so averaging the pins of one site gives
///   back the site moved by that vector, not the site; places kilometres apart get unrelated
///   vectors. Whoever learns one place's exact and public point learns the field near it; the
///   250 m snapping below still hides where in its cell each report was.
/// - At the finest precision the public point is the centre of the 250 m grid cell nearest to
///   the moved place, among the centres that lie 100–400 m from every point of the place's
///   100 m cell — so it is 100–400 m from the exact point, wherever in the cell that point was.
/// - At 1 km precision it is the centre of the 1 km cell the moved place falls in; at city
///   precision, the city's centre.
enum PublicLocation {
    static let metresPerDegreeLatitude = 111_320.0
    /// Reports within one cell of this size share their public point.
    static let placeCellMetres = 100.0
    /// How far a public point at the finest precision lies from the exact point (SPEC §6), and
    /// how far the field moves a place.
    static let allowedDistance = 100.0...400.0
    /// Candidates keep this many metres inside ``allowedDistance``, for the Earth's curvature
    /// and rounding.
    static let margin = 1.0
    /// The displacement field's nodes are this far apart: north–south everywhere, east–west at
    /// ``fieldReferenceLatitude`` (4.6–5.7 km across Kazakhstan).
    static let fieldSpacingMetres = 5_000.0
    static let fieldReferenceLatitude = 48.0

    struct Point: Equatable, Sendable {
        var latitude: Double
        var longitude: Double
    }

    /// A move in metres.
    struct Displacement: Equatable, Sendable {
        var north: Double
        var east: Double
        var length: Double { (north * north + east * east).squareRoot() }
    }

    static func make(
        latitude: Double, longitude: Double, precision: PublicPrecision, cityCentre: Point, key: SymmetricKey
    ) -> Point {
        let place = cell(containing: Point(latitude: latitude, longitude: longitude), cellMetres: placeCellMetres)
        switch precision {
        case .city:
            return cityCentre
        case .grid250:
            let target = move(place.centre, by: displacement(at: place.centre, key: key))
            // Every place has candidates (the tests try each kind of place); were there none, the
            // city's centre would be the answer that reveals nothing.
            return grid250Candidates(for: place).min { distance($0, target) < distance($1, target) } ?? cityCentre
        case .km1:
            return snap(move(place.centre, by: displacement(at: place.centre, key: key)), cellMetres: 1000)
        }
    }

    /// The displacement field at `point`: a direction and a distance within
    /// ``allowedDistance``, drawn from the secret at the four nodes around the point and
    /// blended by how near each node is.
    static func displacement(at point: Point, key: SymmetricKey) -> Displacement {
        let y = point.latitude * metresPerDegreeLatitude / fieldSpacingMetres
        let x =
            point.longitude * metresPerDegreeLatitude * cos(fieldReferenceLatitude * .pi / 180) / fieldSpacingMetres
        let row = y.rounded(.down)
        let column = x.rounded(.down)
        let up = y - row
        let right = x - column
        var direction = 0.0
        var length = 0.0
        var squares = 0.0
        for (rowStep, columnStep, weight) in [
            (0, 0, (1 - up) * (1 - right)), (0, 1, (1 - up) * right), (1, 0, up * (1 - right)), (1, 1, up * right),
        ] {
            let node = fieldNode(row: Int(row) + rowStep, column: Int(column) + columnStep, key: key)
            direction += weight * node.direction
            length += weight * node.length
            squares += weight * weight
        }
        // A weighted sum of independent standard normal numbers, divided by the root of the
        // squared weights, is standard normal again; through the normal distribution it becomes
        // a share, uniform between 0 and 1 at every point.
        let scale = squares.squareRoot()
        let angle = 2 * Double.pi * normalDistribution(direction / scale)
        // Uniform over the ring's area rather than its radius, so places are not bunched inwards.
        let inner = allowedDistance.lowerBound
        let outer = allowedDistance.upperBound
        let metres = (inner * inner + normalDistribution(length / scale) * (outer * outer - inner * inner))
            .squareRoot()
        return Displacement(north: metres * cos(angle), east: metres * sin(angle))
    }

    /// Two independent standard normal numbers for one node of the field, drawn from the secret
    /// and the node's name only.
    static func fieldNode(row: Int, column: Int, key: SymmetricKey) -> (direction: Double, length: Double) {
        let name = "displacement-node-5km:\(row),\(column)"
        let code = Array(HMAC<SHA256>.authenticationCode(for: Data(name.utf8), using: key))
        // Strictly between 0 and 1, so the logarithm below is finite.
        func unit(_ bytes: ArraySlice<UInt8>) -> Double { (Double(number(bytes)) + 0.5) / Double(UInt64(1) << 48) }
        // Box–Muller: two uniform numbers make two independent normal ones.
        let radius = (-2 * log(unit(code[0..<6]))).squareRoot()
        let turn = 2 * Double.pi * unit(code[6..<12])
        return (radius * cos(turn), radius * sin(turn))
    }

    /// The standard normal distribution function.
    static func normalDistribution(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

    private static func number(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// Moves the point by the displacement.
    static func move(_ point: Point, by vector: Displacement) -> Point {
        Point(
            latitude: point.latitude + vector.north / metresPerDegreeLatitude,
            longitude: point.longitude + vector.east
                / (metresPerDegreeLatitude * cos(point.latitude * Double.pi / 180)))
    }

    /// The public point's candidates for the 100 m cell holding `point`.
    static func grid250Candidates(around point: Point) -> [Point] {
        grid250Candidates(for: cell(containing: point, cellMetres: placeCellMetres))
    }

    /// Centres of the 250 m cells that lie within ``allowedDistance`` of every point of the
    /// place's cell (less ``margin``), in a fixed order (rows south to north, cells west to east).
    static func grid250Candidates(for place: Cell) -> [Point] {
        let latitudeStep = 250 / metresPerDegreeLatitude
        let corners = [
            (place.south, place.west), (place.south, place.east), (place.north, place.west), (place.north, place.east),
        ]
        .map { Point(latitude: $0.0, longitude: $0.1) }
        var candidates: [Point] = []
        for rowOffset in -2...2 {
            let probeLatitude = place.centre.latitude + Double(rowOffset) * latitudeStep
            let longitudeStep = 250 / (metresPerDegreeLatitude * cos(probeLatitude * Double.pi / 180))
            for columnOffset in -2...2 {
                let probe = Point(
                    latitude: probeLatitude, longitude: place.centre.longitude + Double(columnOffset) * longitudeStep)
                let centre = snap(probe, cellMetres: 250)
                // The cell's nearest point to the centre, and its farthest (a corner).
                let nearest = Point(
                    latitude: min(max(centre.latitude, place.south), place.north),
                    longitude: min(max(centre.longitude, place.west), place.east))
                let farthest = corners.reduce(0.0) { max($0, distance(centre, $1)) }
                if distance(centre, nearest) >= allowedDistance.lowerBound + margin
                    && farthest <= allowedDistance.upperBound - margin && !candidates.contains(centre)
                {
                    candidates.append(centre)
                }
            }
        }
        return candidates
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
