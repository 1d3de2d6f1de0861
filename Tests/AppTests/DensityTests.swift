import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

/// Issue #12, the map's "more often / less often" layer: published reports counted per 1 km
/// cell and per city, with the map's filters, never a small number, never a place the pins do
/// not already show.
@Suite struct DensityTests {
    static let centre = (latitude: 43.2389, longitude: 76.8897)
    /// About 5 km east of the centre: another cell.
    static let east = (latitude: 43.2389, longitude: 76.9517)
    /// About 10 km north: where the home reports are, which must show in no cell.
    static let home = (latitude: 43.3289, longitude: 76.8897)

    /// Sends and publishes `count` reports with `changes`; returns one of their reports.
    @discardableResult
    func publish(_ count: Int, _ changes: [String: Any?], _ app: Application, account: Account) async throws -> Report {
        var last: Report?
        for _ in 0..<count {
            let report = try await app.report(receipt: try await app.submitReport(changes))
            try await ModerationService.publish(
                report, publicDescription: "Пересказ модератора без подробностей.", precision: .grid250, by: account,
                app: app, on: app.db)
            last = try await Report.find(report.id, on: app.db)
        }
        return try #require(last)
    }

    func density(_ app: Application, _ query: String = "") async throws -> DensityMap {
        let response = try await app.send(.GET, "/api/v1/incidents/density" + query)
        #expect(response.status == .ok, "\(response.body.string)")
        return try response.content.decode(DensityMap.self)
    }

    func cell(of report: Report) throws -> PublicLocation.Cell {
        PublicLocation.cell(
            containing: .init(
                latitude: try #require(report.publicLatitude), longitude: try #require(report.publicLongitude)),
            cellMetres: 1000)
    }

    func shown(_ map: DensityMap, _ cell: PublicLocation.Cell) -> DensityMap.Cell? {
        map.cells.first { abs($0.south - cell.south) < 1e-5 && abs($0.west - cell.west) < 1e-5 }
    }

    @Test func cellsCountThePinsAndCitiesCountEveryPublishedReport() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            let (account, _) = try await app.makeModerator()
            let busy = try await publish(
                12, ["latitude": Self.centre.latitude, "longitude": Self.centre.longitude], app, account: account)
            let quiet = try await publish(
                3,
                [
                    "latitude": Self.east.latitude, "longitude": Self.east.longitude, "prevented": true,
                    "preventedBy": "bystander",
                ], app, account: account)
            try await publish(
                4, ["latitude": Self.home.latitude, "longitude": Self.home.longitude, "placeType": "residential"], app,
                account: account)
            try await publish(6, ["city": "astana", "latitude": 51.16, "longitude": 71.47], app, account: account)
            try await app.submitReport()  // pending: counts nowhere
            let rejected = try await app.report(receipt: try await app.submitReport())
            try await ModerationService.reject(rejected, code: .spam, reason: nil, by: account, on: app.db)

            let map = try await density(app)
            #expect(map.cellMetres == 1000)
            #expect(map.cells.count == 3, "Almaty's two places and Astana's one")
            // 12 shows rounded, as "few"; 3 shows as "some", never as a number.
            let busyCell = try #require(shown(map, try cell(of: busy)))
            #expect(busyCell.count == PublicCount(exact: 12) && busyCell.count.count == 10 && busyCell.level == .few)
            let quietCell = try #require(shown(map, try cell(of: quiet)))
            #expect(quietCell.count.count == nil && quietCell.count.fewerThanFive && quietCell.level == .some)
            // A cell is about 1 km on each side.
            let side = PublicLocation.distance(
                .init(latitude: busyCell.south, longitude: busyCell.west),
                .init(latitude: busyCell.north, longitude: busyCell.west))
            #expect(abs(side - 1000) < 5)
            // The home reports have no pin: no cell lies within 2 km of where they happened.
            for cell in map.cells {
                let middle = PublicLocation.Point(
                    latitude: (cell.south + cell.north) / 2, longitude: (cell.west + cell.east) / 2)
                #expect(
                    PublicLocation.distance(middle, .init(latitude: Self.home.latitude, longitude: Self.home.longitude))
                        > 2000)
            }

            // Cities count every published report, pin or not (SPEC §6's rule) in whole groups of
            // ten: Almaty 19 shows 10, its 4 without a pin "fewer than 10"; Astana's 6 are fewer
            // than 10, so the city is not drawn at all (its pins still are).
            #expect(map.cities.map(\.city) == ["almaty"])
            let almaty = map.cities[0]
            #expect(almaty.total == PublicCount(rounded: 10) && almaty.level == .few)
            let almatyCentre = try #require(try await City.find("almaty", on: app.db))
            #expect(almaty.latitude == almatyCentre.latitude)
            #expect(almaty.withoutPin == .fewerThanTenReports)

            // The JSON holds no exact small number anywhere.
            let raw = try await app.send(.GET, "/api/v1/incidents/density").body.string
            #expect(raw.firstMatch(of: /"count":[1-4][,}]/) == nil, "a count under 5 is shown")
            #expect(raw.contains(#""count":10"#), "the busy cell's rounded count is shown")
        }
    }

    @Test func theMapsFiltersAndViewApply() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            let (account, _) = try await app.makeModerator()
            let busy = try await publish(
                6, ["latitude": Self.centre.latitude, "longitude": Self.centre.longitude], app, account: account)
            let quiet = try await publish(
                5,
                [
                    "latitude": Self.east.latitude, "longitude": Self.east.longitude, "prevented": true,
                    "preventedBy": "bystander",
                ], app, account: account)

            let stopped = try await density(app, "?prevented=true")
            let quietCell = try cell(of: quiet)
            #expect(stopped.cells.count == 1 && shown(stopped, quietCell)?.count.count == 5)
            #expect(stopped.cities.isEmpty, "five stopped reports in the city: fewer than 10, no figure")

            // A view around the busy place shows its cell only; the city still counts everything.
            let point = try cell(of: busy)
            let box = String(
                format: "?bbox=%.5f,%.5f,%.5f,%.5f", point.west - 0.001, point.south - 0.001, point.east + 0.001,
                point.north + 0.001)
            let view = try await density(app, box)
            #expect(view.cells.count == 1 && shown(view, point)?.count.count == 5)
            #expect(view.cities.first?.total.admits(11) == true)
        }
    }

    @Test(arguments: ["?city=nowhere", "?bbox=1,2", "?kinds=shouting", "?from=yesterday", "?prevented=maybe", "?to="])
    func badFiltersAreRefusedByName(query: String) async throws {
        try await withApp { app in
            let response = try await app.send(.GET, "/api/v1/incidents/density" + query)
            #expect(response.status == .badRequest)
            let name = String(query.dropFirst().prefix { $0 != "=" })
            #expect(try errorFields(response)[name] != nil, "\(response.body.string)")
        }
    }

    @Test func theHomePageOffersTheLayerWithALegendInWords() async throws {
        try await withApp { app in
            for language in ["kk", "ru", "en"] {
                let html = try await app.send(.GET, "/?lang=\(language)").body.string
                #expect(html.contains("id=\"layer-density\""))
                for key in ["density_some", "density_few", "density_several", "density_many", "density_explain"] {
                    let words = app.translations.text(key, try #require(Language(rawValue: language)))
                    #expect(words != key && html.contains(words), "\(key) in \(language)")
                }
                #expect(!html.contains("density_"), "an untranslated key on the home page in \(language)")
            }
        }
    }
}
