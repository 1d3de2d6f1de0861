import Fluent
import Vapor

/// The public version of a published report: nothing here identifies anyone (SPEC rule 5).
///
/// No original description, contact, exact point, exact time, age, gender or moderator note.
struct PublicIncident: Content, Equatable {
    var id: UUID
    var date: String
    var timeBand: String?
    var city: String
    var placeType: String
    var kinds: [String]
    var role: String
    var perpetrator: String
    var perpetratorRelation: String?
    var perpetratorCount: String
    var prevented: Bool
    var preventedBy: String?
    var recurrence: String?
    var toldWhom: [String]
    var toldOutcome: String?
    var description: String
    /// The public point, or nil when the report counts in statistics only.
    var latitude: Double?
    var longitude: Double?

    init(_ report: Report) {
        id = report.id ?? UUID()
        date = report.incidentDate
        timeBand = report.timeBand
        city = report.city
        placeType = report.placeType
        kinds = report.kinds.map(\.rawValue)
        role = report.role
        perpetrator = report.perpetrator
        perpetratorRelation = report.perpetratorRelation
        perpetratorCount = report.perpetratorCount
        prevented = report.prevented
        preventedBy = report.preventedBy
        recurrence = report.recurrence
        toldWhom = report.toldWhom.map(\.rawValue)
        toldOutcome = report.toldOutcome
        description = report.publicDescription ?? ""
        latitude = report.publicLatitude
        longitude = report.publicLongitude
    }
}

/// The public map's filters, shared by the API, the map page and (later) statistics.
struct IncidentFilters: Sendable {
    var bbox: (minLon: Double, minLat: Double, maxLon: Double, maxLat: Double)?
    var from: String?
    var to: String?
    var kinds: [HarassmentKind] = []
    var placeTypes: [PlaceType] = []
    var perpetrator: Perpetrator?
    var prevented: Bool?
    var city: String?
    var page = 1
    var perPage = 500

    static let maxPerPage = 1000

    /// Parses query parameters; any malformed one is an error naming it.
    static func parse(_ query: [String: String], knownCities: Set<String>) throws -> IncidentFilters {
        var filters = IncidentFilters()
        var errors: [String: String] = [:]
        // A parameter that is present must have a value: `?to=` is a mistake, not "no filter".
        for (name, raw) in query where TextRules.trimmed(raw) == nil { errors[name] = "error_empty_parameter" }
        func value(_ name: String) -> String? { TextRules.trimmed(query[name]) }

        if let raw = value("bbox") {
            // Four numbers; a box that is inverted or off the globe simply contains nothing.
            let numbers = raw.split(separator: ",", omittingEmptySubsequences: false).map {
                Double($0.trimmingCharacters(in: .whitespaces))
            }
            if numbers.count == 4, let minLon = numbers[0], let minLat = numbers[1], let maxLon = numbers[2],
                let maxLat = numbers[3], [minLon, minLat, maxLon, maxLat].allSatisfy(\.isFinite)
            {
                filters.bbox = (minLon, minLat, maxLon, maxLat)
            } else {
                errors["bbox"] = "error_bbox"
            }
        }
        for (name, keyPath) in [("from", \IncidentFilters.from), ("to", \IncidentFilters.to)] {
            if let raw = value(name) {
                if KazakhstanTime.isValidDay(raw) {
                    filters[keyPath: keyPath] = raw
                } else {
                    errors[name] = "error_date_format"
                }
            }
        }
        func list<E: RawRepresentable>(_ name: String, _ type: E.Type) -> [E] where E.RawValue == String {
            guard let raw = value(name) else { return [] }
            let items = raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let parsed = items.compactMap(E.init(rawValue:))
            if parsed.count != items.count || items.count > 50 { errors[name] = "error_choice" }
            return parsed
        }
        filters.kinds = list("kinds", HarassmentKind.self)
        filters.placeTypes = list("placeTypes", PlaceType.self)
        if let raw = value("perpetrator") {
            if let parsed = Perpetrator(rawValue: raw) {
                filters.perpetrator = parsed
            } else {
                errors["perpetrator"] = "error_choice"
            }
        }
        if let raw = value("prevented") {
            switch raw.lowercased() {
            case "true", "yes": filters.prevented = true
            case "false", "no": filters.prevented = false
            default: errors["prevented"] = "error_choice"
            }
        }
        if let raw = value("city") {
            if knownCities.contains(raw) { filters.city = raw } else { errors["city"] = "error_choice" }
        }
        if let raw = value("page") {
            if let number = Int(raw), (1...1_000_000).contains(number) {
                filters.page = number
            } else {
                errors["page"] = "error_page"
            }
        }
        if let raw = value("perPage") {
            if let number = Int(raw), (1...maxPerPage).contains(number) {
                filters.perPage = number
            } else {
                errors["perPage"] = "error_page"
            }
        }
        if !errors.isEmpty { throw AppError.validation(errors) }
        return filters
    }
}

enum IncidentQueries {
    /// Published reports the public may see, with the filters applied. Pending, rejected and
    /// archived reports never pass this point.
    static func published(_ filters: IncidentFilters, pinsOnly: Bool, on database: any Database) -> QueryBuilder<Report>
    {
        let query = Report.query(on: database).filter(\.$status == ReportStatus.published.rawValue)
        if pinsOnly {
            query.filter(\.$publicLatitude != nil).filter(\.$publicLongitude != nil)
        }
        if let bbox = filters.bbox {
            query.filter(\.$publicLatitude >= bbox.minLat).filter(\.$publicLatitude <= bbox.maxLat)
                .filter(\.$publicLongitude >= bbox.minLon).filter(\.$publicLongitude <= bbox.maxLon)
        }
        if let from = filters.from { query.filter(\.$incidentDate >= from) }
        if let to = filters.to { query.filter(\.$incidentDate <= to) }
        if !filters.kinds.isEmpty {
            query.group(.or) { group in
                for kind in filters.kinds { group.filter(\.$kindsList ~~ ",\(kind.rawValue),") }
            }
        }
        if !filters.placeTypes.isEmpty { query.filter(\.$placeType ~~ filters.placeTypes.map(\.rawValue)) }
        if let perpetrator = filters.perpetrator { query.filter(\.$perpetrator == perpetrator.rawValue) }
        if let prevented = filters.prevented { query.filter(\.$prevented == prevented) }
        if let city = filters.city { query.filter(\.$city == city) }
        return query
    }

    /// One published report with a pin, by its id: what a map popup shows.
    static func pinned(_ id: UUID, on database: any Database) async throws -> PublicIncident? {
        try await published(IncidentFilters(), pinsOnly: true, on: database).filter(\.$id == id).first()
            .map(PublicIncident.init)
    }

    struct Page: Sendable {
        var incidents: [PublicIncident]
        var total: Int
    }

    static func page(_ filters: IncidentFilters, on database: any Database) async throws -> Page {
        let total = try await published(filters, pinsOnly: true, on: database).count()
        let reports = try await published(filters, pinsOnly: true, on: database)
            .sort(\.$incidentDate, .descending).sort(\.$id)
            .offset((filters.page - 1) * filters.perPage).limit(filters.perPage)
            .all()
        return Page(incidents: reports.map(PublicIncident.init), total: total)
    }
}

/// GeoJSON (RFC 7946) for the map and open data; `page`, `perPage` and `total` are foreign members.
struct IncidentFeatureCollection: Content {
    struct Geometry: Content {
        var type = "Point"
        var coordinates: [Double]
    }
    struct Feature: Content {
        var type = "Feature"
        var id: UUID
        var geometry: Geometry
        var properties: PublicIncident
    }
    var type = "FeatureCollection"
    var features: [Feature]
    var page: Int
    var perPage: Int
    var total: Int

    init(_ page: IncidentQueries.Page, filters: IncidentFilters) {
        features = page.incidents.compactMap { incident in
            guard let latitude = incident.latitude, let longitude = incident.longitude else { return nil }
            return Feature(
                id: incident.id, geometry: Geometry(coordinates: [longitude, latitude]), properties: incident)
        }
        self.page = filters.page
        perPage = filters.perPage
        total = page.total
    }
}
