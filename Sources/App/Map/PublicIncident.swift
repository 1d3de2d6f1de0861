import Fluent
import FluentSQL
import SQLKit
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
    /// How coarse the point is: `grid250`, `km1` or `city` (SPEC §6).
    var precision: String?

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
        precision = report.publicPrecision
    }

    /// The columns a public incident is read from, for queries that skip Fluent's models.
    static let columns = [
        "id", "incident_date", "time_band", "city", "place_type", "kinds", "role", "perpetrator",
        "perpetrator_relation", "perpetrator_count", "prevented", "prevented_by", "recurrence", "told_whom",
        "told_outcome", "public_description", "public_latitude", "public_longitude", "public_precision",
    ]

    /// Straight from a row of ``columns``: the hot paths (exports) read rows, not models.
    init(row: any SQLRow) throws {
        func text(_ column: String) throws -> String? {
            try row.decodeNil(column: column) ? nil : try row.decode(column: column, as: String.self)
        }
        func number(_ column: String) throws -> Double? {
            try row.decodeNil(column: column) ? nil : try row.decode(column: column, as: Double.self)
        }
        func list(_ column: String) throws -> [String] {
            (try text(column) ?? "").split(separator: ",").map(String.init)
        }
        id = try row.decode(column: "id", as: UUID.self)
        date = try row.decode(column: "incident_date", as: String.self)
        timeBand = try text("time_band")
        city = try row.decode(column: "city", as: String.self)
        placeType = try row.decode(column: "place_type", as: String.self)
        kinds = try list("kinds")
        role = try row.decode(column: "role", as: String.self)
        perpetrator = try row.decode(column: "perpetrator", as: String.self)
        perpetratorRelation = try text("perpetrator_relation")
        perpetratorCount = try row.decode(column: "perpetrator_count", as: String.self)
        prevented = try row.decode(column: "prevented", as: Bool.self)
        preventedBy = try text("prevented_by")
        recurrence = try text("recurrence")
        toldWhom = try list("told_whom")
        toldOutcome = try text("told_outcome")
        description = try text("public_description") ?? ""
        latitude = try number("public_latitude")
        longitude = try number("public_longitude")
        precision = try text("public_precision")
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
    /// Where the previous page ended (its `next`): pages are walked by key, never by offset.
    var after: (date: String, id: UUID)?
    /// Only the reports this frozen release still holds: how a release's statistics are
    /// recomputed, through the same queries, when reports leave it (issue #21). Never parsed.
    var releaseMembers: UUID?

    /// How many rows a page's first read takes: those its `page` skips, the page, and one
    /// more to tell whether another follows.
    var rowsToRead: Int { (after == nil ? (page - 1) * perPage : 0) + perPage + 1 }

    static let maxPerPage = 1000
    /// `page` reads and skips every row before it, so it goes only this far; `after` has no end.
    static let maxOffsetPage = 10

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
        // Public date filters are whole months (SPEC §6): a day, or two days apart, would
        // select so few reports that subtracting answers describes one. A day given is read as
        // its month, so older links still work.
        for (name, isStart) in [("from", true), ("to", false)] {
            if let raw = value(name) {
                if let month = Self.month(raw) {
                    let day = isStart ? month + "-01" : KazakhstanTime.lastDay(ofMonth: month)
                    if isStart { filters.from = day } else { filters.to = day }
                } else {
                    errors[name] = "error_month_format"
                }
            }
        }
        func list<E: RawRepresentable>(_ name: String, _ type: E.Type) -> [E] where E.RawValue == String {
            guard let raw = value(name) else { return [] }
            // An empty item (`street,` or `,,`) is a mistake too, not "any".
            let items = raw.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
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
            // Kept for older clients; `after` walks further without reading what it skips.
            if let number = Int(raw), (1...maxOffsetPage).contains(number) {
                filters.page = number
            } else {
                errors["page"] = "error_page"
            }
        }
        if let raw = value("after") {
            let parts = raw.split(separator: "~", maxSplits: 1).map(String.init)
            if parts.count == 2, KazakhstanTime.isValidDay(parts[0]), let id = UUID(uuidString: parts[1]) {
                filters.after = (parts[0], id)
            } else {
                errors["after"] = "error_cursor"
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

    /// `YYYY-MM` from `YYYY-MM` or a valid `YYYY-MM-DD`; nil for anything else.
    static func month(_ raw: String) -> String? {
        if KazakhstanTime.isValidDay(raw) { return String(raw.prefix(7)) }
        return KazakhstanTime.isValidDay(raw + "-01") ? raw : nil
    }
}

extension Request {
    /// The query's parameters for ``IncidentFilters/parse(_:knownCities:)``. A parameter given
    /// twice (`city=a&city=b`) is refused by name: taking one of them silently would answer a
    /// question that was not asked.
    func filterQuery() throws -> [String: String] {
        var seen: Set<String> = []
        for pair in (url.query ?? "").split(separator: "&") {
            let rawName = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
            let name =
                String(rawName).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(rawName)
            if !seen.insert(name).inserted { throw AppError.validation([name: "error_repeated_parameter"]) }
        }
        return try query.decode([String: String].self)
    }
}

extension IncidentFilters {
    /// The filters as SQL conditions on the `reports` table: the one definition the map, the
    /// statistics and the exports share. Pending, rejected and archived reports never pass.
    ///
    /// `boxByIndex: false` writes the box as `+public_latitude …`, which no index can serve, so
    /// the database walks the date index instead: faster when the box holds most of the rows.
    @discardableResult
    func apply<Builder: SQLPredicateBuilder>(to builder: Builder, pinsOnly: Bool, boxByIndex: Bool = true) -> Builder {
        builder.where("status", .equal, ReportStatus.published.rawValue)
        if pinsOnly {
            builder.where("public_latitude", .isNot, SQLLiteral.null).where("public_longitude", .isNot, SQLLiteral.null)
        }
        if let bbox {
            let latitude: any SQLExpression = boxByIndex ? SQLIdentifier("public_latitude") : SQLRaw("+public_latitude")
            let longitude: any SQLExpression =
                boxByIndex ? SQLIdentifier("public_longitude") : SQLRaw("+public_longitude")
            builder.where(latitude, .greaterThanOrEqual, SQLBind(bbox.minLat))
                .where(latitude, .lessThanOrEqual, SQLBind(bbox.maxLat))
                .where(longitude, .greaterThanOrEqual, SQLBind(bbox.minLon))
                .where(longitude, .lessThanOrEqual, SQLBind(bbox.maxLon))
        }
        if let from { builder.where("incident_date", .greaterThanOrEqual, from) }
        if let to { builder.where("incident_date", .lessThanOrEqual, to) }
        if !kinds.isEmpty {
            builder.where(group: { group in
                for kind in kinds { group.orWhere("kinds", .like, ",\(kind.rawValue),".asLikePattern) }
                return group
            })
        }
        if !placeTypes.isEmpty { builder.where("place_type", .in, placeTypes.map(\.rawValue)) }
        if let perpetrator { builder.where("perpetrator", .equal, perpetrator.rawValue) }
        if let prevented { builder.where("prevented", .equal, prevented) }
        if let city { builder.where("city", .equal, city) }
        if let releaseMembers {
            builder.where(
                SQLIdentifier("id"), .in,
                SQLSubquery.select {
                    $0.column("report_id").from(DataReleases.membersTable)
                        .where("release_id", .equal, SQLBind(releaseMembers))
                })
        }
        return builder
    }
}

extension String {
    /// `%text%` for LIKE; our comma-framed lists hold no `%` or `_` of their own beyond the
    /// enumeration values, whose underscores match themselves.
    fileprivate var asLikePattern: String { "%" + self + "%" }
}

enum IncidentQueries {
    struct Page: Sendable {
        var incidents: [PublicIncident]
        var total: Int
        /// The `after` of the next page, or nil on the last.
        var next: String?
    }

    /// A page of published incidents with a pin, newest incident first, read from the public
    /// columns only. The total comes from the map's cached counts (``ClusterQueries/places``),
    /// not from counting the table again.
    static func page(_ filters: IncidentFilters, app: Application, on database: any Database) async throws -> Page {
        let places = try await ClusterQueries.places(filters, app: app, on: database)
        let total = ClusterQueries.total(of: places, in: filters)
        guard total > 0 else { return Page(incidents: [], total: 0, next: nil) }
        var unboxed = filters
        unboxed.bbox = nil
        let inAll = filters.bbox == nil ? total : ClusterQueries.total(of: places, in: unboxed)
        let plan = Plan(inBox: total, inAll: inAll, rows: filters.rowsToRead, boxed: filters.bbox != nil)

        let sql = try database.sql()
        let rows: [any SQLRow]
        let more: Bool
        switch plan {
        case .dateFirst:
            let found = try await newestFirst(filters, columns: PublicIncident.columns, plan: plan, on: sql).all()
            rows = Array(found.prefix(filters.perPage))
            more = found.count > filters.perPage
        case .boxFirst:
            // The page's ids from the place index alone (it holds the date and id), then only
            // those rows: a small box's rows are never each read to be sorted.
            let ids = try await newestFirst(filters, columns: ["id"], plan: plan, on: sql).all().map {
                try $0.decode(column: "id", as: UUID.self)
            }
            more = ids.count > filters.perPage
            guard !ids.isEmpty else { return Page(incidents: [], total: total, next: nil) }
            rows = try await publishedRows(Array(ids.prefix(filters.perPage)), on: database)
        }
        let incidents = try rows.map(PublicIncident.init(row:))
        let next = more ? incidents.last.map { "\($0.date)~\($0.id.uuidString)" } : nil
        return Page(incidents: incidents, total: total, next: next)
    }

    /// A page's first read: `columns` of the filtered incidents with a pin, newest incident
    /// first, id ascending on the same day, from where `after` (or `page`) says, one row more
    /// than a page to tell whether another follows. ``Plan/boxFirst`` reads the box from the
    /// place index; ``Plan/dateFirst`` walks the newest-first index. The plan is SQLite's:
    /// PostgreSQL's planner learns from its statistics how much of the map a box holds and
    /// chooses by itself, while a box it cannot read from an index would look to it like a
    /// handful of rows (a walk through everything to find them).
    static func newestFirst(
        _ filters: IncidentFilters, columns: [String], plan: Plan, on sql: any SQLDatabase
    ) -> SQLSelectBuilder {
        let select = filters.apply(
            to: sql.select().columns(columns.map { SQLIdentifier($0) }).from(Report.schema), pinsOnly: true,
            boxByIndex: plan == .boxFirst || sql.dialect.name != "sqlite")
        if let after = filters.after {
            // The first condition alone lets the walk start at the cursor instead of skipping
            // every newer incident; the group says exactly what comes after it.
            select.where("incident_date", .lessThanOrEqual, after.date).where(group: {
                $0.where("incident_date", .lessThan, after.date).orWhere(group: {
                    $0.where("incident_date", .equal, after.date).where("id", .greaterThan, after.id)
                })
            })
        } else if filters.page > 1 {
            select.offset((filters.page - 1) * filters.perPage)
        }
        return select.orderBy("incident_date", .descending).orderBy("id").limit(filters.perPage + 1)
    }

    /// The public columns of these reports, in the order of `ids`, if they are still published
    /// with a pin: a report taken down between a page's two reads is left out.
    static func publishedRows(_ ids: [UUID], on database: any Database) async throws -> [any SQLRow] {
        let rows = try await secondRead(ids: ids, on: database.sql()).all()
        var position: [UUID: Int] = [:]
        for (index, id) in ids.enumerated() where position[id] == nil { position[id] = index }
        return try rows.map { (position[try $0.decode(column: "id", as: UUID.self)] ?? ids.count, $0) }
            .sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// A page's second read, by primary key. No ORDER BY: the first read has put the ids in
    /// order, and an ORDER BY offers the planner an index that gives it, over every published
    /// report. SQLite without statistics took it (issue #22: 11 requests a second for a small
    /// box at a million); with them (``PlannerStatistics``) it looks up each id.
    static func secondRead(ids: [UUID], on sql: any SQLDatabase) -> SQLSelectBuilder {
        IncidentFilters().apply(
            to: sql.select().columns(PublicIncident.columns.map { SQLIdentifier($0) }).from(Report.schema)
                .where("id", .in, ids),
            pinsOnly: true)
    }

    /// How a page is found. Walking the newest-first index (``CreateNewestIncidentsIndex``)
    /// reads about `rows / share` entries, where `share` is the part of all pins inside the box;
    /// reading the box from the place index reads its whole latitude band, at least `inBox`
    /// entries, about three times the cost of one walked, and sorts them. Measured at a
    /// million published reports (issue #22), for a page of 100: a box of 901 incidents takes
    /// 2.2 ms from the place index and 19 ms walking; one of 15,556, 14 ms and 0.9 ms; the
    /// country, 156 ms and 0.03 ms. The box goes first when `3 × inBox² < rows × inAll`.
    enum Plan: Equatable {
        case dateFirst, boxFirst

        init(inBox: Int, inAll: Int, rows: Int, boxed: Bool) {
            self = boxed && 3 * inBox * inBox < rows * inAll ? .boxFirst : .dateFirst
        }
    }

    /// One published report with a pin, by its id: what a map popup shows.
    static func pinned(_ id: UUID, on database: any Database) async throws -> PublicIncident? {
        try await publishedRows([id], on: database).first.map(PublicIncident.init(row:))
    }
}

extension Database {
    /// The same database through SQLKit; both of our drivers are SQL databases.
    func sql() throws -> any SQLDatabase {
        guard let sql = self as? any SQLDatabase else {
            throw AppError.internalError
        }
        return sql
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
    /// Pass as `after` for the next page; absent on the last page.
    var next: String?

    init(_ page: IncidentQueries.Page, filters: IncidentFilters) {
        features = page.incidents.compactMap { incident in
            guard let latitude = incident.latitude, let longitude = incident.longitude else { return nil }
            return Feature(
                id: incident.id, geometry: Geometry(coordinates: [longitude, latitude]), properties: incident)
        }
        self.page = filters.page
        perPage = filters.perPage
        total = page.total
        next = page.next
    }
}

extension IncidentFeatureCollection {
    /// The JSON `JSONEncoder` writes for this collection (the same members, nil ones left out),
    /// written straight into bytes: encoding a page of 100 through `Codable` took a third of
    /// `GET /api/v1/incidents` at a million reports once its reads were cheap (issue #22).
    func json() -> ByteBuffer {
        var out = JSONBytes(capacity: 200 + features.count * 800)
        out.raw("{\"type\":")
        out.string(type)
        out.raw(",\"features\":[")
        for (index, feature) in features.enumerated() {
            if index > 0 { out.raw(",") }
            out.raw("{\"type\":")
            out.string(feature.type)
            out.raw(",\"id\":")
            out.string(feature.id.uuidString)
            out.raw(",\"geometry\":{\"type\":")
            out.string(feature.geometry.type)
            out.raw(",\"coordinates\":[")
            for (index, coordinate) in feature.geometry.coordinates.enumerated() {
                if index > 0 { out.raw(",") }
                out.number(coordinate)
            }
            out.raw("]},\"properties\":")
            out.incident(feature.properties)
            out.raw("}")
        }
        out.raw("],\"page\":\(page),\"perPage\":\(perPage),\"total\":\(total)")
        if let next {
            out.raw(",\"next\":")
            out.string(next)
        }
        out.raw("}")
        return out.buffer
    }
}

/// A JSON text being written: strings escaped as RFC 8259 asks, numbers as Swift prints them
/// (the shortest form that reads back the same).
private struct JSONBytes {
    var buffer: ByteBuffer

    init(capacity: Int) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    mutating func raw(_ text: String) { buffer.writeString(text) }

    mutating func number(_ value: Double) { buffer.writeString(value.description) }

    mutating func string(_ text: String) {
        buffer.writeInteger(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            for index in bytes.indices {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                buffer.writeBytes(bytes[start..<index])
                switch byte {
                case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
                case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
                case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
                case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
                case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    buffer.writeStaticString("\\u00")
                    buffer.writeInteger(hex[Int(byte >> 4)])
                    buffer.writeInteger(hex[Int(byte & 0x0F)])
                }
                start = index + 1
            }
            buffer.writeBytes(bytes[start...])
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    mutating func member(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    mutating func member(_ name: StaticString, _ value: [String]) {
        key(name)
        buffer.writeInteger(UInt8(ascii: "["))
        for (index, item) in value.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            string(item)
        }
        buffer.writeInteger(UInt8(ascii: "]"))
    }

    mutating func member(_ name: StaticString, _ value: Double?) {
        guard let value else { return }
        key(name)
        number(value)
    }

    mutating func member(_ name: StaticString, _ value: Bool) {
        key(name)
        buffer.writeStaticString(value ? "true" : "false")
    }

    /// `,"name":`; every member but the first (the id) follows another.
    private mutating func key(_ name: StaticString) {
        buffer.writeStaticString(",\"")
        buffer.writeStaticString(name)
        buffer.writeStaticString("\":")
    }

    /// The members of ``PublicIncident`` in the order its `Codable` conformance writes them.
    mutating func incident(_ incident: PublicIncident) {
        raw("{\"id\":")
        string(incident.id.uuidString)
        member("date", incident.date)
        member("timeBand", incident.timeBand)
        member("city", incident.city)
        member("placeType", incident.placeType)
        member("kinds", incident.kinds)
        member("role", incident.role)
        member("perpetrator", incident.perpetrator)
        member("perpetratorRelation", incident.perpetratorRelation)
        member("perpetratorCount", incident.perpetratorCount)
        member("prevented", incident.prevented)
        member("preventedBy", incident.preventedBy)
        member("recurrence", incident.recurrence)
        member("toldWhom", incident.toldWhom)
        member("toldOutcome", incident.toldOutcome)
        member("description", incident.description)
        member("latitude", incident.latitude)
        member("longitude", incident.longitude)
        member("precision", incident.precision)
        buffer.writeInteger(UInt8(ascii: "}"))
    }
}
