import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

@Suite struct WebPagesTests {
    static let publicPages = ["/", "/report", "/check"]

    @Test(arguments: Language.allCases)
    func everyPublicPageSpeaksTheLanguageAndHasAQuickExit(language: Language) async throws {
        try await withApp { app in
            for page in Self.publicPages {
                let response = try await app.send(.GET, page + "?lang=" + language.rawValue)
                #expect(response.status == .ok, "\(page)")
                let html = response.body.string
                #expect(html.contains("<html lang=\"\(language.rawValue)\">"))
                #expect(html.contains("id=\"quick-exit\""))
                #expect(html.contains(app.translations.text("quick_exit", language)))
                #expect(response.headers.first(name: "Content-Security-Policy")?.contains("default-src 'self'") == true)
                #expect(response.headers.first(name: .cacheControl) == "no-store")
                // Every link to another language is on the page.
                for other in Language.allCases { #expect(html.contains("?lang=\(other.rawValue)")) }
            }
        }
    }

    @Test func theChosenLanguageIsRemembered() async throws {
        try await withApp { app in
            let chosen = try await app.send(.GET, "/?lang=kk")
            let cookie = try #require(chosen.headers.setCookie?["lang"])
            #expect(cookie.string == "kk" && cookie.isHTTPOnly)
            let next = try await app.send(.GET, "/report", headers: ["Cookie": "lang=kk", "Accept-Language": "en"])
            #expect(next.body.string.contains("<html lang=\"kk\">"))
            let fromBrowser = try await app.send(
                .GET, "/check", headers: ["Accept-Language": "en-GB,en;q=0.9,ru;q=0.5"])
            #expect(fromBrowser.body.string.contains("<html lang=\"en\">"))
        }
    }

    /// The report form as a browser without JavaScript sends it: city + landmark, no point.
    static func noScriptForm(
        _ changes: [String: String] = [:], kinds: [String] = ["verbal", "physical"]
    ) -> [(String, String)] {
        var fields = [
            "role": "witness", "date": "2025-06-01", "timeBand": "afternoon", "latitude": "", "longitude": "",
            "city": "shymkent", "landmark": "остановка «Самал»", "placeType": "public_transport",
            "perpetrator": "stranger",
            "perpetratorCount": "group", "prevented": "yes", "preventedBy": "bystander",
            "description": "Двое парней приставали к девушке в автобусе, пассажир заступился.", "ageBand": "",
            "gender": "", "contact": "", "publishConsent": "yes",
        ]
        for (key, value) in changes { fields[key] = value }
        return fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } + kinds.map { ("kinds[]", $0) }
    }

    @Test func aFreshFormShowsNoErrors() async throws {
        try await withApp { app in
            let html = try await app.send(.GET, "/report?lang=ru").body.string
            #expect(!html.contains("error-summary"))
            #expect(!html.contains("field-error"))
            #expect(!html.contains("aria-invalid"))
        }
    }

    @Test func theFormWorksWithoutJavaScriptAndEndsWithTheReceipt() async throws {
        try await withApp { app in
            let response = try await app.send(.POST, "/report?lang=ru", form: Self.noScriptForm())
            #expect(response.status == .created)
            let html = response.body.string
            let code = try #require(html.firstMatch(of: /id="receipt-code">([A-Z0-9-]{19})</)?.1)
            let report = try await app.report(receipt: String(code))
            #expect(report.city == "shymkent")
            #expect(report.latitude == 42.310 && report.longitude == 69.600)
            #expect(report.kinds == [.verbal, .physical])
            #expect(report.preventedBy == "bystander")
            #expect(report.language == "ru")
            #expect(response.headers.first(name: .cacheControl) == "no-store")
        }
    }

    @Test func formErrorsStandNextToTheFieldInThePagesLanguageAndKeepTheAnswers() async throws {
        try await withApp { app in
            let response = try await app.send(
                .POST, "/report?lang=kk",
                form: Self.noScriptForm(["date": "2099-01-01", "description": "қысқа"], kinds: []))
            #expect(response.status == .badRequest)
            let html = response.body.string
            #expect(html.contains("id=\"date-error\">\(app.translations.text("error_date_future", .kk))"))
            #expect(html.contains("id=\"description-error\">\(app.translations.text("error_description_length", .kk))"))
            #expect(html.contains("id=\"kinds-error\">\(app.translations.text("error_kinds_required", .kk))"))
            #expect(html.contains("value=\"остановка «Самал»\""))
            #expect(html.contains("<option value=\"shymkent\" selected>"))
            #expect(html.contains("class=\"error-summary\""))
            #expect(try await Report.query(on: app.db).count() == 0)
        }
    }

    @Test func textIsEscapedInPages() async throws {
        try await withApp { app in
            let payload = "<script>alert('x')</script><img src=x onerror=alert(1)>"
            let response = try await app.send(
                .POST, "/report", form: Self.noScriptForm(["description": "коротко", "landmark": payload]))
            let html = response.body.string
            #expect(!html.contains("<script>alert"))
            #expect(!html.contains("<img src=x"))
            #expect(html.contains("&lt;script&gt;"))
        }
    }

    /// Issue #14: the home page is kept rendered, per language and filters, until the published
    /// set changes: a publication shows on the next view, a take-down is gone from it.
    @Test func theKeptHomePageFollowsEveryPublicationAndTakeDown() async throws {
        try await withApp { app in
            let text = "Незнакомец преследовал человека от остановки до дома."
            #expect(try await app.send(.GET, "/?lang=ru").body.string.contains(text) == false)
            let code = try await app.submitReport()
            #expect(try await app.send(.GET, "/?lang=ru").body.string.contains(text) == false, "pending")
            try await app.publish(receipt: code, text: text)
            let shown = try await app.send(.GET, "/?lang=ru")
            #expect(shown.status == .ok && shown.headers.contentType == .html)
            #expect(shown.body.string.contains(text))
            #expect(shown.body.string.contains("lang=\"ru\""))
            // Another language is rendered in it, not served the Russian page.
            let kazakh = try await app.send(.GET, "/?lang=kk").body.string
            #expect(kazakh.contains("lang=\"kk\"") && kazakh.contains(text))
            let (moderator, _) = try await app.makeModerator(role: .moderator)
            try await ModerationService.reject(
                try await app.report(receipt: code), code: .identifying_details, reason: nil, by: moderator,
                on: app.db)
            #expect(try await app.send(.GET, "/?lang=ru").body.string.contains(text) == false, "taken down")
        }
    }

    /// Issue #15: with the bot's user name set, the home page, the receipt and the help pages
    /// offer "Report in Telegram" with a t.me link and a QR code drawn by this server; without
    /// it, nothing points at a bot.
    @Test func theSiteOffersTheTelegramBotOnlyWhenItIsNamed() async throws {
        let pages = ["/", "/help", "/guides", "/guides/workplace", "/faq"]
        try await withApp({ $0.telegramBotUsername = "DauysTestBot" }) { app in
            for path in pages {
                let html = try await app.send(.GET, path + "?lang=kk").body.string
                #expect(html.contains("href=\"https://t.me/DauysTestBot\""), "\(path)")
                #expect(html.contains("src=\"/telegram.svg\""), "\(path)")
                #expect(html.contains(app.translations.text("telegram_offer_button", .kk)), "\(path)")
            }
            let receipt = try await app.send(.POST, "/report?lang=ru", form: Self.noScriptForm())
            #expect(receipt.status == .created)
            #expect(receipt.body.string.contains("href=\"https://t.me/DauysTestBot\""))
            let qr = try await app.send(.GET, "/telegram.svg?lang=ru")
            #expect(qr.status == .ok && qr.headers.contentType == HTTPMediaType(type: "image", subType: "svg+xml"))
            #expect(
                qr.body.string
                    == QRCode.svg("https://t.me/DauysTestBot", label: app.translations.text("telegram_qr_alt", .ru)))
        }
        try await withApp { app in
            for path in pages {
                let html = try await app.send(.GET, path).body.string
                #expect(!html.contains("t.me/") && !html.contains("telegram.svg"), "\(path)")
            }
            #expect(try await app.send(.GET, "/telegram.svg").status == .notFound)
        }
    }

    /// Issue #15: our CSS and JS (and the vendor files) under URLs with a content hash, kept a
    /// year by browsers; without the current hash, revalidated on every use.
    @Test func assetsCarryAContentHashAndAreKeptAYear() async throws {
        try await withApp { app in
            let version = app.staticAssets.version
            #expect(version.count == 10)
            let html = try await app.send(.GET, "/report").body.string
            for path in [
                "/static/css/site.css", "/static/js/exit.js", "/static/js/report.js", "/vendor/leaflet/leaflet.min.js",
            ] {
                #expect(html.contains(path + "?v=" + version), "\(path)")
                let kept = try await app.send(.GET, path + "?v=" + version)
                #expect(kept.status == .ok)
                #expect(kept.headers.first(name: .cacheControl) == "public, max-age=31536000, immutable", "\(path)")
                let old = try await app.send(.GET, path + "?v=0123456789")
                #expect(old.headers.first(name: .cacheControl) == "no-cache", "\(path)")
            }
            // Sent as gzip bytes made once at start-up to browsers that take gzip, plain to others.
            let css = try #require(
                FileManager.default.contents(atPath: app.directory.publicDirectory + "static/css/site.css"))
            let zipped = try await app.send(
                .GET, "/static/css/site.css?v=" + version, headers: ["Accept-Encoding": "gzip, deflate, br"])
            #expect(zipped.headers.first(name: .contentEncoding) == "gzip")
            #expect(zipped.headers.first(name: .cacheControl) == "public, max-age=31536000, immutable")
            #expect(Array(zipped.body.readableBytesView) == Gzip.compress(Array(css)))
            #expect(zipped.body.readableBytes < css.count / 2)
            let plain = try await app.send(.GET, "/static/css/site.css?v=" + version)
            #expect(plain.headers.first(name: .contentEncoding) == nil && plain.body.readableBytes == css.count)
            // The hash follows the content.
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dauys-assets-\(UUID())")
            try FileManager.default.createDirectory(
                at: folder.appendingPathComponent("static/css"), withIntermediateDirectories: true)
            let file = folder.appendingPathComponent("static/css/site.css")
            try Data("a { color: red }".utf8).write(to: file)
            let first = try StaticAssets.load(publicDirectory: folder.path).version
            try Data("a { color: blue }".utf8).write(to: file)
            #expect(try StaticAssets.load(publicDirectory: folder.path).version != first)
            try? FileManager.default.removeItem(at: folder)
        }
    }

    /// Issue #15: after filtering, the result shows first: the panel is closed and its summary
    /// says how many filters are in use.
    @Test func theFilterPanelStaysClosedAndCountsTheFiltersInUse() async throws {
        try await withApp { app in
            for path in ["/", "/stats"] {
                let filtered = try await app.send(.GET, path + "?lang=en&city=almaty&prevented=yes").body.string
                #expect(filtered.contains("<details class=\"filters-box\">"), "\(path)")
                #expect(filtered.contains("<summary>Filters: 2 in use</summary>"), "\(path)")
                let plain = try await app.send(.GET, path + "?lang=en").body.string
                #expect(plain.contains("<summary>Filters</summary>"), "\(path)")
            }
        }
    }

    /// Issue #15: "leave no trace" beside the quick exit on every page, in every language.
    @Test(arguments: Language.allCases)
    func everyPageLinksHowToLeaveNoTrace(language: Language) async throws {
        try await withApp { app in
            for path in ["/", "/report", "/check", "/help", "/faq", "/stats", "/no-such-page"] {
                let html = try await app.send(.GET, path + "?lang=" + language.rawValue).body.string
                #expect(
                    html.contains("id=\"quick-exit\"") && html.contains("id=\"no-trace-link\" href=\"/no-trace\""),
                    "\(path)")
            }
            let page = try await app.send(.GET, "/no-trace?lang=" + language.rawValue)
            #expect(page.status == .ok)
            for key in NoTracePage.sections.flatMap({ [$0.heading] + $0.paragraphs }) + [
                "notrace_title", "notrace_lead",
            ] {
                let text = app.translations.text(key, language)
                #expect(
                    text != key && page.body.string.contains(text.replacingOccurrences(of: "'", with: "&#39;")),
                    "\(key)")
            }
        }
    }

    @Test func checkingAReportOnTheWebsite() async throws {
        try await withApp { app in
            let code = try await app.submitReport()
            try await app.publish(receipt: code, text: "Публичный текст без имён и адресов, проверен модератором.")
            let status = try await app.send(.POST, "/check?lang=en", form: [("code", code.lowercased())])
            #expect(status.status == .ok)
            #expect(status.body.string.contains(app.translations.text("status_published", .en)))
            #expect(status.body.string.contains("Публичный текст без имён"))
            #expect(!status.body.string.contains("😡"))

            let notFound = try await app.send(.POST, "/check", form: [("code", ReceiptCode.generate())])
            #expect(notFound.status == .notFound)
            let malformed = try await app.send(.POST, "/check?lang=kk", form: [("code", "12")])
            #expect(malformed.body.string.contains(app.translations.text("error_receipt_format", .kk)))

            let unconfirmed = try await app.send(.POST, "/check/delete", form: [("code", code)])
            #expect(unconfirmed.status == .badRequest)
            #expect(try await Report.query(on: app.db).count() == 1)
            let deleted = try await app.send(.POST, "/check/delete", form: [("code", code), ("confirm", "yes")])
            #expect(deleted.status == .ok)
            #expect(try await Report.query(on: app.db).count() == 0)
        }
    }

    @Test func theHomePageListsPublishedIncidentsForBrowsersWithoutScripts() async throws {
        try await withApp { app in
            let published = try await app.submitReport(["prevented": true, "preventedBy": "self"])
            _ = try await app.submitReport(["description": "Этот текст ждёт модерации и не должен быть виден никому."])
            try await app.publish(receipt: published, text: "Человек сам дал отпор, обидчик ушёл.")
            let html = try await app.send(.GET, "/?lang=ru").body.string
            #expect(html.contains("Человек сам дал отпор"))
            #expect(html.contains("class=\"incident prevented\""))
            #expect(!html.contains("ждёт модерации"))
            let filtered = try await app.send(.GET, "/?prevented=no").body.string
            #expect(!filtered.contains("Человек сам дал отпор"))
            let bad = try await app.send(.GET, "/?from=someday")
            #expect(bad.status == .ok)
            #expect(bad.body.string.contains("error-summary"))
        }
    }

    @Test func vendorFilesAreServedFromDebianPackagesOnly() async throws {
        try await withApp { app in
            let escape = try await app.send(.GET, "/vendor/leaflet/../../../../etc/passwd")
            #expect(escape.status == .notFound || escape.status == .forbidden)
            let unknown = try await app.send(.GET, "/vendor/jquery/jquery.js")
            #expect(unknown.status == .notFound)
            if FileManager.default.fileExists(atPath: "/usr/share/javascript/leaflet/leaflet.js") {
                let leaflet = try await app.send(.GET, "/vendor/leaflet/leaflet.js")
                #expect(leaflet.status == .ok)
            }
        }
    }

    @Test func unknownPagesGetAFriendlyPageAndAPIErrorsAreJSON() async throws {
        try await withApp { app in
            let page = try await app.send(.GET, "/no-such-page?lang=en")
            #expect(page.status == .notFound)
            #expect(page.body.string.contains(app.translations.text("error_not_found", .en)))
            #expect(page.headers.contentType == .html)
            let api = try await app.send(.GET, "/api/v1/no-such-thing")
            #expect(api.status == .notFound)
            #expect(try api.content.decode(ErrorBody.self).error.code == "not_found")
        }
    }
}

/// Issue #14: text answers are compressed for clients that accept it — but never the panel's,
/// whose form token beside chosen text would leak through compressed sizes (BREACH).
@Suite struct CompressionTests {
    @Test func publicTextIsCompressedAndThePanelIsNot() async throws {
        try await withApp { app in
            let gzip: HTTPHeaders = ["Accept-Encoding": "gzip"]
            for path in ["/?lang=ru", "/api/v1/hotlines?lang=kk", "/static/css/site.css", "/static/js/map.js", "/faq"] {
                let response = try await app.sendOverNetwork(.GET, path, headers: gzip)
                #expect(response.status == .ok, "\(path)")
                #expect(response.headers.first(name: .contentEncoding) == "gzip", "\(path)")
            }
            let session = try await app.signIn(role: .admin)
            for (path, cookie) in [
                ("/admin/login", ""), ("/admin/setup/not-a-token", ""), ("/api/v1/admin/reports", ""),
                ("/admin", session.cookie), ("/admin/audit", session.cookie), ("/admin/reports/new", session.cookie),
            ] {
                var headers = gzip
                if !cookie.isEmpty { headers.add(name: .cookie, value: cookie) }
                let response = try await app.sendOverNetwork(.GET, path, headers: headers)
                #expect(response.headers.first(name: .contentEncoding) == nil, "\(path) \(response.status)")
                if !cookie.isEmpty { #expect(response.status == .ok, "\(path)") }
            }
            // A client that does not ask gets plain bytes.
            let plain = try await app.sendOverNetwork(.GET, "/?lang=ru")
            #expect(plain.headers.first(name: .contentEncoding) == nil && plain.body.string.contains("<html"))
        }
    }
}
