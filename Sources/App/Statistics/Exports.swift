import Fluent
import SQLKit
import Vapor

/// Open data (SPEC §3): the map's published incidents, with the map's filters, as CSV and as
/// GeoJSON. Rows are read a thousand at a time in id order and written out as they come, so
/// memory stays flat however large the data grows (Ushahidi's exports stalled on large data).
/// Public fields only; reports without a pin count in the statistics, not here.
struct ExportController {
    /// The CSV's columns, in order; the data dictionary page explains each.
    static let csvColumns = [
        "id", "date", "timeBand", "city", "placeType", "kinds", "role", "perpetrator", "perpetratorRelation",
        "perpetratorCount", "prevented", "preventedBy", "recurrence", "toldWhom", "toldOutcome", "description",
        "latitude", "longitude", "precision",
    ]

    @Sendable func csv(req: Request) async throws -> Response {
        let filters = try await Self.filters(req)
        let database = req.db
        let response = Response(
            status: .ok,
            body: .init(managedAsyncStream: { writer in
                try await Self.write(.csv, filters, on: database) {
                    try await writer.writeBuffer(ByteBuffer(string: $0))
                }
            }))
        response.headers.contentType = OpenDataFormat.csv.mediaType
        response.headers.replaceOrAdd(name: .contentDisposition, value: #"attachment; filename="dauys-incidents.csv""#)
        return response
    }

    @Sendable func geoJSON(req: Request) async throws -> Response {
        let filters = try await Self.filters(req)
        let database = req.db
        let response = Response(
            status: .ok,
            body: .init(managedAsyncStream: { writer in
                try await Self.write(.geoJSON, filters, on: database) {
                    try await writer.writeBuffer(ByteBuffer(string: $0))
                }
            }))
        response.headers.contentType = OpenDataFormat.geoJSON.mediaType
        response.headers.replaceOrAdd(
            name: .contentDisposition, value: #"attachment; filename="dauys-incidents.geojson""#)
        return response
    }

    /// Writes one whole file, piece by piece, to `output`: what a download streams and what a
    /// frozen release stores.
    static func write(
        _ format: OpenDataFormat, _ filters: IncidentFilters, on database: any Database,
        to output: (String) async throws -> Void
    ) async throws {
        switch format {
        case .csv:
            // A byte-order mark, so spreadsheet programs read the Cyrillic correctly.
            try await output("\u{FEFF}" + csvColumns.joined(separator: ",") + "\r\n")
            try await eachIncident(filters, on: database) { batch in try await output(batch.map(csvLine).joined()) }
        case .geoJSON:
            try await output(#"{"type":"FeatureCollection","features":["#)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var first = true
            try await eachIncident(filters, on: database) { batch in
                var chunk = ""
                for incident in batch {
                    guard let latitude = incident.latitude, let longitude = incident.longitude else { continue }
                    let feature = IncidentFeatureCollection.Feature(
                        id: incident.id, geometry: .init(coordinates: [longitude, latitude]), properties: incident)
                    chunk += (first ? "" : ",") + String(decoding: try encoder.encode(feature), as: UTF8.self)
                    first = false
                }
                try await output(chunk)
            }
            try await output("]}")
        }
    }

    static func filters(_ req: Request) async throws -> IncidentFilters {
        var query = try req.filterQuery()
        // Paging belongs to the map's API; an export is everything that matches.
        query["page"] = nil
        query["perPage"] = nil
        return try IncidentFilters.parse(query, knownCities: Set(try await cityIndex(req.db).keys))
    }

    /// Every matching published incident with a pin, in batches, in id order.
    static func eachIncident(
        _ filters: IncidentFilters, on database: any Database, batchSize: Int = 1000,
        _ body: ([PublicIncident]) async throws -> Void
    ) async throws {
        let sql = try database.sql()
        var after: UUID?
        while true {
            let query = filters.apply(
                to: sql.select().columns(PublicIncident.columns.map { SQLColumn($0) }).from(Report.schema),
                pinsOnly: true)
            if let after { query.where("id", .greaterThan, after) }
            let batch = try await query.orderBy("id").limit(batchSize).all().map(PublicIncident.init(row:))
            if !batch.isEmpty { try await body(batch) }
            guard batch.count == batchSize, let last = batch.last else { return }
            after = last.id
        }
    }

    /// One CSV record (RFC 4180): lists joined with `;`, booleans as `true`/`false`.
    static func csvLine(_ incident: PublicIncident) -> String {
        let fields: [String] = [
            incident.id.uuidString.lowercased(), incident.date, incident.timeBand ?? "", incident.city,
            incident.placeType, incident.kinds.joined(separator: ";"), incident.role, incident.perpetrator,
            incident.perpetratorRelation ?? "", incident.perpetratorCount, incident.prevented ? "true" : "false",
            incident.preventedBy ?? "", incident.recurrence ?? "", incident.toldWhom.joined(separator: ";"),
            incident.toldOutcome ?? "", incident.description,
            incident.latitude.map { String(format: "%.6f", $0) } ?? "",
            incident.longitude.map { String(format: "%.6f", $0) } ?? "", incident.precision ?? "",
        ]
        return fields.map(csvField).joined(separator: ",") + "\r\n"
    }

    /// Quotes a field when it needs it, and defuses a text that a spreadsheet would run as a
    /// formula (`=`, `+`, `-`, `@` at the start) by putting an apostrophe before it.
    static func csvField(_ value: String) -> String {
        var text = value
        if let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { text = "'" + text }
        // Scalars, not characters: "\r\n" is one character in Swift.
        guard text.unicodeScalars.contains(where: { ",\"\n\r".unicodeScalars.contains($0) }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// The two formats of the open data.
enum OpenDataFormat: String, CaseIterable, Sendable {
    case csv
    case geoJSON = "geojson"

    var mediaType: HTTPMediaType {
        switch self {
        case .csv: HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"])
        case .geoJSON: HTTPMediaType(type: "application", subType: "geo+json")
        }
    }

    /// The file's name in a download: `dauys-incidents.csv`, `dauys-2026-Q4-incidents.geojson`.
    func fileName(release: String? = nil) -> String {
        "dauys-" + (release.map { $0 + "-" } ?? "") + "incidents." + rawValue
    }
}
