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

    /// Twelve published reports in Almaty (two at home, without a pin), ten in Astana, one
    /// pending: enough for each city to pass the disclosure threshold of 10.
    func publishKnownReports(_ app: Application) async throws -> [String] {
        var codes: [String] = []
        for index in 0..<12 {
            let code = try await app.submitReport([
                "description": Self.secret + " — пример номер \(index), на улице вечером.",
                "placeType": index < 2 ? "residential" : "street", "contact": "aigerim@example.kz",
            ])
            try await app.publish(receipt: code)
            codes.append(code)
        }
        for _ in 0..<10 {
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
            #expect(dto.incidents == 20, "ten pinned in Almaty and ten in Astana")
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
            #expect(frozenStats.total == live.total && frozenStats.total.count != nil, "22 published, pin or not")
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

            // Later moderation changes the live data at once; the release only when the hourly
            // job runs (``reportsThatLeaveThePublishedDataLeaveEveryReleaseFile``).
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
            let live = try await app.send(.GET, "/api/v1/stats?city=almaty").content.decode(Statistics.self)
            let twelve = try #require(live.total.count)
            #expect(try await freeze(app, "2026-12", token: token).status == .created)
            // More reports in Almaty afterwards do not change the frozen summary.
            for _ in 0..<10 { try await app.publish(receipt: try await app.submitReport()) }
            for language in ["kk", "ru", "en"] {
                let page = try await app.send(.GET, "/data/releases/2026-12/cities/almaty?lang=\(language)")
                #expect(page.status == .ok)
                let html = page.body.string
                // Twelve reports in Almaty show rounded, as 10 or 15; the 22 of today as 20 or 25.
                #expect([10, 15].contains(twelve) && html.contains("<strong>\(twelve)</strong>"), "\(language)")
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
                            Issue.record("a freeze failed with \(String(reflecting: error))")
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

    // MARK: Reports that leave (issue #21)

    /// Words that appear in one public text each and nowhere else.
    static let places = [
        "автобус", "трамвай", "киоск", "фонтан", "сквер", "мост", "вокзал", "базар", "каток", "стадион", "театр",
        "музей", "причал", "бульвар", "тоннель", "пирс", "ярмарка", "аллея", "фуникулёр",
    ]

    static func publicText(_ index: Int) -> String {
        "Незнакомец преследовал человека, место: \(places[index])."
    }

    /// Publishes a report in Almaty (or Astana) with its own public text; pinless ones are at home.
    func publish(
        _ app: Application, _ index: Int, pinless: Bool = false, astana: Bool = false
    ) async throws -> (code: String, id: UUID) {
        var answers: [String: Any?] = ["placeType": pinless ? "residential" : "street"]
        if astana { (answers["city"], answers["latitude"], answers["longitude"]) = ("astana", 51.16, 71.47) }
        let code = try await app.submitReport(answers)
        try await app.publish(receipt: code, text: Self.publicText(index))
        return (code, try await app.report(receipt: code).requireID())
    }

    /// Everything anyone can download from a release, as text: the three files, the checksums,
    /// the page in three languages and the city page.
    func everything(_ app: Application, _ name: String) async throws -> [String: String] {
        var files: [String: String] = [:]
        for file in [
            "dauys-\(name)-incidents.csv", "dauys-\(name)-incidents.geojson", "dauys-\(name)-statistics.json",
            "SHA256SUMS",
            "cities/almaty",
        ] {
            let response = try await app.send(.GET, "/data/releases/\(name)/\(file)")
            #expect(response.status == .ok, "\(file)")
            files[file] = response.body.string
        }
        for language in ["kk", "ru", "en"] {
            files[language] = try await app.send(.GET, "/data/releases/\(name)?lang=\(language)").body.string
        }
        return files
    }

    /// The same statistics, whatever the keys' order. The age breakdown is set aside: the
    /// disclosure rules show it only for the live country or a city, and a release is narrower.
    func sameStatistics(_ release: String, _ live: String) throws -> Bool {
        func parsed(_ json: String) throws -> NSDictionary? {
            guard var object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
                var breakdowns = object["breakdowns"] as? [String: Any]
            else { return nil }
            breakdowns["ageBand"] = nil
            object["breakdowns"] = breakdowns
            return NSDictionary(dictionary: object)
        }
        let (frozen, expected) = (try parsed(release), try parsed(live))
        return frozen != nil && frozen == expected
    }

    @Test func reportsThatLeaveThePublishedDataLeaveEveryReleaseFile() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            // Fourteen published reports in Almaty, two of them at home (no pin).
            var reports: [(code: String, id: UUID)] = []
            for index in 0..<14 { reports.append(try await publish(app, index, pinless: index >= 12)) }
            let (account, token) = try await app.makeModerator(role: .admin)
            #expect(try await freeze(app, "2026-Q4", token: token).status == .created)
            let frozen = try await everything(app, "2026-Q4")
            for index in 0..<12 { #expect(frozen["dauys-2026-Q4-incidents.csv"]!.contains(Self.places[index])) }

            // One withdrawn by its reporter, one taken down, one merged into another report.
            let (withdrawn, takenDown, merged) = (reports[1], reports[4], reports[7])
            let withdrawal = try await app.send(.DELETE, "/api/v1/receipt", json: ["code": withdrawn.code])
            #expect(withdrawal.status == .noContent)
            let headers: HTTPHeaders = ["Authorization": "Bearer \(token)"]
            let rejected = try await app.send(
                .POST, "/api/v1/admin/reports/\(takenDown.id)/reject", headers: headers, json: ["reasonCode": "other"])
            #expect(rejected.status == .ok, "\(rejected.body.string)")
            let merging = try await app.send(
                .POST, "/api/v1/admin/reports/\(merged.id)/merge", headers: headers,
                json: ["into": reports[0].id.uuidString])
            #expect(merging.status == .ok, "\(merging.body.string)")
            let gone = [withdrawn, takenDown, merged]

            // What the eleven still published count, as the public page counts them now.
            let expectedNational = try await app.send(.GET, "/api/v1/stats").body.string
            let expectedCity = try await app.send(.GET, "/api/v1/stats?city=almaty").body.string
            // Reports published after the freeze (in Astana, so that counting them would show), and
            // one of them taken down, never enter it.
            var later: [(code: String, id: UUID)] = []
            for index in 14..<19 { later.append(try await publish(app, index, astana: true)) }
            try await ModerationService.reject(
                try await app.report(receipt: later[0].code), code: .spam, reason: nil, by: account, on: app.db)

            // Until the hourly job runs, the release is as it was; then it is rebuilt once.
            #expect(try await everything(app, "2026-Q4") == frozen)
            _ = try await Retention.run(on: app.db)
            #expect(try await DataReleases.rebuildWhereReportsLeft(on: app.db) == 0, "nothing more to do")

            let files = try await everything(app, "2026-Q4")
            for (file, bytes) in files {
                for report in gone + later {
                    #expect(!bytes.lowercased().contains(report.id.uuidString.lowercased()), "\(file)")
                }
                for index in [1, 4, 7] + Array(14..<19) {
                    #expect(!bytes.contains(Self.places[index]), "\(file) holds \(Self.places[index])")
                }
            }
            // The reports it still holds keep their frozen records, byte for byte.
            let csv = files["dauys-2026-Q4-incidents.csv"]!
            let expectedCSV = frozen["dauys-2026-Q4-incidents.csv"]!.components(separatedBy: "\r\n")
                .filter { line in !gone.contains { line.hasPrefix($0.id.uuidString.lowercased()) } }
                .joined(separator: "\r\n")
            #expect(csv == expectedCSV)
            for index in [0, 2, 3, 5, 6, 8, 9, 10, 11] { #expect(csv.contains(Self.places[index])) }
            let geo = try JSONSerialization.jsonObject(with: Data(files["dauys-2026-Q4-incidents.geojson"]!.utf8))
            #expect(((geo as? [String: Any])?["features"] as? [Any])?.count == 9)

            // The statistics are those of the eleven, counted as the public page counts.
            #expect(try sameStatistics(files["dauys-2026-Q4-statistics.json"]!, expectedNational))
            let release = try #require(try await DataReleases.find("2026-Q4", on: app.db))
            let city = try #require(
                try await DataReleaseCity.query(on: app.db).filter(\.$release.$id == release.requireID()).first())
            #expect(try sameStatistics(city.statistics, expectedCity))
            #expect(release.incidentCount == 9 && release.removedCount == 3)
            #expect(release.rebuiltOn == KazakhstanTime.dayString(Date()))

            // The checksums are those of the new files, everywhere they are shown.
            let sums = files["SHA256SUMS"]!
            for file in [
                "dauys-2026-Q4-incidents.csv", "dauys-2026-Q4-incidents.geojson", "dauys-2026-Q4-statistics.json",
            ] {
                let sha = DataReleases.sha256(Data(files[file]!.utf8))
                #expect(sums.contains("\(sha)  \(file)\n"), "\(file)")
                #expect(files["en"]!.contains(sha), "\(file)")
            }
            #expect(files["en"]!.contains(DataReleases.sha256(Data(csv.utf8))))

            // The page, its methodology and the city page say how many left, and when.
            for language in ["kk", "ru", "en"] {
                let line = app.translations.text("release_removed", Language(rawValue: language)!)
                    .replacingOccurrences(of: "{count}", with: "3")
                let page = try await app.send(.GET, "/data/releases/2026-Q4?lang=\(language)").body.string
                #expect(page.components(separatedBy: line).count == 3, "twice on the page in \(language)")
                let cityPage = try await app.send(.GET, "/data/releases/2026-Q4/cities/almaty?lang=\(language)")
                #expect(cityPage.body.string.contains(line), "\(language)")
                #expect(page.contains(KazakhstanTime.dayString(Date())))
            }
            #expect(!frozen["en"]!.contains("removed since"))

            // Nothing of them is left in the release's rows: its members, files and statistics.
            let members = try await app.db.sql().select().column("report_id").from(DataReleases.membersTable).all()
                .map { try $0.decode(column: "report_id", as: UUID.self) }
            #expect(members.count == 11 && gone.allSatisfy { !members.contains($0.id) })
            let chunks = try await DataReleaseChunk.query(on: app.db).all()
            #expect(chunks.count == 2, "the frozen chunks are gone, only the rebuilt ones remain")
            for chunk in chunks {
                let bytes = String(decoding: chunk.bytes, as: UTF8.self)
                for index in [1, 4, 7] { #expect(!bytes.contains(Self.places[index])) }
            }
        }
    }

    @Test func releaseFilesAreCachedBrieflyAndRevalidatedByTheirChecksum() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            var reports: [(code: String, id: UUID)] = []
            for index in 0..<3 { reports.append(try await publish(app, index)) }
            let (_, token) = try await app.makeModerator(role: .admin)
            #expect(try await freeze(app, "2026-12", token: token).status == .created)
            let base = "/data/releases/2026-12/"
            for file in [
                "dauys-2026-12-incidents.csv", "dauys-2026-12-incidents.geojson", "dauys-2026-12-statistics.json",
                "SHA256SUMS",
            ] {
                let first = try await app.send(.GET, base + file)
                #expect(first.headers.first(name: .cacheControl) == "public, max-age=300, must-revalidate")
                let etag = try #require(first.headers.first(name: .eTag))
                #expect(etag == "\"" + sha256(first.body) + "\"", "the ETag is the file's SHA-256")
                let again = try await app.send(.GET, base + file, headers: ["If-None-Match": etag])
                #expect(again.status == .notModified && again.body.readableBytes == 0, "\(file)")
                #expect(again.headers.first(name: .eTag) == etag)
                let weak = try await app.send(.GET, base + file, headers: ["If-None-Match": "\"x\", W/" + etag])
                #expect(weak.status == .notModified)
                let other = try await app.send(.GET, base + file, headers: ["If-None-Match": "\"0000\""])
                #expect(other.status == .ok && other.body == first.body)
            }
            // After a rebuild the old ETag no longer matches: caches fetch the new file.
            let csv = try await app.send(.GET, base + "dauys-2026-12-incidents.csv")
            let etag = try #require(csv.headers.first(name: .eTag))
            #expect(
                try await app.send(.DELETE, "/api/v1/receipt", json: ["code": reports[2].code]).status == .noContent)
            #expect(try await DataReleases.rebuildWhereReportsLeft(on: app.db) == 1)
            let fresh = try await app.send(.GET, base + "dauys-2026-12-incidents.csv", headers: ["If-None-Match": etag])
            #expect(fresh.status == .ok && !fresh.body.string.contains(reports[2].id.uuidString.lowercased()))
            #expect(fresh.headers.first(name: .eTag) != etag)
        }
    }

    @Test func twoInstancesRebuildingAtOnceCountEachReportOnceAndKeepOneSetOfFiles() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            var reports: [(code: String, id: UUID)] = []
            for index in 0..<4 { reports.append(try await publish(app, index)) }
            let (_, token) = try await app.makeModerator(role: .admin)
            #expect(try await freeze(app, "2026-11", token: token).status == .created)
            #expect(
                try await app.send(.DELETE, "/api/v1/receipt", json: ["code": reports[3].code]).status == .noContent)
            // Both read the release and the leaving report before either rebuilds.
            let release = try #require(try await DataReleases.find("2026-11", on: app.db))
            let leaving = try await DataReleases.leavingMembers(of: release.requireID(), on: app.db)
            #expect(leaving == [reports[3].id])
            #expect(try await DataReleases.rebuild(release, leaving: leaving, on: app.db))
            #expect(!(try await DataReleases.rebuild(release, leaving: leaving, on: app.db)), "the second loses")
            let rebuilt = try #require(try await DataReleases.find("2026-11", on: app.db))
            #expect(rebuilt.removedCount == 1 && rebuilt.incidentCount == 3 && !rebuilt.rebuildDue)
            #expect(try await DataReleaseChunk.query(on: app.db).count() == 2, "one set of files")
            let csv = try await app.send(.GET, "/data/releases/2026-11/dauys-2026-11-incidents.csv")
            #expect(sha256(csv.body) == rebuilt.csvSHA256 && !csv.body.string.contains(Self.places[3]))
        }
    }

    /// Issue #21: when public points are moved together per site, a release frozen before is
    /// written again with the points its reports have now; the old ones are nowhere in it.
    @Test func aReleaseTakesItsReportsNewPublicPointsAndDropsThoseThatLeft() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            var reports: [(code: String, id: UUID)] = []
            for index in 0..<4 { reports.append(try await publish(app, index)) }
            let (_, token) = try await app.makeModerator(role: .admin)
            #expect(try await freeze(app, "2026-10", token: token).status == .created)
            let csvName = "/data/releases/2026-10/dauys-2026-10-incidents.csv"
            let geoName = "/data/releases/2026-10/dauys-2026-10-incidents.geojson"
            let before = try await app.send(.GET, csvName).body.string
            // The points as the re-derivation leaves them (here: moved by a known step), and
            // one report withdrawn meanwhile.
            let old = try await Report.query(on: app.db).filter(\.$publicLatitude != nil).all()
            for report in old {
                report.publicLatitude = (report.publicLatitude ?? 0) + 0.0123
                try await report.save(on: app.db)
            }
            #expect(
                try await app.send(.DELETE, "/api/v1/receipt", json: ["code": reports[3].code]).status == .noContent)
            try await RefreshReleasePoints().prepare(on: app.db)

            let release = try #require(try await DataReleases.find("2026-10", on: app.db))
            #expect(release.removedCount == 1 && release.incidentCount == 3 && !release.rebuildDue)
            let csv = try await app.send(.GET, csvName)
            let geo = try await app.send(.GET, geoName)
            #expect(sha256(csv.body) == release.csvSHA256 && sha256(geo.body) == release.geoJSONSHA256)
            #expect(csv.body.string != before)
            // The GeoJSON's latitudes are those the reports have now; the CSV writes them to six places.
            struct Collection: Decodable {
                struct Feature: Decodable {
                    struct Geometry: Decodable { var coordinates: [Double] }
                    var geometry: Geometry
                }
                var features: [Feature]
            }
            let latitudes = try JSONDecoder().decode(Collection.self, from: Data(buffer: geo.body)).features.map {
                $0.geometry.coordinates[1]
            }
            let now = try await Report.query(on: app.db).filter(\.$status == "published")
                .filter(\.$publicLatitude != nil).all().compactMap(\.publicLatitude)
            #expect(Set(latitudes) == Set(now) && latitudes.count == 3)
            for latitude in now {
                #expect(csv.body.string.contains(String(format: "%.6f", latitude)), "the new point")
                #expect(!csv.body.string.contains(String(format: "%.6f", latitude - 0.0123)), "no old point")
                #expect(!latitudes.contains(latitude - 0.0123))
            }
            #expect(!csv.body.string.contains(Self.places[3]) && !geo.body.string.contains(Self.places[3]))
        }
    }

    @Test func aReleaseFrozenBeforeMembershipWasKeptAdoptsItsReportsAndDropsThoseThatLeft() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            var reports: [(code: String, id: UUID)] = []
            for index in 0..<6 { reports.append(try await publish(app, index, pinless: index >= 4)) }
            let (_, token) = try await app.makeModerator(role: .admin)
            #expect(try await freeze(app, "2026-Q3", token: token).status == .created)
            // As a release frozen before issue #21: no members; one of its reports withdrawn since.
            try await app.db.sql().delete(from: DataReleases.membersTable).run()
            #expect(
                try await app.send(.DELETE, "/api/v1/receipt", json: ["code": reports[0].code]).status == .noContent)
            _ = try await publish(app, 6, pinless: true)
            let release = try #require(try await DataReleases.find("2026-Q3", on: app.db))
            // The new pinless report was published after the freeze's audit entry.
            let audit = try #require(
                try await AuditEntry.query(on: app.db).filter(\.$action == "release_freeze").first())
            audit.createdAt = Date().addingTimeInterval(-7200)
            try await audit.save(on: app.db)
            try await Report.query(on: app.db).filter(\.$id ~~ reports.map(\.id)).set(
                \.$publishedAt, to: Date().addingTimeInterval(-10800)
            ).update()

            try await DataReleases.adoptFrozenBeforeMembership(release, on: app.db)
            let members = Set(
                try await app.db.sql().select().column("report_id").from(DataReleases.membersTable).all()
                    .map { try $0.decode(column: "report_id", as: UUID.self) })
            #expect(members == Set(reports.dropFirst().map(\.id)), "three pinned from its CSV, two pinless by date")
            _ = try await Retention.run(on: app.db)
            let rebuilt = try #require(try await DataReleases.find("2026-Q3", on: app.db))
            #expect(rebuilt.removedCount == 1 && rebuilt.incidentCount == 3 && !rebuilt.rebuildDue)
            let csv = try await app.send(.GET, "/data/releases/2026-Q3/dauys-2026-Q3-incidents.csv").body.string
            #expect(!csv.contains(Self.places[0]) && csv.contains(Self.places[1]))
        }
    }

    @Test func theScannerFindsEveryRecordWhereverTheChunksBreak() throws {
        let csv = Data(
            ("\u{FEFF}id,description\r\n"
                + "00000000-0000-0000-0000-000000000001,\"he said \"\"stop, now\"\"\r\nand left\"\r\n"
                + "00000000-0000-0000-0000-000000000002,plain\r\n").utf8)
        let geo = Data(
            (#"{"type":"FeatureCollection","features":["#
                + #"{"geometry":{"coordinates":[76.9,43.2],"type":"Point"},"id":"00000000-0000-0000-0000-000000000001","properties":{"description":"a \"}]{[\\"},"type":"Feature"},"#
                + #"{"geometry":{"coordinates":[76.9,43.2],"type":"Point"},"id":"00000000-0000-0000-0000-000000000002","properties":{},"type":"Feature"}"#
                + "]}").utf8)
        for (format, data) in [(OpenDataFormat.csv, csv), (.geoJSON, geo)] {
            var whole = ReleaseFileScanner(format)
            let expected = whole.feed(data) + whole.finish()
            let ids = expected.compactMap { piece -> UUID? in
                if case .record(let id, _) = piece { return id } else { return nil }
            }
            #expect(ids.map { $0.uuidString.suffix(1) } == ["1", "2"], "\(format)")
            for cut in 1..<data.count {
                var scanner = ReleaseFileScanner(format)
                let pieces = scanner.feed(data.prefix(cut)) + scanner.feed(data.dropFirst(cut)) + scanner.finish()
                // Text pieces may come split; records never are.
                func records(_ pieces: [ReleaseFileScanner.Piece]) -> [ReleaseFileScanner.Piece] {
                    pieces.filter { if case .record = $0 { true } else { false } }
                }
                #expect(records(pieces) == records(expected), "\(format) cut at \(cut)")
            }
        }
    }
}
