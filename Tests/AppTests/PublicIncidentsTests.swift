import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

/// The public never sees a pending or rejected report, nor any non-public field (SPEC rule 5).
@Suite struct PublicIncidentsTests {
    struct Collection: Decodable {
        struct Feature: Decodable {
            struct Geometry: Decodable { var type: String; var coordinates: [Double] }
            var type: String
            var id: UUID
            var geometry: Geometry
            var properties: [String: JSONValue]
        }
        var type: String
        var features: [Feature]
        var total: Int
        var page: Int
        var perPage: Int
        var next: String?
    }

    enum JSONValue: Decodable, Equatable {
        case string(String), number(Double), bool(Bool), array([JSONValue]), null
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let value = try? container.decode(Bool.self) {
                self = .bool(value)
            } else if let value = try? container.decode(Double.self) {
                self = .number(value)
            } else if let value = try? container.decode(String.self) {
                self = .string(value)
            } else {
                self = .array(try container.decode([JSONValue].self))
            }
        }
    }

    func incidents(_ app: Application, _ query: String = "") async throws -> Collection {
        let response = try await app.send(.GET, "/api/v1/incidents" + query)
        #expect(response.status == .ok, "\(response.body.string)")
        #expect(response.headers.contentType?.description.hasPrefix("application/geo+json") == true)
        return try response.content.decode(Collection.self, using: JSONDecoder())
    }

    @Test func onlyPublishedReportsAppear() async throws {
        try await withApp { app in
            let pending = try await app.submitReport()
            let rejected = try await app.submitReport()
            let published = try await app.submitReport()
            let (_, token) = try await app.makeModerator()
            let rejectedID = try await app.report(receipt: rejected).requireID()
            _ = try await app.send(
                .POST, "/api/v1/admin/reports/\(rejectedID)/reject", headers: ["Authorization": "Bearer \(token)"],
                json: ["reasonCode": "spam"])
            try await app.publish(receipt: published)

            let collection = try await incidents(app)
            #expect(collection.type == "FeatureCollection")
            #expect(collection.total == 1)
            let publishedID = try await app.report(receipt: published).requireID()
            #expect(collection.features.map(\.id) == [publishedID])
            let hidden = [try await app.report(receipt: pending).requireID(), rejectedID]
            for id in hidden {
                // Not under any filter either.
                for query in [
                    "", "?prevented=false", "?city=almaty", "?kinds=verbal", "?bbox=46,40,88,56", "?perPage=1000",
                ] {
                    #expect(!(try await incidents(app, query)).features.map(\.id).contains(id))
                }
            }
        }
    }

    @Test func featuresCarryPublicFieldsOnly() async throws {
        try await withApp { app in
            let original = "Меня зовут Айгерим, телефон +7 701 111 22 33, он живёт на Абая 10, это было ужасно."
            let code = try await app.submitReport([
                "description": original, "contact": "aigerim@example.kz", "time": "19:42", "timeBand": nil,
                "ageBand": "18-24", "gender": "woman", "landmark": "Абая 10",
            ])
            try await app.publish(receipt: code, text: "Мужчина преследовал девушку на улице вечером.")
            let response = try await app.send(.GET, "/api/v1/incidents")
            let raw = response.body.string
            for secret in ["Айгерим", "111 22 33", "aigerim", "Абая", "19:42", "18-24", "woman", "contact"] {
                #expect(!raw.contains(secret), "public output leaks \(secret)")
            }
            let feature = try #require(try await incidents(app).features.first)
            #expect(
                Set(feature.properties.keys) == [
                    "id", "date", "timeBand", "city", "placeType", "kinds", "role", "perpetrator", "perpetratorCount",
                    "prevented", "toldWhom", "description", "latitude", "longitude", "precision",
                ])
            #expect(feature.properties["description"] == .string("Мужчина преследовал девушку на улице вечером."))
            #expect(feature.properties["timeBand"] == .string("evening"))
            // The point is the displaced grid point, not the reporter's.
            let report = try await app.report(receipt: code)
            #expect(
                feature.geometry.coordinates == [
                    try #require(report.publicLongitude), try #require(report.publicLatitude),
                ])
            #expect(
                PublicLocation.distance(
                    .init(latitude: report.latitude, longitude: report.longitude),
                    .init(latitude: feature.geometry.coordinates[1], longitude: feature.geometry.coordinates[0])) > 50)
        }
    }

    @Test func homesAndClosePeopleAndNoConsentGetNoPin() async throws {
        try await withApp { app in
            let home = try await app.submitReport(["placeType": "residential"])
            let partner = try await app.submitReport(["perpetrator": "known", "perpetratorRelation": "partner"])
            let noConsent = try await app.submitReport(["publishConsent": false])
            let street = try await app.submitReport()
            for code in [home, partner, noConsent, street] { try await app.publish(receipt: code) }
            for code in [home, partner, noConsent] {
                let report = try await app.report(receipt: code)
                #expect(report.status == "published")
                #expect(report.publicLatitude == nil && report.publicLongitude == nil)
            }
            let collection = try await incidents(app)
            #expect(collection.features.map(\.id) == [try await app.report(receipt: street).requireID()])
        }
    }

    @Test func aPopupSaysThePublicFactsInWordsAndNothingMore() async throws {
        try await withApp { app in
            let code = try await app.submitReport([
                "perpetrator": "known", "perpetratorRelation": "colleague", "placeType": "workplace",
                "prevented": true, "preventedBy": "bystander",
            ])
            let id = try await app.report(receipt: code).requireID()
            #expect(try await app.send(.GET, "/api/v1/incidents/\(id)").status == .notFound, "pending is never shown")
            try await app.publish(receipt: code, text: "Коллега приставал на работе, сотрудник вмешался.")

            let response = try await app.send(.GET, "/api/v1/incidents/\(id)?lang=kk")
            #expect(response.status == .ok)
            let popup = try response.content.decode(MapAPIController.IncidentFactsDTO.self)
            let words = Dictionary(uniqueKeysWithValues: popup.facts.map { ($0.field, $0.value ?? "") })
            let kk = { (key: String) in app.translations.text(key, .kk) }
            #expect(popup.facts.map(\.field) == MapAPIController.popupFields.map(\.rawValue))
            #expect(words["outcome"] == kk("legend_prevented"))
            #expect(words["city"] == "Алматы")
            #expect(words["kinds"] == kk("kind_catcalling") + ", " + kk("kind_verbal"))
            #expect(words["perpetratorRelation"] == kk("relation_colleague"))
            #expect(words["preventedBy"] == kk("prevented_by_bystander"))
            #expect(words["description"] == "Коллега приставал на работе, сотрудник вмешался.")
            #expect(popup.facts.first { $0.field == "kinds" }?.label == kk("field_kinds"))
            #expect(!response.body.string.contains("😡"), "the original description stays private")

            #expect(try await app.send(.GET, "/api/v1/incidents/\(id)?lang=de").status == .badRequest)
            #expect(try await app.send(.GET, "/api/v1/incidents/not-an-id").status == .notFound)
            let home = try await app.submitReport(["placeType": "residential"])
            try await app.publish(receipt: home)
            let homeID = try await app.report(receipt: home).requireID()
            #expect(try await app.send(.GET, "/api/v1/incidents/\(homeID)").status == .notFound, "no pin, no popup")
        }
    }

    @Test func filtersNarrowTheMap() async throws {
        try await withApp { app in
            let astanaBus = try await app.submitReport([
                "city": "astana", "latitude": 51.17, "longitude": 71.43, "placeType": "public_transport",
                "kinds": ["physical"], "prevented": true, "preventedBy": "bystander", "date": "2024-05-01",
            ])
            let almatyStreet = try await app.submitReport(["date": "2025-09-10"])
            let workplace = try await app.submitReport([
                "placeType": "workplace", "perpetrator": "known", "perpetratorRelation": "superior",
                "kinds": ["coercion"],
                "date": "2025-10-01",
            ])
            for code in [astanaBus, almatyStreet, workplace] { try await app.publish(receipt: code) }
            func ids(_ query: String) async throws -> Set<UUID> {
                Set(try await incidents(app, query).features.map(\.id))
            }
            let bus = try await app.report(receipt: astanaBus).requireID()
            let street = try await app.report(receipt: almatyStreet).requireID()
            let work = try await app.report(receipt: workplace).requireID()

            #expect(try await ids("?city=astana") == [bus])
            #expect(try await ids("?prevented=true") == [bus])
            #expect(try await ids("?prevented=false") == [street, work])
            #expect(try await ids("?perpetrator=known") == [work])
            #expect(try await ids("?kinds=physical,coercion") == [bus, work])
            #expect(try await ids("?placeTypes=street") == [street])
            #expect(try await ids("?from=2025-01-01&to=2025-09-30") == [street])
            #expect(try await ids("?bbox=70,50,73,52") == [bus])
            #expect(try await ids("?bbox=73,52,70,50") == [])  // inverted: contains nothing
            let firstPage = try await incidents(app, "?perPage=2&page=1")
            let secondPage = try await incidents(app, "?perPage=2&page=2")
            #expect(firstPage.total == 3 && firstPage.features.count == 2 && secondPage.features.count == 1)
            #expect(Set(firstPage.features.map(\.id) + secondPage.features.map(\.id)) == [bus, street, work])
        }
    }

    /// Issue #14: pages are walked by key (`after` = the previous page's `next`), newest
    /// incident first, each incident once, however many there are; the last page has no `next`.
    @Test func pagesAreWalkedByKeyEachIncidentOnce() async throws {
        try await withApp { app in
            _ = try await DemoData.make(count: 120, published: true, app: app, on: app.db, seed: 3)
            let pinned = try await Report.query(on: app.db).filter(\.$publicLatitude != nil).count()
            var seen: [UUID] = [], dates: [String] = [], after: String? = nil, pages = 0
            repeat {
                let page = try await incidents(app, "?perPage=7" + (after.map { "&after=" + $0 } ?? ""))
                #expect(page.total == pinned)
                seen += page.features.map(\.id)
                dates += page.features.compactMap {
                    if case .string(let date) = $0.properties["date"] { date } else { nil }
                }
                after = page.next
                pages += 1
            } while after != nil && pages < 100
            #expect(seen.count == pinned && Set(seen).count == pinned)
            #expect(dates == dates.sorted(by: >))
            #expect(pages == (pinned + 6) / 7)
            // A cursor that was not given out is refused by name.
            for bad in ["yesterday", "2025-01-01~not-a-uuid", "2025-13-01~\(UUID())"] {
                let response = try await app.send(.GET, "/api/v1/incidents?after=" + bad)
                #expect(response.status == .badRequest)
                #expect(try errorFields(response)["after"] != nil)
            }
        }
    }

    /// Issue #14: a small box's page is found from the place index first, a large box's by
    /// walking the dates; either way the pages hold exactly the box's incidents in the order
    /// the database itself gives them, each once.
    @Test func smallAndLargeBoxesPageTheSameWayAPlainQueryOrdersThem() async throws {
        try await withApp { app in
            _ = try await DemoData.make(count: 800, published: true, app: app, on: app.db, seed: 11)
            let sql = try app.db.sql()
            func ids(in box: [Double]) async throws -> [UUID] {
                try await sql.raw(
                    """
                    SELECT id FROM reports WHERE status = 'published' AND public_latitude IS NOT NULL
                    AND public_longitude >= \(bind: box[0]) AND public_latitude >= \(bind: box[1])
                    AND public_longitude <= \(bind: box[2]) AND public_latitude <= \(bind: box[3])
                    ORDER BY incident_date DESC, id
                    """
                ).all().map { try $0.decode(column: "id", as: UUID.self) }
            }
            // A box around Almaty's centre just large enough for two pages of 7.
            var radius = 0.002
            var small: [Double] { [76.93 - radius, 43.25 - radius, 76.93 + radius, 43.25 + radius] }
            while try await ids(in: small).count < 15 && radius < 1 { radius *= 1.1 }
            let country = [46.4, 40.5, 87.4, 55.5]

            for (box, expectedPlan) in [(small, IncidentQueries.Plan.boxFirst), (country, .dateFirst)] {
                let bbox = box.map { String($0) }.joined(separator: ",")
                let filters = try IncidentFilters.parse(["bbox": bbox], knownCities: [])
                var unboxed = filters
                unboxed.bbox = nil
                let places = try await ClusterQueries.places(filters, app: app, on: app.db)
                let plan = IncidentQueries.Plan(
                    inBox: ClusterQueries.total(of: places, in: filters),
                    inAll: ClusterQueries.total(of: places, in: unboxed), rows: 8, boxed: true)
                #expect(plan == expectedPlan, "\(bbox)")

                let expected = try await ids(in: box)
                #expect(expected.count >= 15)

                var seen: [UUID] = [], after: String? = nil, pages = 0
                repeat {
                    let page = try await incidents(
                        app, "?bbox=\(bbox)&perPage=7" + (after.map { "&after=" + $0 } ?? ""))
                    #expect(page.total == expected.count)
                    seen += page.features.map(\.id)
                    after = page.next
                    pages += 1
                } while after != nil && pages < 100
                #expect(seen == expected, "\(plan)")
                // The older numbered pages give the same second page.
                let second = try await incidents(app, "?bbox=\(bbox)&perPage=7&page=2").features.map(\.id)
                #expect(second == Array(expected.dropFirst(7).prefix(7)), "\(plan)")
            }
            // A box with nothing in it answers at once, empty.
            let empty = try await incidents(app, "?bbox=50,41,50.01,41.01")
            #expect(empty.total == 0 && empty.features.isEmpty && empty.next == nil)
        }
    }

    /// Issue #22: however a page is read (its rows by key in no particular order, then put in
    /// the first read's), the newest incident comes first, those of one day in id order, and
    /// pages walked by key give each incident once, even when one day spans several pages.
    @Test func incidentsOfOneDayComeInIdOrderAcrossPages() async throws {
        try await withApp { app in
            _ = try await DemoData.make(count: 300, published: true, app: app, on: app.db, seed: 9)
            var sameDay: [Report] = []
            for _ in 0..<5 {
                let code = try await app.submitReport(["date": "2025-06-14"])
                try await app.publish(receipt: code)
                sameDay.append(try await app.report(receipt: code))
            }
            let latitudes = sameDay.compactMap(\.publicLatitude).sorted()
            let longitudes = sameDay.compactMap(\.publicLongitude).sorted()
            #expect(latitudes.count == 5 && longitudes.count == 5)
            let box: [Double] = [
                longitudes[0] - 0.001, latitudes[0] - 0.001, longitudes[4] + 0.001, latitudes[4] + 0.001,
            ]
            func inside(_ report: Report) -> Bool {
                guard let latitude = report.publicLatitude, let longitude = report.publicLongitude else { return false }
                return (box[0]...box[2]).contains(longitude) && (box[1]...box[3]).contains(latitude)
            }
            let published = try await Report.query(on: app.db).filter(\.$status == ReportStatus.published.rawValue)
                .all()
            let country = [46.4, 40.5, 87.4, 55.5]
            for (bounds, contains) in [(box, inside), (country, { $0.publicLatitude != nil })] {
                let expected = published.filter(contains).sorted {
                    ($0.incidentDate, $1.id?.uuidString ?? "") > ($1.incidentDate, $0.id?.uuidString ?? "")
                }.compactMap(\.id)
                let bbox = bounds.map { String($0) }.joined(separator: ",")
                var seen: [UUID] = [], after: String? = nil, pages = 0
                repeat {
                    let page = try await incidents(
                        app, "?bbox=\(bbox)&perPage=2" + (after.map { "&after=" + $0 } ?? ""))
                    seen += page.features.map(\.id)
                    after = page.next
                    pages += 1
                } while after != nil && pages < 300
                #expect(seen == expected, "\(bbox)")
                let sameDayIDs = sameDay.compactMap(\.id)
                #expect(seen.filter(sameDayIDs.contains) == sameDayIDs.sorted { $0.uuidString < $1.uuidString })
            }
        }
    }

    /// Issue #22: a page's JSON is written by hand for speed; it says exactly what `JSONEncoder`
    /// would, whatever a description holds and whichever members are absent.
    @Test func aPagesJSONSaysWhatTheEncoderWould() async throws {
        try await withApp { app in
            _ = try await DemoData.make(count: 40, published: true, app: app, on: app.db, seed: 4)
            let filters = try IncidentFilters.parse(["perPage": "7"], knownCities: [])
            var page = try await IncidentQueries.page(filters, app: app, on: app.db)
            #expect(page.incidents.count == 7 && page.next != nil)
            page.incidents[0].description =
                "\"quoted\" \\ back\\slash\nnew line\r\ttab \u{1}\u{8}\u{C}\u{1F}\u{7F} / ✓ 😡 Қорқынышты \"\u{301} end\\"
            page.incidents[1].description = ""
            page.incidents[1].timeBand = nil
            page.incidents[1].toldWhom = []
            page.incidents[2].preventedBy = "police"
            page.incidents[2].kinds = ["verbal", "physical"]
            func canonical(_ data: Data) throws -> Data {
                try JSONSerialization.data(
                    withJSONObject: try JSONSerialization.jsonObject(with: data), options: .sortedKeys)
            }
            for next in [page.next, nil] {
                page.next = next
                let collection = IncidentFeatureCollection(page, filters: filters)
                let written = try canonical(Data(buffer: collection.json()))
                #expect(written == (try canonical(try JSONEncoder().encode(collection))))
            }
            // And it is what the API answers.
            let response = try await app.send(.GET, "/api/v1/incidents?perPage=7")
            let unchanged = try await IncidentQueries.page(filters, app: app, on: app.db)
            #expect(
                try canonical(Data(buffer: response.body))
                    == (try canonical(try JSONEncoder().encode(IncidentFeatureCollection(unchanged, filters: filters))))
            )
        }
    }

    /// A small box's page is read in two steps; a report taken down between them, or never
    /// published, is not in the second.
    @Test func theSecondReadOfASmallBoxsPageKeepsOnlyWhatIsStillPublished() async throws {
        try await withApp { app in
            let shown = try await app.submitReport(["date": "2025-09-10"])
            let takenDown = try await app.submitReport(["date": "2025-09-11"])
            let pending = try await app.submitReport(["date": "2025-09-12"])
            for code in [shown, takenDown] { try await app.publish(receipt: code) }
            let withdrawn = try await app.report(receipt: takenDown)
            withdrawn.status = ReportStatus.rejected.rawValue
            try await withdrawn.save(on: app.db)
            var ids: [UUID] = []
            for code in [shown, takenDown, pending] { ids.append(try await app.report(receipt: code).requireID()) }

            let rows = try await IncidentQueries.publishedRows(ids, on: app.db)
            #expect(try rows.map { try $0.decode(column: "id", as: UUID.self) } == [ids[0]])
        }
    }

    /// Issue #22: the box goes first when reading it (about three times its incidents) costs
    /// less than walking the newest incidents until a page is found in it (the page over its
    /// share of all pins).
    @Test func theBoxGoesFirstOnlyWhenItIsCheaperThanWalkingTheDates() {
        // A page of 100 at a million pins: boxes up to 5,802 incidents go first.
        #expect(IncidentQueries.Plan(inBox: 901, inAll: 1_000_000, rows: 101, boxed: true) == .boxFirst)
        #expect(IncidentQueries.Plan(inBox: 5_802, inAll: 1_000_000, rows: 101, boxed: true) == .boxFirst)
        #expect(IncidentQueries.Plan(inBox: 5_803, inAll: 1_000_000, rows: 101, boxed: true) == .dateFirst)
        #expect(IncidentQueries.Plan(inBox: 15_556, inAll: 1_000_000, rows: 101, boxed: true) == .dateFirst)
        // A deeper page has more to walk past, so the box goes first longer.
        #expect(IncidentQueries.Plan(inBox: 15_556, inAll: 1_000_000, rows: 1_001, boxed: true) == .boxFirst)
        #expect(IncidentQueries.Plan(inBox: 4, inAll: 100, rows: 101, boxed: false) == .dateFirst)
    }

    @Test(arguments: [
        ("?bbox=1,2,3", "bbox"), ("?bbox=1,2,3,north", "bbox"), ("?to=", "to"), ("?kinds=", "kinds"),
        ("?from=2025-13-01", "from"), ("?to=yesterday", "to"),
        ("?kinds=verbal,robbery", "kinds"), ("?placeTypes=bar", "placeTypes"), ("?perpetrator=alien", "perpetrator"),
        ("?prevented=maybe", "prevented"), ("?city=moscow", "city"), ("?page=0", "page"), ("?page=11", "page"),
        ("?perPage=100000", "perPage"),
        ("?city=almaty'%20OR%201=1--", "city"), ("?kinds=verbal%27%29%3B%20DROP%20TABLE%20reports%3B--", "kinds"),
    ])
    func badFiltersAreNamed(query: String, field: String) async throws {
        try await withApp { app in
            let response = try await app.send(.GET, "/api/v1/incidents" + query)
            #expect(response.status == .badRequest)
            #expect(try errorFields(response)[field] != nil, "\(response.body.string)")
            #expect(try await Report.query(on: app.db).count() == 0)
        }
    }
}
