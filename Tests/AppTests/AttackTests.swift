import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

/// Hostile input: scripts in every text field, SQL in every filter, guessing at hidden reports.
@Suite struct AttackTests {
    static let script = "<script>window.__xss=1</script>"
    static let image = "<img src=x onerror=\"window.__xss=1\">"
    static let svgEmail = "\"><svg/onload=alert(1)>@evil.kz"

    /// Raw markup that must never appear unescaped in a page.
    static func assertInert(_ html: String, _ place: String) {
        for raw in ["<script>window.__xss", "<img src=x", "<svg/onload", "onerror=\"window"] {
            #expect(!html.contains(raw), "\(place) contains live markup \(raw)")
        }
    }

    @Test func scriptsInEveryTextFieldComeOutInert() async throws {
        try await withApp { app in
            let code = try await app.submitReport([
                "description": "Он сказал: \(Self.script) и ещё \(Self.image) — это было на улице.",
                "landmark": Self.image, "contact": Self.svgEmail,
            ])
            let (account, token) = try await app.makeModerator()
            let id = try await app.report(receipt: code).requireID()

            // The moderator's view of the original.
            let cookie = try await app.signIn(email: account.email, password: "correct horse battery staple").cookie
            let adminPage = try await app.send(.GET, "/admin/reports/\(id)", headers: ["Cookie": cookie])
            #expect(adminPage.body.string.contains("&lt;script&gt;window.__xss=1&lt;/script&gt;"))
            Self.assertInert(adminPage.body.string, "the admin report page")
            Self.assertInert(try await app.send(.GET, "/admin", headers: ["Cookie": cookie]).body.string, "the queue")

            // The public version, on the map page, in the API and on the reporter's check page.
            let publicText = "Публично: \(Self.script) \(Self.image) остаётся просто текстом."
            let published = try await app.send(
                .POST, "/api/v1/admin/reports/\(id)/publish", headers: ["Authorization": "Bearer \(token)"],
                json: ["publicDescription": publicText])
            #expect(published.status == .ok)
            Self.assertInert(try await app.send(.GET, "/?lang=en").body.string, "the map page")
            Self.assertInert(try await app.send(.POST, "/check", form: [("code", code)]).body.string, "the check page")
            let api = try await app.send(.GET, "/api/v1/incidents")
            #expect(api.headers.contentType?.description.hasPrefix("application/geo+json") == true)
            // JSON carries the text as data; it is only dangerous if a page inserts it as HTML,
            // which the map script never does (the browser tests check the popup).
            #expect(api.body.string.contains("window.__xss"))
            // Open data carries the text as data too, in a download a browser never renders.
            for path in ["/api/v1/export/incidents.csv", "/api/v1/export/incidents.geojson"] {
                let download = try await app.send(.GET, path)
                #expect(download.body.string.contains("window.__xss"), "\(path) lost the text")
                #expect(download.headers.first(name: .contentDisposition)?.hasPrefix("attachment") == true, "\(path)")
                #expect(download.headers.first(name: "X-Content-Type-Options") == "nosniff", "\(path)")
                #expect(download.headers.contentType?.type != "text" || download.headers.contentType?.subType == "csv")
            }
            Self.assertInert(try await app.send(.GET, "/stats?lang=en").body.string, "the statistics page")
            Self.assertInert(try await app.send(.GET, "/data?lang=kk").body.string, "the open data page")

            // A rejection note is shown to the reporter, escaped.
            let other = try await app.submitReport()
            let otherID = try await app.report(receipt: other).requireID()
            _ = try await app.send(
                .POST, "/api/v1/admin/reports/\(otherID)/reject", headers: ["Authorization": "Bearer \(token)"],
                json: ["reasonCode": "other", "reason": Self.script])
            Self.assertInert(
                try await app.send(.POST, "/check", form: [("code", other)]).body.string, "a rejection note")
            Self.assertInert(
                try await app.send(.GET, "/admin/audit", headers: ["Cookie": cookie]).body.string, "the audit log")
        }
    }

    static let injections = [
        "' OR '1'='1", "1; DROP TABLE reports; --", "almaty' --", "%' OR 1=1 --", "\") OR (\"1\"=\"1",
        "1 UNION SELECT * FROM accounts",
    ]

    @Test(arguments: [
        "city", "kinds", "placeTypes", "perpetrator", "prevented", "from", "to", "bbox", "page", "perPage",
    ])
    func sqlInFiltersIsRefusedAndChangesNothing(filter: String) async throws {
        try await withApp { app in
            let code = try await app.submitReport()
            try await app.publish(receipt: code)
            for injection in Self.injections {
                let query =
                    filter + "=" + (injection.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
                let api = try await app.send(.GET, "/api/v1/incidents?" + query)
                #expect(api.status == .badRequest, "\(filter)=\(injection)")
                let page = try await app.send(
                    .GET,
                    "/?"
                        + query.replacingOccurrences(of: "kinds=", with: "kind=")
                        .replacingOccurrences(of: "placeTypes=", with: "placeType="))
                #expect(page.status == .ok)
            }
            #expect(try await Report.query(on: app.db).count() == 1)
            #expect(try await Account.query(on: app.db).count() == 1)
            #expect(try await IncidentQueries.page(IncidentFilters(), app: app, on: app.db).total == 1)
        }
    }

    @Test func sqlInReceiptCodesAndAdminParametersFindsNothing() async throws {
        try await withApp { app in
            try await app.submitReport()
            let (_, token) = try await app.makeModerator()
            for injection in Self.injections {
                let lookup = try await app.send(.POST, "/api/v1/receipt", json: ["code": injection])
                #expect(lookup.status == .badRequest)
                let status = try await app.send(
                    .GET,
                    "/api/v1/admin/reports?status="
                        + (injection.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""),
                    headers: ["Authorization": "Bearer \(token)"])
                #expect(status.status == .badRequest)
                let byID = try await app.send(
                    .GET,
                    "/api/v1/admin/reports/"
                        + (injection.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""),
                    headers: ["Authorization": "Bearer \(token)"])
                #expect(byID.status == .notFound)
                let bearer = try await app.send(
                    .GET, "/api/v1/admin/reports", headers: ["Authorization": "Bearer \(injection)"])
                #expect(bearer.status == .unauthorized)
            }
            #expect(try await Report.query(on: app.db).count() == 1)
        }
    }

    @Test func hiddenReportsAreUnreachableUnderAnyPublicAddress() async throws {
        try await withApp { app in
            let secret = "СЕКРЕТНОЕ описание, которое видят только модераторы, до публикации."
            let pending = try await app.submitReport(["description": secret])
            let rejected = try await app.submitReport(["description": secret])
            let (_, token) = try await app.makeModerator()
            let rejectedID = try await app.report(receipt: rejected).requireID()
            _ = try await app.send(
                .POST, "/api/v1/admin/reports/\(rejectedID)/reject", headers: ["Authorization": "Bearer \(token)"],
                json: ["reasonCode": "spam"])
            let ids = [try await app.report(receipt: pending).requireID(), rejectedID]
            for id in ids {
                for path in [
                    "/api/v1/reports/\(id)", "/api/v1/incidents/\(id)", "/api/v1/incidents?id=\(id)",
                    "/api/v1/admin/reports/\(id)",
                    "/admin/reports/\(id)", "/reports/\(id)", "/incidents/\(id)", "/?id=\(id)", "/check?code=\(id)",
                    "/api/v1/receipt?code=\(id)",
                ] {
                    let response = try await app.send(.GET, path)
                    #expect(!response.body.string.contains("СЕКРЕТНОЕ"), "\(path) shows a hidden report")
                    #expect(response.status != .ok || !response.body.string.contains(id.uuidString), "\(path)")
                }
            }
        }
    }
}
