import Crypto
import Foundation
import Testing

@testable import App

/// SPEC §6: the public point is displaced 100–400 m, stable per report, snapped to a grid.
@Suite struct PublicLocationTests {
    let key = SymmetricKey(data: Data(repeating: 3, count: 32))
    let almaty = PublicLocation.Point(latitude: 43.252, longitude: 76.912)
    let exact = PublicLocation.Point(latitude: 43.2389, longitude: 76.8897)

    func publicPoint(
        _ id: UUID, _ precision: PublicPrecision = .grid250, key: SymmetricKey? = nil
    ) -> PublicLocation.Point {
        PublicLocation.make(
            reportID: id, latitude: exact.latitude, longitude: exact.longitude, precision: precision,
            cityCentre: almaty,
            key: key ?? self.key)
    }

    @Test func theSameReportAlwaysLandsInTheSamePlace() {
        let id = UUID()
        let first = publicPoint(id)
        for _ in 0..<20 { #expect(publicPoint(id) == first) }
    }

    @Test func displacementIsBetween100And400Metres() {
        for _ in 0..<500 {
            let moved = PublicLocation.displace(
                reportID: UUID(), latitude: exact.latitude, longitude: exact.longitude, key: key)
            let distance = PublicLocation.distance(exact, moved)
            #expect(distance >= 99.5 && distance <= 400.5, "\(distance)")
        }
    }

    @Test func directionsSpreadAllAround() {
        var quadrants = Set<Int>()
        for _ in 0..<200 {
            let moved = PublicLocation.displace(
                reportID: UUID(), latitude: exact.latitude, longitude: exact.longitude, key: key)
            quadrants.insert((moved.latitude > exact.latitude ? 1 : 0) + (moved.longitude > exact.longitude ? 2 : 0))
        }
        #expect(quadrants.count == 4)
    }

    @Test func publicPointsAreGridCellCentres() {
        for precision in [PublicPrecision.grid250, .km1] {
            let cell = precision == .grid250 ? 250.0 : 1000.0
            for _ in 0..<200 {
                let point = publicPoint(UUID(), precision)
                #expect(PublicLocation.snap(point, cellMetres: cell) == point)
                // Never closer than the displacement allows minus half a cell's diagonal, never far.
                let distance = PublicLocation.distance(exact, point)
                #expect(distance <= 400 + cell * 0.75)
            }
        }
    }

    @Test func manyReportsAtOnePlaceNeverRevealIt() {
        // Averaging the public points of many reports at one spot does not lead back to it
        // closer than the grid allows, because each lands on a cell centre.
        let points = (0..<300).map { _ in publicPoint(UUID()) }
        let exactCells = points.filter { PublicLocation.distance($0, exact) < 50 }
        #expect(exactCells.isEmpty)
    }

    @Test func anotherSecretGivesAnotherPlace() {
        let id = UUID()
        let other = SymmetricKey(data: Data(repeating: 4, count: 32))
        let a = PublicLocation.displace(reportID: id, latitude: exact.latitude, longitude: exact.longitude, key: key)
        let b = PublicLocation.displace(reportID: id, latitude: exact.latitude, longitude: exact.longitude, key: other)
        #expect(a != b)
    }

    @Test func cityPrecisionShowsOnlyTheCentre() {
        #expect(publicPoint(UUID(), .city) == almaty)
    }
}
