import Fluent
import Vapor

/// The public map's data in the JSON API: published incidents and the cities (SPEC §7).
struct MapAPIController {
    @Sendable func incidents(req: Request) async throws -> Response {
        let filters = try IncidentFilters.parse(
            try req.filterQuery(), knownCities: Set(try await cityIndex(req.db).keys))
        let page = try await IncidentQueries.page(filters, app: req.application, on: req.db)
        let response = Response(status: .ok)
        response.body = .init(buffer: IncidentFeatureCollection(page, filters: filters).json())
        response.headers.contentType = HTTPMediaType(type: "application", subType: "geo+json")
        return response
    }

    /// The map's view: pins where it holds few incidents, red/blue clusters where it holds many.
    /// `zoom` (0–19) is required; `bbox` and the map's filters narrow it.
    @Sendable func clusters(req: Request) async throws -> Response {
        var query = try req.filterQuery()
        let rawZoom = query.removeValue(forKey: "zoom")
        var errors: [String: String] = [:]
        let zoom = rawZoom.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        if zoom == nil || !(0...19).contains(zoom!) { errors["zoom"] = "error_zoom" }
        let filters: IncidentFilters
        do {
            filters = try IncidentFilters.parse(query, knownCities: Set(try await cityIndex(req.db).keys))
        } catch var error as AppError {
            error.fields.merge(errors) { first, _ in first }
            throw error
        }
        guard let zoom, errors.isEmpty else { throw AppError.validation(errors) }
        let view = try await ClusterQueries.view(filters, zoom: zoom, app: req.application, on: req.db)
        return Response(
            status: .ok, headers: ["Content-Type": "application/json; charset=utf-8"], body: .init(string: view.json))
    }

    /// The "more often / less often" layer: counts per 1 km cell and per city.
    @Sendable func density(req: Request) async throws -> Response {
        let cities = try await cityIndex(req.db)
        let filters = try IncidentFilters.parse(
            try req.filterQuery(), knownCities: Set(cities.keys))
        let body = try await DensityQueries.cachedJSON(filters, cities: cities, app: req.application, on: req.db)
        return Response(
            status: .ok, headers: ["Content-Type": "application/json; charset=utf-8"], body: .init(buffer: body))
    }

    struct CityDTO: Content {
        var slug: String
        var name: String
        var names: [String: String]
        var latitude: Double
        var longitude: Double
    }

    @Sendable func cities(req: Request) async throws -> [CityDTO] {
        let language = try languageParameter(req)
        return try await allCities(on: req.db).map {
            CityDTO(
                slug: $0.id ?? "", name: $0.name(language), names: ["kk": $0.nameKk, "ru": $0.nameRu, "en": $0.nameEn],
                latitude: $0.latitude, longitude: $0.longitude)
        }
    }

    /// What a map popup says of one incident, in words, in the asked language.
    struct IncidentFactsDTO: Content {
        var id: UUID
        var prevented: Bool
        var facts: [ReportFacts.Fact]
    }

    static let popupFields: [ReportFacts.Field] = [
        .outcome, .date, .timeBand, .city, .placeType, .kinds, .perpetrator, .perpetratorRelation, .preventedBy,
        .recurrence, .description,
    ]

    @Sendable func incident(req: Request) async throws -> IncidentFactsDTO {
        let language = try languageParameter(req)
        guard let id = req.parameters.get("id", as: UUID.self),
            let incident = try await IncidentQueries.pinned(id, on: req.db)
        else { throw AppError.notFound }
        let cities = try await cityIndex(req.db)
        let facts = ReportFacts(incident).facts(
            Self.popupFields, cityName: { cities[$0]?.name(language) },
            text: { req.application.translations.text($0, language) })
        return IncidentFactsDTO(id: incident.id, prevented: incident.prevented, facts: facts)
    }
}
