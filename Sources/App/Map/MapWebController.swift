import Fluent
import Vapor

/// The home page: the public map of published incidents with its filters.
struct MapWebController {
    /// The filter form as the browser sends it; single choices keep it easy on a phone.
    struct FilterForm: Content {
        var from: String?
        var to: String?
        var kind: String?
        var placeType: String?
        var perpetrator: String?
        var prevented: String?
        var city: String?

        /// The same filters in the API's spelling, so page and API share one parser.
        var apiQuery: [String: String] {
            var query: [String: String] = [:]
            query["from"] = from
            query["to"] = to
            query["kinds"] = kind
            query["placeTypes"] = placeType
            query["perpetrator"] = perpetrator
            query["prevented"] = prevented
            query["city"] = city
            query["perPage"] = "20"
            return query.filter { !$0.value.isEmpty }
        }
    }

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
        var form: FilterForm
        var cities: [Choice]
        var kinds: [Choice]
        var placeTypes: [Choice]
        var perpetrators: [Choice]
        var preventedChoices: [Choice]
        var tileURL: String
        var citiesJSON: String
        /// The filter panel starts open when a filter is in use.
        var filtersActive: Bool
        var incidents: [IncidentRow]
        var total: Int
        var filterErrors: MessageList
        var today: String
    }

    @Sendable func home(req: Request) async throws -> View {
        let form = (try? req.query.decode(FilterForm.self)) ?? FilterForm()
        let cities = try await allCities(on: req.db)
        let cityNames = Dictionary(uniqueKeysWithValues: cities.map { ($0.id ?? "", $0.name(req.language)) })
        var filterErrors: [String] = []
        var rows: [IncidentRow] = []
        var total = 0
        do {
            let filters = try IncidentFilters.parse(form.apiQuery, knownCities: Set(cityNames.keys))
            let page = try await IncidentQueries.page(filters, on: req.db)
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

        let citiesJSON = try cityCentresJSON(cities)

        let content = HomeContent(
            form: form,
            cities: cities.map {
                Choice(value: $0.id ?? "", label: $0.name(req.language), selected: $0.id == form.city)
            },
            kinds: req.choices(HarassmentKind.self, prefix: "kind", selected: [form.kind ?? ""]),
            placeTypes: req.choices(PlaceType.self, prefix: "place", selected: [form.placeType ?? ""]),
            perpetrators: req.choices(Perpetrator.self, prefix: "perpetrator", selected: [form.perpetrator ?? ""]),
            preventedChoices: [
                Choice(value: "yes", label: req.text("legend_prevented"), selected: form.prevented == "yes"),
                Choice(value: "no", label: req.text("legend_not_prevented"), selected: form.prevented == "no"),
            ],
            tileURL: TileProxyController.template, citiesJSON: citiesJSON,
            filtersActive: form.apiQuery.count > 1, incidents: rows,
            total: total,
            filterErrors: MessageList(filterErrors), today: KazakhstanTime.today())
        return try await req.view.render(
            "home",
            PageContext(
                req, title: req.text("home_title"), nav: "map", scripts: ["map"], usesMap: true, content: content))
    }
}
