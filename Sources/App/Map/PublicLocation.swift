import Crypto
import Foundation

/// Makes the public point of a published report (SPEC §6).
///
/// The exact point is displaced by 100–400 m in a direction and distance drawn from
/// HMAC(server secret, report id) — so one report always lands in the same place and repeated
/// requests reveal nothing to average — and then snapped to the centre of a grid cell.
enum PublicLocation {
    static let metresPerDegreeLatitude = 111_320.0

    struct Point: Equatable, Sendable {
        var latitude: Double
        var longitude: Double
    }

    static func make(
        reportID: UUID, latitude: Double, longitude: Double, precision: PublicPrecision, cityCentre: Point,
        key: SymmetricKey
    ) -> Point {
        switch precision {
        case .city:
            return cityCentre
        case .grid250, .km1:
            let displaced = displace(reportID: reportID, latitude: latitude, longitude: longitude, key: key)
            return snap(displaced, cellMetres: precision == .grid250 ? 250 : 1000)
        }
    }

    /// Moves the point 100–400 m in a direction seeded by the report id.
    static func displace(reportID: UUID, latitude: Double, longitude: Double, key: SymmetricKey) -> Point {
        let mac = Array(HMAC<SHA256>.authenticationCode(for: Data(reportID.uuidString.utf8), using: key))
        func unit(_ bytes: ArraySlice<UInt8>) -> Double {
            Double(bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }) / Double(UInt64(1) << 48)
        }
        let angle = unit(mac[0..<6]) * 2 * Double.pi
        // Uniform over the ring's area rather than its radius, so points are not bunched inwards.
        let inner = 100.0
        let outer = 400.0
        let distance = (inner * inner + unit(mac[6..<12]) * (outer * outer - inner * inner)).squareRoot()
        let north = distance * cos(angle)
        let east = distance * sin(angle)
        let newLatitude = latitude + north / metresPerDegreeLatitude
        let newLongitude = longitude + east / (metresPerDegreeLatitude * cos(latitude * Double.pi / 180))
        return Point(latitude: newLatitude, longitude: newLongitude)
    }

    /// The centre of the grid cell the point falls in. Rows are `cellMetres` tall; each row is
    /// cut into cells `cellMetres` wide at that row's latitude.
    static func snap(_ point: Point, cellMetres: Double) -> Point {
        let latitudeStep = cellMetres / metresPerDegreeLatitude
        let row = (point.latitude / latitudeStep).rounded(.down)
        let rowCentre = (row + 0.5) * latitudeStep
        let longitudeStep = cellMetres / (metresPerDegreeLatitude * cos(rowCentre * Double.pi / 180))
        let column = (point.longitude / longitudeStep).rounded(.down)
        return Point(latitude: rowCentre, longitude: (column + 0.5) * longitudeStep)
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
