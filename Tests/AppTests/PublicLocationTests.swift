import Crypto
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

@testable import App

/// SPEC §6: one public place per real place, and one site's pins shifted together — displaced
/// 100–400 m by a field drawn from the server secret, snapped to a 250 m grid.
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

    /// The point `metres` away from `centre` in the direction `angle` (radians from north).
    func offset(_ centre: PublicLocation.Point, metres: Double, angle: Double) -> PublicLocation.Point {
        PublicLocation.Point(
            latitude: centre.latitude + metres * cos(angle) / PublicLocation.metresPerDegreeLatitude,
            longitude: centre.longitude + metres * sin(angle)
                / (PublicLocation.metresPerDegreeLatitude * cos(centre.latitude * .pi / 180)))
    }

    /// `count` points spread evenly over the disc of `radius` metres around `centre`.
    func spread(
        _ count: Int, within radius: Double, of centre: PublicLocation.Point, _ random: inout SplitMix
    ) -> [PublicLocation.Point] {
        (0..<count).map { _ in
            offset(centre, metres: random.unit().squareRoot() * radius, angle: random.unit() * 2 * .pi)
        }
    }

    /// The same, the same points on every run.
    func spread(_ count: Int, within radius: Double, of centre: PublicLocation.Point) -> [PublicLocation.Point] {
        var random = SplitMix(seed: 42)
        return spread(count, within: radius, of: centre, &random)
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

    /// How far from each site's centre the mean of its public points lies: `sites` sites of
    /// `diameter` metres with their centres anywhere in lat 41–54, lon 50–85, each with 9–25
    /// reports at random points within it.
    func averagedSites(
        _ sites: Int, diameter: Double, key: SymmetricKey, _ random: inout SplitMix
    ) -> [Double] {
        (0..<sites).map { _ in
            let centre = PublicLocation.Point(latitude: 41 + random.unit() * 13, longitude: 50 + random.unit() * 35)
            let count = 9 + Int(random.next() % 17)
            let reports = spread(count, within: diameter / 2, of: centre, &random)
            return PublicLocation.distance(mean(reports.map { publicPoint($0, key: key) }), centre)
        }
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
        #expect(Set(published.map { "\($0)" }).count <= 2)
        for (report, point) in zip(reports, published) {
            let distance = PublicLocation.distance(report, point)
            #expect((100...400).contains(distance), "\(distance)")
        }
        #expect(PublicLocation.distance(mean(published), workplace) >= 90)
    }

    @Test func sitesOf300And500MetresAverageToAPointFarFromTheirCentre() {
        // A campus, a market, a street: every 100 m cell of it is shifted the same way, so the
        // mean of its pins is the site moved, not the site (issue #21, finding 5).
        var random = SplitMix(seed: 2121)
        for diameter in [300.0, 500.0] {
            let distances = averagedSites(100, diameter: diameter, key: key, &random)
            #expect(distances.filter { $0 >= 90 }.count >= 95, "\(diameter) m: \(distances.sorted().prefix(10))")
            #expect(distances.allSatisfy { $0 >= 50 }, "\(diameter) m: \(distances.sorted().prefix(10))")
        }
    }

    /// How far from the office the mean of the public points of 20 reports within 25 m of it
    /// lies, for an office on the corner of a 100 m cell.
    func averagedOffice(at corner: PublicLocation.Point, _ random: inout SplitMix) -> Double {
        let reports = spread(20, within: 25, of: corner, &random)
        #expect(Set(reports.map { PublicLocation.cell(containing: $0, cellMetres: 100) }).count >= 2)
        return PublicLocation.distance(mean(reports.map { publicPoint($0) }), corner)
    }

    @Test func twentyReportsAroundAnOfficeAcrossFourCellsAverageFarFromIt() {
        // Office blocks on the north-east corners of the 36 cells of the half kilometre around
        // the office: 20 reports within 25 m of each straddle the cells, and still average far
        // from it.
        let cell = PublicLocation.cell(containing: office, cellMetres: 100)
        let step = 100 / PublicLocation.metresPerDegreeLatitude
        var random = SplitMix(seed: 2125)
        var distances: [Double] = []
        for row in -3...2 {
            for column in -3...2 {
                let block = PublicLocation.cell(
                    containing: PublicLocation.Point(
                        latitude: cell.centre.latitude + Double(row) * step,
                        longitude: cell.centre.longitude + Double(column) * step / cos(cell.centre.latitude * .pi / 180)
                    ),
                    cellMetres: 100)
                let corner = PublicLocation.Point(latitude: block.north, longitude: block.east)
                distances.append(averagedOffice(at: corner, &random))
            }
        }
        #expect(distances.allSatisfy { $0 >= 90 }, "\(distances.sorted().prefix(5))")
    }

    @Test func officesAcrossCellCornersAnywhereAverageFarFromThem() {
        // A thousand such offices across the country. A 250 m centre must lie 100–400 m from
        // every point of a 100 m cell, which leaves about one cell in ten two candidates on
        // one side of it: a rare office whose reports mostly fall in such a cell averages nearer.
        var random = SplitMix(seed: 2125)
        let distances = (0..<1000).map { _ in
            let cell = PublicLocation.cell(
                containing: PublicLocation.Point(latitude: 41 + random.unit() * 13, longitude: 50 + random.unit() * 35),
                cellMetres: 100)
            return averagedOffice(at: PublicLocation.Point(latitude: cell.north, longitude: cell.east), &random)
        }
        #expect(distances.filter { $0 >= 90 }.count >= 970, "\(distances.sorted().prefix(40))")
        #expect(distances.filter { $0 >= 50 }.count >= 995, "\(distances.sorted().prefix(10))")
    }

    @Test func theFieldMovesNearbyPlacesAlikeAndFarPlacesApart() {
        var random = SplitMix(seed: 23)
        var near: [Double] = []
        var far: [Double] = []
        for _ in 0..<1000 {
            let here = somewhere(&random)
            let vector = PublicLocation.displacement(at: here, key: key)
            #expect((100...400).contains(vector.length), "\(vector)")
            func gap(_ other: PublicLocation.Point) -> Double {
                let there = PublicLocation.displacement(at: other, key: key)
                return PublicLocation.Displacement(north: there.north - vector.north, east: there.east - vector.east)
                    .length
            }
            near.append(gap(offset(here, metres: 500, angle: random.unit() * 2 * .pi)))
            far.append(gap(offset(here, metres: 50_000, angle: random.unit() * 2 * .pi)))
        }
        // Half a kilometre changes the vector by a fraction of its length; fifty kilometres
        // give an unrelated one.
        near.sort()
        far.sort()
        #expect(near[500] <= 60 && near[900] <= 200, "\(near[500]) \(near[900])")
        #expect(far[500] >= 200 && far.filter { $0 >= 100 }.count >= 850, "\(far[500])")
    }

    @Test func everyDirectionIsAsLikelyAsAnother() {
        // Between the field's nodes as at them: an attacker who knows the method but not the
        // secret has no favourite direction to undo.
        var random = SplitMix(seed: 29)
        var octants = [Int](repeating: 0, count: 8)
        for _ in 0..<4000 {
            let vector = PublicLocation.displacement(at: somewhere(&random), key: key)
            let angle = atan2(vector.east, vector.north) + .pi
            octants[min(7, Int(angle / (.pi / 4)))] += 1
        }
        #expect(octants.allSatisfy { (380...620).contains($0) }, "\(octants)")
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
        // Also at the very corners of the 100 m cells, where the rule is tightest.
        for _ in 0..<1000 {
            let cell = PublicLocation.cell(containing: somewhere(&random), cellMetres: 100)
            let point = publicPoint(cell.centre)
            for corner in [(cell.south, cell.west), (cell.south, cell.east), (cell.north, cell.west)] {
                let exact = PublicLocation.Point(latitude: corner.0, longitude: corner.1)
                #expect((100...400).contains(PublicLocation.distance(exact, point)))
            }
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
        // And other sites' means: the same sites under two secrets average to other points.
        var first = SplitMix(seed: 2121)
        var second = SplitMix(seed: 2121)
        let mine = averagedSites(20, diameter: 500, key: key, &first)
        let theirs = averagedSites(20, diameter: 500, key: other, &second)
        #expect(zip(mine, theirs).filter { abs($0 - $1) > 1 }.count >= 10)
    }

    @Test func coarserPrecisionsAreCoarser() {
        let kilometre = publicPoint(office, .km1)
        #expect(PublicLocation.snap(kilometre, cellMetres: 1000) == kilometre)
        #expect(PublicLocation.distance(kilometre, office) <= 400 + 71 + 710)
        #expect(publicPoint(office, .city) == almaty)
    }

    /// A report sent through the API at `point`, then given by hand the status, precision and
    /// the public point an earlier derivation (another secret) gave it.
    func stored(
        _ app: Application, at point: PublicLocation.Point, _ status: ReportStatus, _ precision: PublicPrecision?,
        placeType: String = "street"
    ) async throws -> Report {
        let code = try await app.submitReport([
            "latitude": point.latitude, "longitude": point.longitude, "placeType": placeType,
        ])
        let report = try await app.report(receipt: code)
        report.status = status.rawValue
        if let precision {
            let earlier = SymmetricKey(data: Data(repeating: 9, count: 32))
            let old = publicPoint(point, precision, key: earlier)
            report.publicPrecision = precision.rawValue
            report.publicLatitude = old.latitude
            report.publicLongitude = old.longitude
        }
        try await report.save(on: app.db)
        return report
    }

    @Test func publishedPinsAreMovedToTheFieldAndTheMapFollows() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            let city = try #require(try await City.find("almaty", on: app.db))
            #expect(PublicLocation.Point(latitude: city.latitude, longitude: city.longitude) == almaty)
            // Reports across one market, published at the points the old derivation gave.
            var random = SplitMix(seed: 31)
            let market = spread(8, within: 200, of: office, &random)
            var grid: [Report] = []
            for point in market.prefix(5) { grid.append(try await stored(app, at: point, .published, .grid250)) }
            let kilometre = try await stored(app, at: market[5], .published, .km1)
            let archived = try await stored(app, at: market[6], .archived, .grid250)
            let cityOnly = try await stored(app, at: market[7], .published, .city)
            let pending = try await stored(app, at: office, .pending, nil)
            let home = try await stored(app, at: office, .published, nil, placeType: "residential")
            home.publicPrecision = PublicPrecision.grid250.rawValue
            try await home.save(on: app.db)
            // The map's places, cached under the published set's version.
            let version = try await PublicChanges.current(on: app.db)
            let cached = try await ClusterQueries.places(IncidentFilters(), app: app, on: app.db)
            #expect(cached.count >= 5)

            // Two at a time, so the pages' boundaries are crossed.
            try await RederivePublicPoints(locationKey: app.secrets.locationKey, pageSize: 2).prepare(on: app.db)

            func reread(_ report: Report) async throws -> Report {
                try #require(try await Report.find(report.id, on: app.db))
            }
            func exact(_ report: Report) -> PublicLocation.Point {
                PublicLocation.Point(latitude: report.latitude, longitude: report.longitude)
            }
            func shown(_ report: Report) throws -> PublicLocation.Point {
                PublicLocation.Point(
                    latitude: try #require(report.publicLatitude), longitude: try #require(report.publicLongitude))
            }
            var moved = 0
            for report in grid + [archived] {
                let before = try shown(report)
                let after = try shown(try await reread(report))
                #expect(
                    after
                        == PublicLocation.make(
                            latitude: report.latitude, longitude: report.longitude, precision: .grid250,
                            cityCentre: almaty,
                            key: app.secrets.locationKey))
                #expect(PublicLocation.snap(after, cellMetres: 250) == after)
                #expect((100...400).contains(PublicLocation.distance(exact(report), after)))
                if after != before { moved += 1 }
            }
            #expect(moved >= 4)
            let kilometreAfter = try shown(try await reread(kilometre))
            #expect(
                kilometreAfter
                    == PublicLocation.make(
                        latitude: kilometre.latitude, longitude: kilometre.longitude, precision: .km1,
                        cityCentre: almaty,
                        key: app.secrets.locationKey))
            #expect(PublicLocation.snap(kilometreAfter, cellMetres: 1000) == kilometreAfter)
            #expect(try shown(try await reread(cityOnly)) == almaty)
            #expect(try await reread(pending).publicLatitude == nil)
            #expect(try await reread(home).publicLatitude == nil)

            // The published set moved on, so the map reads the new points at once.
            #expect(try await PublicChanges.current(on: app.db) > version)
            let published = try await Report.query(on: app.db).filter(\.$status == ReportStatus.published.rawValue)
                .filter(\.$publicLatitude != nil).all()
            let places = try await ClusterQueries.places(IncidentFilters(), app: app, on: app.db)
            #expect(
                Set(places.map { "\($0.latitude),\($0.longitude)" })
                    == Set(try published.map { "\(try shown($0).latitude),\(try shown($0).longitude)" }))

            // Running it again changes nothing.
            let first = try await Report.query(on: app.db).sort(\.$id).all().map { "\($0.publicLatitude ?? 0)" }
            try await RederivePublicPoints(locationKey: app.secrets.locationKey).prepare(on: app.db)
            #expect(try await Report.query(on: app.db).sort(\.$id).all().map { "\($0.publicLatitude ?? 0)" } == first)
        }
    }
}
