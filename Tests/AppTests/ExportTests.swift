import AsyncHTTPClient
import Fluent
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// Issue #12, open data: the map's published incidents as CSV and GeoJSON — public fields
/// only, with the map's filters, and streamed so memory stays flat at any size.
@Suite struct ExportTests {
    static let secret = "EXPORTSENTINEL Меня зовут Айгерим, мой телефон +7 701 111 22 33."

    /// A small RFC 4180 reader: records of fields, quotes and doubled quotes understood.
    static func records(_ csv: String) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var scalars = Array(csv.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if quoted {
                if scalar == "\"" {
                    if index + 1 < scalars.count && scalars[index + 1] == "\"" {
                        field.unicodeScalars.append("\"")
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    field.unicodeScalars.append(scalar)
                }
            } else if scalar == "\"" {
                quoted = true
            } else if scalar == "," {
                record.append(field)
                field = ""
            } else if scalar == "\r" {
            } else if scalar == "\n" {
                record.append(field)
                records.append(record)
                record = []
                field = ""
            } else {
                field.unicodeScalars.append(scalar)
            }
            index += 1
        }
        return records
    }

    @Test func theDownloadsHoldThePublicFieldsOfThePublishedPinsOnly() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            let tricky = "Он написал: \"приходи\", потом ещё, и ещё;\r\nвторая строка"
            let shown = try await app.submitReport([
                "description": Self.secret, "contact": "aigerim@example.kz", "ageBand": "18-24", "gender": "woman",
                "time": "19:42", "timeBand": nil, "toldWhom": ["police"], "toldOutcome": "no_reaction",
            ])
            try await app.publish(receipt: shown, text: tricky)
            let formula = try await app.submitReport(["city": "astana", "latitude": 51.16, "longitude": 71.47])
            try await app.publish(receipt: formula, text: "=SUM(1+1) Преследовал у входа в метро, вечером.")
            let home = try await app.submitReport(["placeType": "residential"])
            try await app.publish(receipt: home)
            try await app.submitReport()  // pending

            let response = try await app.send(.GET, "/api/v1/export/incidents.csv")
            #expect(response.status == .ok)
            #expect(response.headers.contentType?.subType == "csv")
            let text = response.body.string
            for leak in ["EXPORTSENTINEL", "aigerim", "111 22 33", "18-24", "woman", "19:42", "43.238900"] {
                #expect(!text.contains(leak), "the export holds \(leak)")
            }
            let rows = Self.records(text)
            #expect(rows.first == ExportController.csvColumns)
            #expect(rows.count == 3, "a header and the two published incidents with a pin")
            let byCity = Dictionary(uniqueKeysWithValues: rows.dropFirst().map { ($0[3], $0) })
            let almaty = try #require(byCity["almaty"])
            #expect(almaty[15] == tricky, "quotes, commas and line breaks survive the round trip")
            #expect(almaty[13] == "police" && almaty[14] == "no_reaction" && almaty[18] == "grid250")
            let report = try await app.report(receipt: shown)
            #expect(almaty[16] == String(format: "%.6f", try #require(report.publicLatitude)))
            #expect(try #require(byCity["astana"])[15].hasPrefix("'="), "a formula is defused")

            // The map's filters apply.
            let filtered = Self.records(
                try await app.send(.GET, "/api/v1/export/incidents.csv?city=astana").body.string)
            #expect(filtered.count == 2 && filtered[1][3] == "astana")
            #expect(try await app.send(.GET, "/api/v1/export/incidents.csv?city=nowhere").status == .badRequest)

            let geo = try await app.send(.GET, "/api/v1/export/incidents.geojson")
            #expect(geo.headers.contentType?.subType == "geo+json")
            let collection = try JSONSerialization.jsonObject(with: Data(buffer: geo.body)) as? [String: Any]
            let features = try #require(collection?["features"] as? [[String: Any]])
            #expect(features.count == 2)
            #expect(!geo.body.string.contains("EXPORTSENTINEL") && !geo.body.string.contains("aigerim"))
        }
    }

    @Test func downloadsAreRateLimited() async throws {
        try await withApp { app in
            for _ in 0..<app.config.rateLimits.export.limit {
                #expect(try await app.send(.GET, "/api/v1/export/incidents.geojson").status == .ok)
            }
            let refused = try await app.send(.GET, "/api/v1/export/incidents.csv")
            #expect(refused.status == .tooManyRequests)
        }
    }

    @Test(arguments: ["kk", "ru", "en"])
    func theDataDictionaryExplainsEveryColumnInEachLanguage(language: String) async throws {
        try await withApp { app in
            let page = try await app.send(.GET, "/data?lang=\(language)")
            #expect(page.status == .ok)
            let html = page.body.string
            for column in ExportController.csvColumns {
                #expect(html.contains("<code>\(column)</code>"), "\(column) is not explained")
            }
            // A missing translation shows its key: none may.
            for key in ["data_", "kind_", "place_", "relation_", "told_", "band_", "precision_"] {
                #expect(!html.contains(">" + key) && !html.contains(" " + key), "an untranslated \(key)… on /data")
            }
            #expect(html.contains("CC BY 4.0"))
            #expect(html.contains("href=\"/api/v1/export/incidents.csv\""))
            #expect(html.contains("href=\"/api/v1/export/incidents.geojson\""))
        }
    }
}
