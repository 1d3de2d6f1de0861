import Fluent
import Vapor

/// The home page: the public map of published incidents with its filters.
struct MapWebController {
    struct IncidentRow: Encodable {
        var date: String
        var city: String
        var place: String
        var kinds: String
        var perpetrator: String
        var prevented: Bool
        var outcome: String
        var description: String
    }

    struct HomeContent: Encodable {
        var filters: FilterPanel
        var tileURL: String
        var citiesJSON: String
        var incidents: [IncidentRow]
        var total: Int
        var filterErrors: MessageList
        /// The map's first view (the whole country at its start zoom, for these filters) as the
        /// clusters API would answer it, so a slow phone draws the map without another request.
        var initialJSON: String?
    }

    static let latestCount = 20
    /// The zoom `map.js` starts at, showing the whole country.
    static let startZoom = 5

    /// The home page as every visitor in a language with the same filters sees it: rendered
    /// once per published-set version (issue #14: rendering the map's page, its filter panel and
    /// the latest incidents was most of its cost, and nothing on it is per visitor). It is kept
    /// under its filters as the parser reads them, in a fixed order: a parameter the page does
    /// not read makes no new page (issue #22). A filter that does not parse is drawn each time.
    @Sendable func home(req: Request) async throws -> Response {
        let form = FilterForm(normalizing: req.query)
        let cities = try await allCities(on: req.db)
        return try await req.application.homePageCache.page(
            PublicPageKey.filtered(req, path: "/", form: form, cities: cities), on: req.db
        ) { try await render(req, form: form, cities: cities) }
    }

    private func render(_ req: Request, form: FilterForm, cities: [City]) async throws -> View {
        req.application.pageRenders.note(.home)
        let cityNames = Dictionary(uniqueKeysWithValues: cities.map { ($0.id ?? "", $0.name(req.language)) })
        var filterErrors: [String] = []
        var rows: [IncidentRow] = []
        var total = 0
        var initialJSON: String?
        do {
            var filters = try IncidentFilters.parse(form.apiQuery, knownCities: Set(cityNames.keys))
            initialJSON = try await ClusterQueries.view(
                filters, zoom: MapWebController.startZoom, app: req.application, on: req.db
            ).json
            // The latest few, for browsers without scripts and for reading; the map shows the rest.
            filters.perPage = Self.latestCount
            let page = try await IncidentQueries.page(filters, app: req.application, on: req.db)
            total = page.total
            rows = page.incidents.map { incident in
                let facts = ReportFacts(incident)
                func words(_ field: ReportFacts.Field) -> String {
                    facts.value(field, cityName: { cityNames[$0] }, text: req.text) ?? ""
                }
                return IncidentRow(
                    date: words(.date), city: words(.city), place: words(.placeType), kinds: words(.kinds),
                    perpetrator: words(.perpetrator), prevented: incident.prevented, outcome: words(.outcome),
                    description: words(.description))
            }
        } catch let error as AppError {
            filterErrors = error.fields.sorted { $0.key < $1.key }.map {
                req.text("filter_" + $0.key) + ": " + req.text($0.value)
            }
        }

        let citiesJSON = try cityCentresJSON(cities, language: req.language)

        let content = HomeContent(
            filters: FilterPanel(req, form: form, cities: cities, action: "/"), tileURL: TileProxyController.template,
            citiesJSON: citiesJSON, incidents: rows, total: total, filterErrors: MessageList(filterErrors),
            initialJSON: initialJSON)
        return try await req.view.render(
            "home",
            PageContext(
                req, title: req.text("home_title"), nav: "map", scripts: ["map"], usesMap: true, content: content))
    }
}

extension Application {
    private struct HomePageCacheKey: StorageKey { typealias Value = PublicViewCache<ByteBuffer> }

    /// Set once in `configure`.
    var homePageCache: PublicViewCache<ByteBuffer> {
        get { storage[HomePageCacheKey.self] ?? PublicViewCache() }
        set { storage[HomePageCacheKey.self] = newValue }
    }
}
