import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

/// Issue #12, citable releases: an administrator freezes the public data and statistics under a
/// permanent name, with checksums; nothing done later changes a release, and nobody but an
/// administrator makes one.
@Suite struct ReleaseTests {
    static let secret = "RELEASESENTINEL Айгерим, +7 701 999 88 77"

    /// Seven published reports in Almaty (two at home, without a pin), three in Astana, one pending.
    func publishKnownReports(_ app: Application) async throws -> [String] {
        var codes: [String] = []
        for index in 0..<7 {
            let code = try await app.submitReport([
                "description": Self.secret + " — пример номер \(index), на улице вечером.",
                "placeType": index < 2 ? "residential" : "street", "contact": "aigerim@example.kz",
            ])
            try await app.publish(receipt: code)
            codes.append(code)
        }
        for _ in 0..<3 {
            let code = try await app.submitReport(["city": "astana", "latitude": 51.16, "longitude": 71.47])
            try await app.publish(receipt: code)
            codes.append(code)
        }
        try await app.submitReport()
        return codes
    }

    func freeze(_ app: Application, _ name: String, token: String) async throws -> TestingHTTPResponse {
        try await app.send(
            .POST, "/api/v1/admin/releases", headers: ["Authorization": "Bearer \(token)"], json: ["name": name])
    }

    func sha256(_ buffer: ByteBuffer) -> String { DataReleases.sha256(Data(buffer: buffer)) }

    @Test func aReleaseHoldsTheDataOfItsMomentWithChecksumsAndNeverChanges() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            let codes = try await publishKnownReports(app)
            let (_, token) = try await app.makeModerator(role: .admin)
            let liveCSV = try await app.send(.GET, "/api/v1/export/incidents.csv").body
            let liveStats = try await app.send(.GET, "/api/v1/stats").body

            let frozen = try await freeze(app, "2026-Q4", token: token)
            #expect(frozen.status == .created, "\(frozen.body.string)")
            let dto = try frozen.content.decode(AdminReleasesController.ReleaseDTO.self)
            #expect(dto.incidents == 8, "five pinned in Almaty and three in Astana")
            #expect(dto.url == "/data/releases/2026-Q4")

            // The files are the live data of that moment, byte for byte, and their checksums hold.
            let base = "/data/releases/2026-Q4/"
            let csv = try await app.send(.GET, base + "dauys-2026-Q4-incidents.csv")
            #expect(csv.status == .ok && csv.body == liveCSV)
            #expect(sha256(csv.body) == dto.csvSha256)
            #expect(csv.headers.first(name: .contentDisposition)?.contains("dauys-2026-Q4-incidents.csv") == true)
            let geo = try await app.send(.GET, base + "dauys-2026-Q4-incidents.geojson")
            #expect(sha256(geo.body) == dto.geojsonSha256)
            let stats = try await app.send(.GET, base + "dauys-2026-Q4-statistics.json")
            let frozenStats = try JSONDecoder().decode(Statistics.self, from: Data(buffer: stats.body))
            let live = try JSONDecoder().decode(Statistics.self, from: Data(buffer: liveStats))
            #expect(frozenStats.total == live.total && frozenStats.total.count == 10, "ten published, pin or not")
            #expect(frozenStats.cities.map(\.city) == ["almaty", "astana"])
            let sums = try await app.send(.GET, base + "SHA256SUMS").body.string
            #expect(
                sums == """
                    \(dto.csvSha256)  dauys-2026-Q4-incidents.csv
                    \(dto.geojsonSha256)  dauys-2026-Q4-incidents.geojson
                    \(sha256(stats.body))  dauys-2026-Q4-statistics.json

                    """)
            for body in [csv.body.string, geo.body.string, stats.body.string] {
                #expect(!body.contains("RELEASESENTINEL") && !body.contains("aigerim") && !body.contains("999 88 77"))
            }

            // Later moderation changes the live data, never the release.
            let (account, _) = try await app.makeModerator()
            try await ModerationService.reject(
                try await app.report(receipt: codes[3]), code: .spam, reason: nil, by: account, on: app.db)
            try await app.publish(receipt: try await app.submitReport())
            #expect(try await app.send(.GET, "/api/v1/export/incidents.csv").body != liveCSV)
            #expect(try await app.send(.GET, base + "dauys-2026-Q4-incidents.csv").body == csv.body)
            #expect(try await app.send(.GET, base + "dauys-2026-Q4-statistics.json").body == stats.body)

            // The page shows the checksums and a citation with the permanent address.
            let page = try await app.send(.GET, "/data/releases/2026-Q4?lang=ru").body.string
            #expect(page.contains(dto.csvSha256) && page.contains(dto.geojsonSha256))
            #expect(page.contains("/data/releases/2026-Q4") && page.contains("CC BY 4.0"))
            #expect(page.contains("href=\"/data/releases/2026-Q4/cities/almaty\""))
            let list = try await app.send(.GET, "/data/releases?lang=kk").body.string
            #expect(list.contains("href=\"/data/releases/2026-Q4\""))

            // Freezing is audited.
            let audit = try await AuditEntry.query(on: app.db).filter(\.$action == "release_freeze").all()
            #expect(audit.count == 1 && audit[0].detail.contains(dto.csvSha256))
        }
    }

    @Test func aCitySummaryShowsThatCitysFrozenNumbers() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            _ = try await publishKnownReports(app)
            let (_, token) = try await app.makeModerator(role: .admin)
            #expect(try await freeze(app, "2026-12", token: token).status == .created)
            // More reports in Almaty afterwards do not change the frozen summary.
            for _ in 0..<5 { try await app.publish(receipt: try await app.submitReport()) }
            for language in ["kk", "ru", "en"] {
                let page = try await app.send(.GET, "/data/releases/2026-12/cities/almaty?lang=\(language)")
                #expect(page.status == .ok)
                let html = page.body.string
                // Seven reports in Almaty show rounded, as 5; the twelve of today would show as 10.
                #expect(html.contains("<strong>5</strong>"), "\(language)")
                #expect(!html.contains("release_") && !html.contains("stats_"), "an untranslated key in \(language)")
            }
            #expect(try await app.send(.GET, "/data/releases/2026-12/cities/nowhere").status == .notFound)
            #expect(try await app.send(.GET, "/data/releases/2026-12/cities/shymkent").status == .notFound)
        }
    }

    @Test func badNamesTakenNamesAndModeratorsAreRefusedAndNothingIsStored() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            _ = try await publishKnownReports(app)
            let (_, token) = try await app.makeModerator(role: .admin)
            for bad in ["", "Q4", "2026", "2026-", "2026-Q4/../x", "2026-Q4 ", "2026-<b>", "2026-a-b-c"] {
                let response = try await freeze(app, bad, token: token)
                if bad == "2026-Q4 " {
                    // Surrounding spaces are trimmed, as in every form.
                    #expect(response.status == .created)
                    continue
                }
                #expect(response.status == .badRequest, "\(bad)")
                #expect(try errorFields(response)["name"] == app.translations.text("error_release_name", .ru), "\(bad)")
            }
            let again = try await freeze(app, "2026-Q4", token: token)
            let problems = try errorFields(again)
            #expect(
                again.status == .badRequest && problems["name"] == app.translations.text("error_release_taken", .ru))
            let (_, moderatorToken) = try await app.makeModerator(role: .moderator)
            #expect(try await freeze(app, "2026-Q3", token: moderatorToken).status == .forbidden)
            #expect(try await freeze(app, "2026-Q2", token: "not-a-token").status == .unauthorized)
            #expect(try await DataRelease.query(on: app.db).count() == 1)
            #expect(try await DataReleaseChunk.query(on: app.db).count() == 2, "one chunk per small file")
            #expect(try await app.send(.GET, "/data/releases/2026-Q3").status == .notFound)
            #expect(try await app.send(.GET, "/data/releases/2026-Q4/passwd").status == .notFound)
        }
    }

    @Test func twoAdministratorsFreezingOneNameAtOnceMakeOneRelease() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            _ = try await publishKnownReports(app)
            let (first, _) = try await app.makeModerator(role: .admin)
            let (second, _) = try await app.makeModerator(role: .admin)
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for account in [first, second, first, second] {
                    group.addTask {
                        do {
                            _ = try await DataReleases.freeze(name: "2027-Q1", by: account, app: app, on: app.db)
                            return true
                        } catch let error as AppError {
                            return error.fields["name"] == "error_release_taken" ? false : true
                        } catch {
                            Issue.record("a freeze failed with \(error)")
                            return true
                        }
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1, "\(outcomes)")
            #expect(try await DataRelease.query(on: app.db).count() == 1)
        }
    }

    @Test func anAdministratorFreezesAReleaseFromThePanel() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            _ = try await publishKnownReports(app)
            let (cookie, csrf) = try await app.signIn(role: .admin)
            let page = try await app.send(.GET, "/admin/releases", headers: ["Cookie": cookie])
            #expect(page.status == .ok && page.body.string.contains("name=\"name\""))
            let bad = try await app.send(
                .POST, "/admin/releases", headers: ["Cookie": cookie], form: [("csrf", csrf), ("name", "soon")])
            #expect(bad.status == .badRequest)
            #expect(bad.body.string.contains("href=\"#name\"") && bad.body.string.contains("aria-invalid=\"true\""))
            let noToken = try await app.send(
                .POST, "/admin/releases", headers: ["Cookie": cookie], form: [("name", "2026-Q4")])
            #expect(noToken.status == .forbidden)
            let done = try await app.send(
                .POST, "/admin/releases", headers: ["Cookie": cookie], form: [("csrf", csrf), ("name", "2026-Q4")])
            #expect(done.status == .seeOther && done.headers.first(name: .location) == "/admin/releases?frozen=2026-Q4")
            #expect(try await DataRelease.query(on: app.db).count() == 1)

            let (moderator, moderatorCSRF) = try await app.signIn(role: .moderator)
            #expect(try await app.send(.GET, "/admin/releases", headers: ["Cookie": moderator]).status == .forbidden)
            let refused = try await app.send(
                .POST, "/admin/releases", headers: ["Cookie": moderator],
                form: [("csrf", moderatorCSRF), ("name", "2026-Q3")])
            #expect(refused.status == .forbidden)
            #expect(try await DataRelease.query(on: app.db).count() == 1)
        }
    }
}
