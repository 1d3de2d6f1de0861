import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

/// Issue #22, point 5: the public pages are kept under what changes them — the language and
/// the filters as the parser reads them, in a fixed order — so a parameter nobody reads, a
/// reordered query or a flood of bad values neither draws a page again nor pushes a real one
/// out; `/stats` and the empty report form are kept like the home page.
@Suite struct PageCacheTests {
    func page(_ app: Application, _ url: String) async throws -> String {
        let response = try await app.send(.GET, url)
        #expect(response.status == .ok, "\(url)")
        return response.body.string
    }

    @Test func aParameterThePageDoesNotReadIsTheSamePage() async throws {
        try await withApp { app in
            let plain = try await page(app, "/?lang=en&city=almaty")
            #expect(app.pageRenders.count(.home) == 1)
            for url in [
                "/?utm_source=x&city=almaty&lang=en", "/?lang=en&city=almaty&fbclid=abc&utm_medium=social",
                "/?lang=en&city=%20almaty%20", "/?lang=en&city=almaty&from=&utm_source=y",
            ] {
                #expect(try await page(app, url) == plain, "\(url)")
            }
            #expect(app.pageRenders.count(.home) == 1, "one page, drawn once")
            // The language is part of what the page is.
            let kazakh = try await page(app, "/?lang=kk&city=almaty&utm_source=x")
            #expect(kazakh.contains("<html lang=\"kk\">") && app.pageRenders.count(.home) == 2)
            // The kept page still comes with the visitor's own headers.
            let again = try await app.send(.GET, "/?lang=kk&city=almaty")
            #expect(again.headers.setCookie?["lang"]?.string == "kk")
            #expect(app.pageRenders.count(.home) == 2)
        }
    }

    @Test func theSameFiltersInAnotherOrderOrSpellingAreTheSamePage() async throws {
        try await withApp { app in
            let first = try await page(app, "/?lang=en&city=almaty&kind=verbal,catcalling&prevented=no&from=2025-03")
            for url in [
                "/?prevented=no&from=2025-03&kind=verbal,catcalling&city=almaty&lang=en",
                "/?lang=en&kind=catcalling,verbal&city=almaty&prevented=NO&from=2025-03-15",
                "/?from=2025-03-01&prevented=false&kind=%20catcalling%20,verbal&city=almaty&lang=en",
            ] {
                #expect(try await page(app, url) == first, "\(url)")
            }
            #expect(app.pageRenders.count(.home) == 1)
            // The same holds on the statistics page.
            let stats = try await page(app, "/stats?lang=en&placeType=street&city=almaty")
            #expect(try await page(app, "/stats?city=almaty&placeType=street&lang=en&ref=newsletter") == stats)
            #expect(app.pageRenders.count(.statistics) == 1)
        }
    }

    @Test func aFloodOfUnknownOrBadValuesKeepsTheRealPages() async throws {
        try await withApp { app in
            let all = try await page(app, "/?lang=en")
            let almaty = try await page(app, "/?lang=en&city=almaty")
            #expect(app.pageRenders.count(.home) == 2)
            // More distinct queries than the cache holds pages: none is a new page.
            for index in 0..<80 {
                #expect(try await page(app, "/?lang=en&city=almaty&utm_id=\(index)") == almaty)
            }
            #expect(app.pageRenders.count(.home) == 2)
            // A bad value still gets its error, drawn for it alone and never kept.
            let errorText = app.translations.text("filter_city", .en)
            for index in 0..<80 {
                let bad = try await page(app, "/?lang=en&city=nowhere\(index)")
                #expect(bad.contains("error-summary") && bad.contains(errorText))
            }
            #expect(app.pageRenders.count(.home) == 82)
            #expect(try await page(app, "/?lang=en&city=nowhere0").contains("error-summary"))
            #expect(app.pageRenders.count(.home) == 83, "an error page is drawn each time")
            // The real pages are still kept.
            #expect(try await page(app, "/?lang=en") == all)
            #expect(try await page(app, "/?lang=en&city=almaty") == almaty)
            #expect(app.pageRenders.count(.home) == 83)
        }
    }

    @Test func theStatisticsPageIsKeptUntilAPublicationChangesIt() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            let tooFew = app.translations.text("stats_too_few", .en)
            let before = try await page(app, "/stats?lang=en&city=almaty")
            #expect(before.contains(tooFew))
            #expect(try await page(app, "/stats?city=almaty&lang=en&utm_source=x") == before)
            #expect(app.pageRenders.count(.statistics) == 1)
            // Ten reports published in Almaty: a whole group, so the page shows its numbers on
            // the very next request.
            let (moderator, _) = try await app.makeModerator()
            for _ in 0..<10 {
                let code = try await app.submitReport()
                try await ModerationService.publish(
                    try await app.report(receipt: code), publicDescription: "Пересказ модератора без подробностей.",
                    precision: .grid250, by: moderator, app: app, on: app.db)
            }
            let after = try await page(app, "/stats?lang=en&city=almaty&utm_source=x")
            #expect(!after.contains(tooFew) && after.contains("<canvas"))
            #expect(after.contains("<strong>10</strong>"), "the total of ten")
            #expect(app.pageRenders.count(.statistics) == 2)
            #expect(try await page(app, "/stats?lang=en&city=almaty") == after)
            #expect(app.pageRenders.count(.statistics) == 2)
            // A filter that does not parse is named, drawn each time.
            for _ in 0..<2 {
                #expect(try await page(app, "/stats?lang=en&from=yesterday").contains("error-summary"))
            }
            #expect(app.pageRenders.count(.statistics) == 4)
        }
    }

    @Test func theEmptyReportFormIsKeptWhileWhatIsTypedStaysPerRequest() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            let english = try await page(app, "/report?lang=en")
            #expect(english.contains("value=\"\(KazakhstanTime.today())\""), "today is the date it suggests")
            #expect(try await page(app, "/report?lang=en&utm_source=x") == english)
            #expect(app.pageRenders.count(.reportForm) == 1)
            let kazakh = try await page(app, "/report?lang=kk")
            #expect(kazakh.contains("<html lang=\"kk\">") && app.pageRenders.count(.reportForm) == 2)
            // A form sent back with errors shows what this visitor typed, and only that.
            var echoed: [String] = []
            for landmark in ["Первый ориентир у рынка", "Второй ориентир у парка"] {
                let response = try await app.send(
                    .POST, "/report?lang=en",
                    form: WebPagesTests.noScriptForm(["description": "коротко", "landmark": landmark]))
                #expect(response.status == .badRequest)
                echoed.append(response.body.string)
                #expect(response.body.string.contains(landmark))
            }
            #expect(!echoed[1].contains("Первый ориентир"))
            // The empty form is as it was, with nobody's answers in it.
            let later = try await page(app, "/report?lang=en")
            #expect(later == english && !later.contains("ориентир у"))
            #expect(app.pageRenders.count(.reportForm) == 2)
        }
    }

    @Test func theKeptReportFormIsForOneDayInKazakhstan() throws {
        let cities = CityCatalog.all.enumerated().map { City($0.element, order: $0.offset) }
        // Midnight in Kazakhstan (UTC+5) is 19:00 UTC.
        let evening = Date(timeIntervalSince1970: 1_767_293_999)  // 2026-01-01 18:59:59 UTC
        let midnight = evening.addingTimeInterval(1)
        let nextEvening = midnight.addingTimeInterval(86_399)
        #expect(
            KazakhstanTime.today(now: evening) == "2026-01-01" && KazakhstanTime.today(now: midnight) == "2026-01-02")
        let generation = { ReportWebController.formGeneration(cities, now: $0) }
        #expect(generation(evening) != generation(midnight))
        #expect(generation(midnight) == generation(nextEvening))
        #expect(generation(midnight) != ReportWebController.formGeneration(Array(cities.dropLast()), now: midnight))
    }
}
