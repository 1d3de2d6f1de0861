import Vapor

/// `/data`: the open data page — what the downloads hold, column by column, how the data was
/// made safe to publish, the licence, and how to cite it.
struct OpenDataPage {
    struct Column: Encodable {
        var name: String
        var meaning: String
        var values: String
    }

    struct Content: Encodable {
        var columns: [Column]
        var privacy: [String]
        var cite: String
    }

    @Sendable func page(req: Request) async throws -> View {
        func values<E: RawRepresentable & CaseIterable>(_ type: E.Type, _ prefix: String) -> String
        where E.RawValue == String {
            E.allCases.map { $0.rawValue + " — " + req.text(prefix + $0.rawValue) }.joined(separator: "; ")
        }
        let cities = try await allCities(on: req.db).map { ($0.id ?? "") + " — " + $0.name(req.language) }
        let known: [String: String] = [
            "id": req.text("data_values_id"), "date": "YYYY-MM-DD",
            "timeBand": values(TimeBand.self, "band_"), "city": cities.joined(separator: "; "),
            "placeType": values(PlaceType.self, "place_"), "kinds": values(HarassmentKind.self, "kind_"),
            "role": values(ReporterRole.self, "role_"), "perpetrator": values(Perpetrator.self, "perpetrator_"),
            "perpetratorRelation": values(PerpetratorRelation.self, "relation_"),
            "perpetratorCount": values(PerpetratorCount.self, "count_"), "prevented": "true; false",
            "preventedBy": values(PreventedBy.self, "prevented_by_"),
            "recurrence": values(Recurrence.self, "recurrence_"), "toldWhom": values(ToldWhom.self, "told_"),
            "toldOutcome": values(ToldOutcome.self, "told_outcome_"), "description": req.text("data_values_text"),
            "latitude": req.text("data_values_number"), "longitude": req.text("data_values_number"),
            "precision": values(PublicPrecision.self, "precision_"),
        ]
        let columns = ExportController.csvColumns.map {
            Column(name: $0, meaning: req.text("data_col_" + $0), values: known[$0] ?? "")
        }
        let site = req.config.publicURL?.absoluteString ?? "Dauys"
        let content = Content(
            columns: columns, privacy: (1...5).map { req.text("data_privacy_\($0)") },
            cite: req.text("data_cite_text").replacingOccurrences(of: "{site}", with: site)
                .replacingOccurrences(of: "{today}", with: KazakhstanTime.today()))
        return try await req.view.render(
            "data", PageContext(req, title: req.text("data_title"), nav: "stats", content: content))
    }
}
