import Vapor

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

/// The filter panel of the map and the statistics, as `partials/filters.leaf` draws it: the
/// same questions and the same URL parameters, so every view can be shared as a link.
struct FilterPanel: Encodable {
    /// Interface strings; the partial sees only this value.
    var t: [String: String]
    /// Where the form sends its GET request: `/` or `/stats`.
    var action: String
    var form: FilterForm
    var cities: [Choice]
    var kinds: [Choice]
    var placeTypes: [Choice]
    var perpetrators: [Choice]
    var preventedChoices: [Choice]
    /// Date filters are whole months (SPEC §6): `YYYY-MM`, this month the latest.
    var thisMonth: String
    var fromMonth: String
    var toMonth: String
    /// The panel starts closed even with filters in use, so their result is what a phone shows
    /// first (issue #15); its summary says how many are in use.
    var open = false
    /// "Filters", or "Filters: 2 in use".
    var summary: String

    init(_ req: Request, form: FilterForm, cities: [City], action: String) {
        t = req.application.translations.table(req.language)
        self.action = action
        self.form = form
        self.cities = cities.map {
            Choice(value: $0.id ?? "", label: $0.name(req.language), selected: $0.id == form.city)
        }
        kinds = req.choices(HarassmentKind.self, prefix: "kind", selected: [form.kind ?? ""])
        placeTypes = req.choices(PlaceType.self, prefix: "place", selected: [form.placeType ?? ""])
        perpetrators = req.choices(Perpetrator.self, prefix: "perpetrator", selected: [form.perpetrator ?? ""])
        preventedChoices = [
            Choice(value: "yes", label: req.text("legend_prevented"), selected: form.prevented == "yes"),
            Choice(value: "no", label: req.text("legend_not_prevented"), selected: form.prevented == "no"),
        ]
        thisMonth = String(KazakhstanTime.today().prefix(7))
        // A link from before months were the unit may carry a day: the form shows its month.
        fromMonth = form.from.flatMap(IncidentFilters.month) ?? form.from ?? ""
        toMonth = form.to.flatMap(IncidentFilters.month) ?? form.to ?? ""
        // `perPage` is always there; every other key is a filter in use.
        let inUse = form.apiQuery.keys.filter { $0 != "perPage" }.count
        summary =
            inUse == 0
            ? req.text("filters_label")
            : req.text("filters_in_use").replacingOccurrences(of: "{n}", with: String(inUse))
    }
}
