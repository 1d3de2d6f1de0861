import Fluent
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// Issue #10, point 3: neither the database nor the server's log can be laid beside a proxy's
/// access log to tell who sent which report.
@Suite struct TimingTrailTests {
    func isWholeHour(_ date: Date) -> Bool {
        date.timeIntervalSince1970.truncatingRemainder(dividingBy: 3600) == 0
    }

    @Test func storedTimesHaveNoMinutesOrSeconds() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            var codes: [String] = []
            for index in 0..<30 { codes.append(try await app.submitReport(["landmark": "место \(index)"])) }
            try await app.publish(receipt: codes[0])
            let (account, _) = try await app.makeModerator()
            try await ModerationService.reject(
                try await app.report(receipt: codes[1]), code: .spam, reason: nil, by: account, on: app.db)
            try await ModerationService.archive(try await app.report(receipt: codes[2]), by: account, on: app.db)

            let reports = try await Report.query(on: app.db).all()
            #expect(reports.count == 30)
            for report in reports {
                let times = [report.createdAt, report.publishedAt, report.closedAt].compactMap { $0 }
                #expect(!times.isEmpty)
                for time in times { #expect(isWholeHour(time), "\(time)") }
            }
            // Fluent's exact update stamp is not written either.
            let sql = try #require(app.db as? any SQLDatabase)
            let stamped = try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all)).from(Report.schema)
                .where("updated_at", .isNot, SQLLiteral.null).first()
            #expect(try stamped?.decode(column: stamped?.allColumns.first ?? "", as: Int.self) == 0)
        }
    }

    @Test func reportersRequestsAreCountedNotLoggedOneByOne() async throws {
        let capture = LogCapture()
        try await withApp(
            {
                $0.logLevel = .info
                $0.rateLimits.enabled = false
            }, logs: capture
        ) { app in
            app.logger.logLevel = .info
            var codes: [String] = []
            for _ in 0..<30 { codes.append(try await app.submitReport()) }
            _ = try await app.send(.POST, "/api/v1/receipt", json: ["code": codes[0]])
            _ = try await app.send(.POST, "/check", form: [("code", codes[1])])
            _ = try await app.send(.POST, "/check/delete", form: [("code", codes[2]), ("confirm", "yes")])
            _ = try await app.send(.DELETE, "/api/v1/receipt", json: ["code": codes[3]])
            _ = try await app.send(.POST, "/telegram/webhook", json: ["update_id": 1])
            _ = try await app.send(.GET, "/api/v1/cities")

            let counts = app.requestCounts.take()
            #expect(counts["POST api/v1/reports"] == 30)
            #expect(counts["POST api/v1/receipt"] == 1 && counts["DELETE api/v1/receipt"] == 1)
            #expect(counts["POST check"] == 1 && counts["POST check/delete"] == 1)
            #expect(counts["POST telegram/webhook"] == 1)
            #expect(counts["GET api/v1/cities"] == nil)
            #expect(app.requestCounts.take().isEmpty)
            app.requestCounts.minutes.flush(to: app.logger)

            let lines = capture.text.split(separator: "\n")
            for (method, route) in [
                ("POST", "api/v1/reports"), ("POST", "api/v1/receipt"), ("DELETE", "api/v1/receipt"), ("POST", "check"),
                ("POST", "check/delete"), ("POST", "telegram/webhook"), ("POST", "report"),
            ] {
                #expect(
                    !lines.contains {
                        $0.contains(": request ") && $0.contains("method=\(method) ") && $0.contains("route=\(route) ")
                    }, "\(method) \(route) is logged")
            }
            // Ordinary pages are still logged: one by one at debug, per minute at info (#22).
            #expect(lines.contains { $0.contains(": requests ") && $0.hasSuffix("route=GET /api/v1/cities") })
        }
    }
}

/// Issue #10, point 3 continued: the order rows were written in is no trail either.
@Suite struct WritingOrderTests {
    @Test func theTableOrderSaysNothingAboutWhichReportCameFirst() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            for index in 0..<30 { try await app.submitReport(["landmark": "номер \(index)"]) }
            let sql = try #require(app.db as? any SQLDatabase)
            try await Retention.run(on: app.db)
            if testsUsePostgres {
                // One rewriting transaction for all of them: `xmin` no longer orders them.
                let rows = try await sql.raw("SELECT COUNT(DISTINCT xmin::text) AS writers FROM reports").first()
                #expect(try rows?.decode(column: "writers", as: Int.self) == 1)
            }
            let physical = try await sql.raw(
                SQLQueryString(
                    testsUsePostgres
                        ? "SELECT landmark FROM reports ORDER BY ctid" : "SELECT landmark FROM reports ORDER BY rowid")
            ).all().map { try $0.decode(column: "landmark", as: String.self) }
            let sent = (0..<30).map { "номер \($0)" }
            #expect(Set(physical) == Set(sent))
            #expect(physical != sent, "the rows lie in the order they were sent")
        }
    }
}

/// Issue #21, finding 6: no timing trail anywhere — not in the log, whatever a reporter's
/// request comes to; not in the moderators' chat; not in the bot's tables.
@Suite struct NoTimingTrailTests {
    /// Every reporter route the router has, and whether its body is JSON.
    static let reporterRoutes: [(method: HTTPMethod, path: String, json: Bool)] = [
        (.POST, "/report", false), (.POST, "/check", false), (.POST, "/check/delete", false),
        (.POST, "/check/messages", false), (.POST, "/api/v1/reports", true), (.POST, "/api/v1/receipt", true),
        (.DELETE, "/api/v1/receipt", true), (.POST, "/api/v1/receipt/messages", true),
        (.POST, "/telegram/webhook", true),
    ]
    static let webhookSecret: HTTPHeaders = [TelegramWebhookController.secretHeader: "test-webhook-secret-0123456789"]

    /// A body of the route's kind that it refuses as unreadable or invalid.
    static func badBody(_ json: Bool) -> (HTTPHeaders, ByteBuffer) {
        json
            ? (["Content-Type": "application/json"], ByteBuffer(string: #"{"nonsense": true}"#))
            : (["Content-Type": "application/x-www-form-urlencoded"], ByteBuffer(string: "nonsense=1"))
    }

    /// What the application logged while `work` ran, less the test server's own start and stop
    /// (a real server starts once, not per request).
    static func linesWritten(_ capture: LogCapture, during work: () async throws -> Void) async rethrows -> [String] {
        let before = capture.text
        try await work()
        let after = capture.text
        #expect(after.hasPrefix(before))
        let lifecycle = [
            "Server starting on", "Server started on", "HTTP server shutdown", "HTTP server shutting down",
            // `sendOverNetwork` starts a server per request; a real one starts once.
            "Cannot modify server configuration after server has been started",
        ]
        return after.dropFirst(before.count).split(separator: "\n").map(String.init)
            .filter { line in !lifecycle.contains { line.contains($0) } }
    }

    /// Each route, refused each way the running server refuses it.
    static func refuseEverywhere(_ app: Application) async throws -> Set<UInt> {
        var statuses: Set<UInt> = []
        for (method, path, json) in reporterRoutes {
            var (headers, body) = badBody(json)
            if path == "/telegram/webhook" { headers.add(contentsOf: webhookSecret) }
            func send(_ method: HTTPMethod, _ url: String, _ headers: HTTPHeaders, _ body: ByteBuffer) async throws {
                let response = try await app.testing().sendRequest(method, "/", headers: headers, body: body) {
                    $0.url = URI(string: url)
                }
                statuses.insert(response.status.code)
            }
            // Unreadable or invalid, however the path is spelt.
            for url in [path, path + "/", path + "?lang=kk", path.uppercased()] {
                try await send(method, url, headers, body)
            }
            // From another site.
            var foreign = headers
            foreign.add(name: "Sec-Fetch-Site", value: "cross-site")
            try await send(method, path, foreign, body)
            // Neither JSON nor a form.
            var plain = headers
            plain.replaceOrAdd(name: .contentType, value: "text/plain")
            try await send(method, path, plain, ByteBuffer(string: "x"))
            // A method the path does not take, and no body at all.
            try await send(.PUT, path, headers, body)
            try await send(method, path, [:], ByteBuffer())
            // Too large, over a real connection.
            let huge = ByteBuffer(string: String(repeating: "я", count: 200_000))
            statuses.insert(try await app.sendOverNetwork(method, path, headers: headers, body: huge).status.code)
        }
        return statuses
    }

    @Test func aReportersRequestWritesNoLineAtAnyLevelWhateverItsOutcome() async throws {
        let capture = LogCapture()
        try await withBot(
            logs: capture,
            {
                $0.logLevel = .debug
                $0.rateLimits.enabled = false  // 429: the next test
            }
        ) { app, api in
            var statuses: Set<UInt> = []
            let lines = try await Self.linesWritten(capture) {
                statuses = try await Self.refuseEverywhere(app)
                // Accepted ones too: a report sent, looked up, answered, withdrawn; an update.
                let sent = try await app.send(.POST, "/api/v1/reports", json: validReportJSON())
                statuses.insert(sent.status.code)
                let code = try sent.content.decode(ReportService.Receipt.self).receipt
                statuses.insert(try await app.send(.POST, "/api/v1/receipt", json: ["code": code]).status.code)
                statuses.insert(try await app.send(.POST, "/check", form: [("code", code)]).status.code)
                statuses.insert(
                    try await app.send(.POST, "/api/v1/receipt/messages", json: ["code": code, "text": "да"]).status
                        .code)
                statuses.insert(
                    try await app.send(.POST, "/api/v1/receipt", json: ["code": "ZZZZ-ZZZZ-ZZZZ"]).status.code)
                statuses.insert(try await app.send(.DELETE, "/api/v1/receipt", json: ["code": code]).status.code)
                statuses.insert(try await app.deliver(TelegramPerson().text("/start")).status.code)
                // An update whose answer cannot be sent: the failure is counted, not logged.
                api.fail("sendMessage", with: .serverError, times: 5)
                statuses.insert(try await app.deliver(TelegramPerson().text("/help")).status.code)
            }
            #expect(lines.isEmpty, "\(lines.joined(separator: "\n"))")
            for status: UInt in [200, 201, 400, 401, 403, 404, 413, 415] {
                #expect(statuses.contains(status), "no request answered \(status)")
            }
            // They are counted, refused ones under their status too.
            let counts = app.requestCounts.take()
            #expect(
                counts["POST api/v1/reports 403"] == 1 && counts["POST report 403"] == 1
                    && counts["POST api/v1/receipt 415"] == 2, "\(counts.sorted { $0.key < $1.key })")
            #expect(counts["PUT telegram/webhook 404"] == 1 && counts["DELETE api/v1/receipt 413"] == 1)
            #expect(counts.keys.contains { $0.hasPrefix("telegram send failed: ") }, "\(counts.keys.sorted())")
            #expect(counts["POST api/v1/reports"] == 9)

            // The log does write at debug level: an ordinary page is one line.
            let ordinary = try await Self.linesWritten(capture) { _ = try await app.send(.GET, "/api/v1/cities") }
            #expect(ordinary.count == 1 && ordinary[0].contains("route=api/v1/cities"), "\(ordinary)")
        }
    }

    @Test func overTheLimitOrShedUnderLoadIsNoLineEither() async throws {
        let cases: [(String, (inout AppConfig) -> Void)] = [
            (
                "429",
                { (config: inout AppConfig) in
                    config.rateLimits.report.limit = 0
                    config.rateLimits.receipt.limit = 0
                }
            ),
            ("503", { (config: inout AppConfig) in config.maxRequestsInFlight = 0 }),
        ]
        for (name, adjust) in cases {
            let capture = LogCapture()
            try await withBot(
                logs: capture,
                {
                    $0.logLevel = .debug
                    adjust(&$0)
                }
            ) { app, _ in
                var refused: [UInt] = []
                let lines = try await Self.linesWritten(capture) {
                    for (method, path, json) in Self.reporterRoutes where path != "/telegram/webhook" || name == "503" {
                        let (headers, body) = Self.badBody(json)
                        refused.append(
                            try await app.testing().sendRequest(method, path, headers: headers, body: body).status.code)
                    }
                    refused.append(
                        try await app.send(.POST, "/api/v1/reports", json: validReportJSON()).status.code)
                }
                #expect(refused.allSatisfy { String($0) == name }, "\(refused)")
                #expect(lines.isEmpty, "\(name): \(lines.joined(separator: "\n"))")
                #expect(app.requestCounts.take()["POST api/v1/reports " + name] == 2)
            }
        }
    }

    @Test func everyRouteThatTakesAReportOrAReceiptIsAReportersRoute() async throws {
        try await withApp { app in
            let registered = Set(
                app.routes.all.filter { $0.method != .GET }.map { $0.path.map { "\($0)" }.joined(separator: "/") }
                    .filter { !$0.hasPrefix("admin") && !$0.hasPrefix("api/v1/admin") && $0 != "self-check" })
            #expect(registered == Set(Self.reporterRoutes.map { String($0.path.dropFirst()) }))
            for path in registered { #expect(app.requestCounts.reporterPath("/" + path) == path) }
            #expect(app.requestCounts.reporterPath("/api/v1/cities") == nil)
        }
    }
}

/// Issue #21, finding 6: the moderators' notice is dated by the clock's hour, not by a report.
@Suite struct ModeratorsNoticeTimingTests {
    static let moderators: Int64 = -1_009_999_999_999

    static func time(_ text: String) -> Date { ManualWallClock.at(text).now }

    @Test func theNoticeGoesOnTheHourWheneverTheReportsCame() async throws {
        try await withBot(moderatorsChat: Self.moderators) { app, api in
            let clock = ManualWallClock.at("2026-03-08T12:17:23.400Z")
            app.wallClock = clock
            func notices() -> [String] { api.sent.filter { $0.chatID == Self.moderators }.compactMap(\.text) }
            let alerts = try #require(try app.bot.alerts)

            let first = try await app.submitReport(["landmark": "у аптеки"])
            await clock.untilSomethingWaits()
            #expect(clock.deadlines == [Self.time("2026-03-08T13:00:00.000Z")])
            // Later reports of the same hour, at other seconds, wait for the same notice.
            for second in ["12:48:05.900", "12:59:59.999"] {
                clock.set(Self.time("2026-03-08T\(second)Z"))
                try await app.submitReport()
                #expect(clock.deadlines == [Self.time("2026-03-08T13:00:00.000Z")])
            }
            #expect(notices().isEmpty, "a notice before the hour")

            clock.set(Self.time("2026-03-08T13:00:00.000Z"))
            await alerts.settled()
            // One notice, a number only: no code, no place, no time.
            #expect(notices() == [ModeratorAlerts.text(waiting: 3)])
            for word in [first, "аптеки", "12:", "13:"] { #expect(!notices()[0].contains(word)) }

            // A report a few seconds after the notice waits for the next hour, not a minute.
            clock.set(Self.time("2026-03-08T13:00:07.000Z"))
            try await app.submitReport()
            await clock.untilSomethingWaits()
            #expect(clock.deadlines == [Self.time("2026-03-08T14:00:00.000Z")])
            clock.set(Self.time("2026-03-08T13:59:00.000Z"))
            #expect(notices().count == 1)
            clock.set(Self.time("2026-03-08T14:00:00.000Z"))
            await alerts.settled()
            #expect(notices() == [ModeratorAlerts.text(waiting: 3), ModeratorAlerts.text(waiting: 4)])
        }
    }

    @Test func theHourlyCountOfReporterRequestsIsLoggedOnTheHour() async throws {
        let capture = LogCapture()
        try await withApp({ $0.logLevel = .info }, logs: capture) { app in
            let clock = ManualWallClock.at("2026-03-08T12:17:23.400Z")
            app.wallClock = clock
            RequestCounts.schedule(app)
            await clock.untilSomethingWaits()
            #expect(clock.deadlines == [Self.time("2026-03-08T13:00:00.000Z")])
            try await app.submitReport()
            clock.set(Self.time("2026-03-08T12:59:59.000Z"))
            #expect(!capture.text.contains("requests in the last hour"))
            clock.set(Self.time("2026-03-08T13:00:00.000Z"))
            await clock.untilSomethingWaits()
            #expect(clock.deadlines == [Self.time("2026-03-08T14:00:00.000Z")])
            #expect(capture.text.contains("requests in the last hour POST api/v1/reports=1"), "\(capture.text)")
        }
    }
}

/// Issue #21, finding 6: what the bot stores keeps the hour, never the minute or the second.
@Suite struct BotTimesToTheHourTests {
    static func isWholeHour(_ date: Date) -> Bool {
        date.timeIntervalSince1970.truncatingRemainder(dividingBy: 3600) == 0
    }

    @Test func aConversationLeavesOnlyWholeHoursInTheBotsTables() async throws {
        try await withBot { app, api in
            let chat = BotChat(app: app, api: api)
            try await chat.say("/report")
            try await chat.tap("victim")
            let code = try await app.submitReport()
            try await QuestionNotices.optIn(
                report: try await app.report(receipt: code), chat: chat.person.chat, language: .ru, app: app,
                on: app.db, now: Date(timeIntervalSince1970: 1_773_000_000.123))

            let conversations = try await BotConversation.query(on: app.db).all()
            let updates = try await ProcessedUpdate.query(on: app.db).all()
            let watches = try await QuestionWatch.query(on: app.db).all()
            #expect(conversations.count == 1 && updates.count == 2 && watches.count == 1)
            let times = conversations.map(\.updatedAt) + updates.map(\.processedAt) + watches.map(\.expiresAt)
            for time in times { #expect(Self.isWholeHour(time), "\(time)") }
        }
    }

    @Test func timesStoredBeforeAreRoundedAndExpiryStillWorksWithinAnHour() async throws {
        try await withApp { app in
            let lastUpdate = Date(timeIntervalSince1970: 1_773_000_000 + 3599.75)  // a quarter second before the hour
            let conversation = BotConversation()
            conversation.chatKey = "k"
            conversation.state = "{}"
            conversation.updatedAt = lastUpdate
            try await conversation.create(on: app.db)
            for id in 1...3 {
                let update = ProcessedUpdate()
                update.id = Int64(id)
                update.processedAt = lastUpdate.addingTimeInterval(Double(-id) * 4000.5)
                try await update.create(on: app.db)
            }
            try await RoundBotTimesToTheHour().prepare(on: app.db)

            let stored = try #require(try await BotConversation.query(on: app.db).first()).updatedAt
            #expect(stored == Date(timeIntervalSince1970: 1_773_000_000))
            let updates = try await ProcessedUpdate.query(on: app.db).sort(\.$id).all()
            #expect(updates.count == 3 && updates.allSatisfy { Self.isWholeHour($0.processedAt) })
            #expect(updates.map { lastUpdate.timeIntervalSince($0.processedAt) >= 0 } == [true, true, true])

            // Idle expiry counts from the hour: the conversation goes between 23 and 24 hours
            // after its last update, never later.
            let kept = try await BotConversation.deleteExpired(
                on: app.db, now: stored.addingTimeInterval(BotConversation.idleLifetime))
            #expect(kept == 0)
            let gone = try await BotConversation.deleteExpired(
                on: app.db, now: lastUpdate.addingTimeInterval(BotConversation.idleLifetime))
            #expect(gone == 1)
        }
    }
}
