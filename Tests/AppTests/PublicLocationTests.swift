import Crypto
import Foundation
import Testing

@testable import App

/// SPEC §6: one public place per real place — displaced 100–400 m, seeded by the server secret
/// and the 100 m cell of the exact point, snapped to a 250 m grid.
@Suite struct PublicLocationTests {
    let key = SymmetricKey(data: Data(repeating: 3, count: 32))
    let almaty = PublicLocation.Point(latitude: 43.252, longitude: 76.912)
    /// An office block in Almaty.
    let office = PublicLocation.Point(latitude: 43.2389, longitude: 76.8897)

    func publicPoint(
        _ point: PublicLocation.Point, _ precision: PublicPrecision = .grid250, key: SymmetricKey? = nil
    ) -> PublicLocation.Point {
        PublicLocation.make(
            latitude: point.latitude, longitude: point.longitude, precision: precision, cityCentre: almaty,
            key: key ?? self.key)
    }

    /// `count` points within `radius` metres of `centre`, the same ones on every run.
    func spread(_ count: Int, within radius: Double, of centre: PublicLocation.Point) -> [PublicLocation.Point] {
        var random = SplitMix(seed: 42)
        return (0..<count).map { _ in
            let angle = random.unit() * 2 * .pi
            let distance = random.unit().squareRoot() * radius
            return PublicLocation.Point(
                latitude: centre.latitude + distance * cos(angle) / PublicLocation.metresPerDegreeLatitude,
                longitude: centre.longitude + distance * sin(angle)
                    / (PublicLocation.metresPerDegreeLatitude * cos(centre.latitude * .pi / 180)))
        }
    }

    func mean(_ points: [PublicLocation.Point]) -> PublicLocation.Point {
        PublicLocation.Point(
            latitude: points.map(\.latitude).reduce(0, +) / Double(points.count),
            longitude: points.map(\.longitude).reduce(0, +) / Double(points.count))
    }

    /// A random point inside Kazakhstan's box, from a seeded generator.
    func somewhere(_ random: inout SplitMix) -> PublicLocation.Point {
        PublicLocation.Point(
            latitude: 40.5 + random.unit() * 15, longitude: 46.4 + random.unit() * 41)
    }

    @Test func fiftyReportsAtOnePlaceShareOnePublicPointThatCannotBeAveragedBack() {
        let published = (0..<50).map { _ in publicPoint(office) }
        #expect(Set(published.map { "\($0)" }).count == 1)
        let distance = PublicLocation.distance(mean(published), office)
        #expect((100...400).contains(distance), "\(distance)")
    }

    @Test func fiftyReportsWithinThirtyMetresOfAWorkplaceShareOnePublicPoint() {
        // The middle of the workplace's 100 m cell, so a 30 m spread stays inside it.
        let workplace = PublicLocation.snap(office, cellMetres: 100)
        let reports = spread(50, within: 30, of: workplace)
        let published = reports.map { publicPoint($0) }
        #expect(Set(published.map { "\($0)" }).count == 1)
        let distance = PublicLocation.distance(mean(published), workplace)
        #expect((100...400).contains(distance), "\(distance)")
    }

    @Test func aWorkplaceAcrossACellBorderShowsInAtMostTwoPublicCellsBothFarFromIt() {
        // 10 m north of a row border of the 100 m grid, so the 30 m spread crosses that border.
        let step = 100 / PublicLocation.metresPerDegreeLatitude
        let border = (office.latitude / step).rounded(.down) * step
        let workplace = PublicLocation.Point(
            latitude: border + 10 / PublicLocation.metresPerDegreeLatitude,
            longitude: PublicLocation.snap(office, cellMetres: 100).longitude)
        let reports = spread(50, within: 30, of: workplace)
        let published = reports.map { publicPoint($0) }
        #expect(Set(published.map { "\($0)" }).count == 2)
        for (report, point) in zip(reports, published) {
            let distance = PublicLocation.distance(report, point)
            #expect((100...400).contains(distance), "\(distance)")
        }
    }

    @Test func placesAKilometreApartStayApart() {
        var random = SplitMix(seed: 7)
        for _ in 0..<500 {
            let a = somewhere(&random)
            let b = PublicLocation.Point(
                latitude: a.latitude + 1000 / PublicLocation.metresPerDegreeLatitude, longitude: a.longitude)
            #expect(PublicLocation.distance(publicPoint(a), publicPoint(b)) >= 200)
        }
    }

    @Test func everyPublicPointIsAGridCentre100To400MetresFromTheExactPoint() {
        var random = SplitMix(seed: 11)
        for _ in 0..<3000 {
            let exact = somewhere(&random)
            let point = publicPoint(exact)
            #expect(PublicLocation.snap(point, cellMetres: 250) == point)
            let distance = PublicLocation.distance(exact, point)
            #expect((100...400).contains(distance), "\(exact): \(distance)")
        }
    }

    @Test func everyPlaceHasAtLeastTwoCandidateCells() {
        var random = SplitMix(seed: 13)
        for _ in 0..<3000 {
            let place = PublicLocation.snap(somewhere(&random), cellMetres: 100)
            #expect(PublicLocation.grid250Candidates(around: place).count >= 2)
        }
    }

    @Test func directionsSpreadAllAround() {
        var random = SplitMix(seed: 17)
        var quadrants = Set<Int>()
        for _ in 0..<200 {
            let exact = somewhere(&random)
            let moved = publicPoint(exact)
            quadrants.insert((moved.latitude > exact.latitude ? 1 : 0) + (moved.longitude > exact.longitude ? 2 : 0))
        }
        #expect(quadrants.count == 4)
    }

    @Test func anotherSecretGivesOtherPlaces() {
        var random = SplitMix(seed: 19)
        let other = SymmetricKey(data: Data(repeating: 4, count: 32))
        let places = (0..<50).map { _ in somewhere(&random) }
        let moved = places.filter { publicPoint($0) != publicPoint($0, key: other) }
        #expect(moved.count >= 25)
    }

    @Test func coarserPrecisionsAreCoarser() {
        let kilometre = publicPoint(office, .km1)
        #expect(PublicLocation.snap(kilometre, cellMetres: 1000) == kilometre)
        #expect(PublicLocation.distance(kilometre, office) <= 400 + 71 + 710)
        #expect(publicPoint(office, .city) == almaty)
    }
}
