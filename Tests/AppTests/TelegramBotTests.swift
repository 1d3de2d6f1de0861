import Fluent
import Foundation
import NIOConcurrencyHelpers
import TelegramKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// The bot end to end: real updates into the webhook (or out of a polling loop), a real
/// database, and a Bot API stand-in on 127.0.0.1 that records what the person would see.
@Suite struct TelegramBotTests {
    static let description = "Мужчина шёл за мной от остановки до подъезда 🚌, кричал оскорбления."

    /// The whole report of SPEC §2, in Russian, ending with the receipt code.
    @discardableResult
    static func reportEverything(_ chat: BotChat, description: String = description) async throws -> String {
        try await chat.say("/start")
        try await chat.tap("m:ru:menu")
        try await chat.tap("m:ru:report")
        try await chat.tap("victim")
        try await chat.tap("yesterday")
        try await chat.tap("evening")
        try await chat.send(chat.person.location(latitude: 43.238949, longitude: 76.889709))
        try await chat.tap("public_transport")
        try await chat.tap("catcalling")
        try await chat.tap("stalking")
        try await chat.tap("done")
        try await chat.tap("known")
        try await chat.tap("colleague")
        try await chat.tap("one")
        try await chat.tap("yes")
        try await chat.tap("bystander")
        try await chat.say(description)
        try await chat.tap("repeated")
        try await chat.tap("police")
        try await chat.tap("hotline")
        try await chat.tap("done")
        try await chat.tap("no_reaction")
        try await chat.tap("25-34")
        try await chat.tap("skip")
        try await chat.say("+7 701 234 5678")
        try await chat.tap("yes")
        try await chat.tap("send")
        return try receiptCode(in: chat.texts.joined(separator: "\n"))
    }

    static func receiptCode(in text: String) throws -> String {
        let range = try #require(
            text.range(of: #"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}"#, options: .regularExpression))
        return String(text[range])
    }

    static func conversations(_ app: Application) async throws -> Int {
        try await BotConversation.query(on: app.db).count()
    }

    @Test func aWholeReportThroughTheWebhookIsStoredWithNoTelegramIdentifier() async throws {
        let logs = LogCapture()
        try await withBot(logs: logs, { $0.logLevel = .debug }) { app, api async throws in
            app.logger.logLevel = .debug
            let chat = BotChat(app: app, api: api)
            let code = try await Self.reportEverything(chat)

            let report = try await app.report(receipt: code)
            #expect(report.source == "telegram")
            #expect(report.language == "ru")
            #expect(report.role == "victim")
            #expect(report.incidentDate == KazakhstanTime.dayString(Date().addingTimeInterval(-24 * 3600)))
            #expect(report.timeBand == "evening")
            #expect(report.city == "almaty")
            #expect(abs(report.latitude - 43.238949) < 0.000001 && abs(report.longitude - 76.889709) < 0.000001)
            #expect(report.placeType == "public_transport")
            #expect(report.kinds == [.catcalling, .stalking])
            #expect(report.perpetrator == "known" && report.perpetratorRelation == "colleague")
            #expect(report.perpetratorCount == "one")
            #expect(report.prevented && report.preventedBy == "bystander")
            #expect(report.description == Self.description)
            #expect(report.recurrence == "repeated" && report.toldWhom == [.police, .hotline])
            #expect(report.toldOutcome == "no_reaction")
            #expect(report.ageBand == "25-34" && report.gender == nil)
            #expect(report.publishConsent)
            #expect(report.status == "pending")
            let sealed = try #require(report.contactSealed)
            #expect(ContactSealing.open(sealed, key: app.secrets.contactKey) == "+7 701 234 5678")

            // The receipt came with the action plan, and the conversation is gone.
            let texts = chat.texts.joined(separator: "\n")
            #expect(texts.contains(app.translations.text("plan_heading", .ru)))
            #expect(texts.contains(TelegramText.escapeHTML(app.translations.text("plan_stalking", .ru))))
            #expect(try await Self.conversations(app) == 0)

            // Nothing in the database or the log can tell who reported.
            let stored = try await app.databaseText()
            for identifier in ["6123456789", TelegramPerson.username, TelegramPerson.firstName, "TEST-token"] {
                #expect(!stored.contains(identifier), "\(identifier) is stored")
                #expect(!logs.text.contains(identifier), "\(identifier) is logged")
            }
            #expect(!logs.text.isEmpty, "the capture must have seen the app's log")
            // Every tapped button was answered, once.
            #expect(!api.tapped.isEmpty)
            #expect(api.answeredTaps == api.tapped)
        }
    }

    @Test func theSameReportThroughLongPolling() async throws {
        let logs = LogCapture()
        try await withBot(logs: logs) { app, api async throws in
            let poller = Task { await TelegramPoller(bot: try! app.bot, logger: app.logger).run() }
            defer { poller.cancel() }
            var chat = BotChat(app: app, api: api)
            chat.transport = .polling
            // The first polls meet another poller: the bot backs off and carries on.
            api.fail("getUpdates", with: .conflict, times: 2)
            let code = try await Self.reportEverything(chat)
            #expect(try await app.report(receipt: code).source == "telegram")
            #expect(api.calls("getUpdates").count >= 3)
            #expect(logs.text.contains("telegram poll failed"))
            // Each update was fetched until confirmed by a higher offset, and handled once.
            #expect(try await ProcessedUpdate.query(on: app.db).count() == api.queuedEver)
        }
    }

    @Test func aRedeliveredUpdateIsHandledOnce() async throws {
        try await withBot { app, api async throws in
            let person = TelegramPerson()
            let start = person.text("/start")
            try await app.deliver(start)
            try await app.deliver(start)
            #expect(api.sent.count == 1)

            // Several deliveries at once, and one after a restart (a new bot, same database).
            let report = person.tap("m:ru:report", messageID: 101)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<3 { group.addTask { try await app.deliver(report) } }
                try await group.waitForAll()
            }
            await try app.bot.idle()
            let afterReport = api.sent.count
            #expect(api.calls("answerCallbackQuery").count == 1)
            app.telegramBot = TelegramBot(app: app, settings: try app.bot.settings)
            try await app.deliver(report)
            #expect(api.sent.count == afterReport)
            #expect(try await Self.conversations(app) == 1)
        }
    }

    @Test func aConversationSurvivesARestart() async throws {
        let api = FakeBotAPI()
        try await withStandIn(api.register) { server in
            var config = testConfig()
            config.telegram = .forTests(apiURL: server.baseURL)
            if !testsUsePostgres { config.database = .sqliteFile(path: config.dataDirectory + "/dauys.sqlite") }

            let first = try await Application.make(.testing)
            try await configure(first, config: config)
            let before = BotChat(app: first, api: api)
            try await before.say("/report")
            try await before.tap("witness")
            try await before.tap("today")
            try await first.asyncShutdown()

            let second = try await Application.make(.testing)
            do {
                try await configure(second, config: config)
                let after = BotChat(app: second, api: api)
                try await after.tap("morning")
                #expect(
                    after.lastText.contains(TelegramText.escapeHTML(second.translations.text("bot_q_location", .ru))))
                let state = try #require(try await BotConversation.query(on: second.db).first())
                let saved = try JSONDecoder().decode(BotState.self, from: Data(state.state.utf8))
                #expect(saved.draft.role == "witness" && saved.draft.timeBand == "morning")
                #expect(saved.draft.date == KazakhstanTime.today())
            } catch {
                await cleanUp(second, config: config)
                throw error
            }
            await cleanUp(second, config: config)
        }
    }

    /// Each step of the report, and the question it leads to.
    static func steps(_ chat: BotChat, _ app: Application) -> [(answer: () async throws -> Void, question: String)] {
        [
            ({ try await chat.say("/report") }, "bot_q_role"),
            ({ try await chat.tap("victim") }, "bot_q_date"),
            ({ try await chat.tap("pick") }, "bot_q_date_pick"),
            ({ try await chat.say("08.03.2025") }, "bot_q_time"),
            ({ try await chat.tap("evening") }, "bot_q_location"),
            ({ try await chat.say(app.translations.text("bot_choose_city", .ru)) }, "choose_city"),
            ({ try await chat.tap("almaty") }, "bot_q_landmark"),
            ({ try await chat.tap("skip") }, "bot_q_place"),
            ({ try await chat.tap("street") }, "bot_q_kinds"),
            (
                {
                    try await chat.tap("verbal")
                    try await chat.tap("done")
                }, "bot_q_perpetrator"
            ),
            ({ try await chat.tap("known") }, "bot_q_relation"),
            ({ try await chat.tap("neighbour") }, "bot_q_count"),
            ({ try await chat.tap("group") }, "bot_q_prevented"),
            ({ try await chat.tap("yes") }, "bot_q_prevented_by"),
            ({ try await chat.tap("self") }, "bot_q_description"),
            ({ try await chat.say(description) }, "bot_q_recurrence"),
            ({ try await chat.tap("skip") }, "bot_q_told"),
            ({ try await chat.tap("skip") }, "bot_q_age"),
            ({ try await chat.tap("skip") }, "bot_q_gender"),
            ({ try await chat.tap("skip") }, "bot_q_contact"),
            ({ try await chat.tap("skip") }, "bot_q_consent"),
            ({ try await chat.tap("no") }, "bot_summary_heading"),
        ]
    }

    @Test func backAndCancelWorkAtEveryStep() async throws {
        try await withBot { app, api async throws in
            let chat = BotChat(app: app, api: api)
            func shows(_ key: String) -> Bool {
                chat.lastText.contains(TelegramText.escapeHTML(app.translations.text(key, .ru)))
            }
            let steps = Self.steps(chat, app)
            for reached in steps.indices {
                for step in steps[...reached] {
                    try await step.answer()
                    #expect(shows(step.question), "expected \(step.question), got \(chat.lastText)")
                }
                try await chat.say("/back")
                if reached == 0 {
                    #expect(
                        chat.texts.suffix(2).first?.contains(app.translations.text("bot_no_earlier_step", .ru)) == true)
                    #expect(shows("bot_q_role"))
                } else {
                    #expect(shows(steps[reached - 1].question), "back from \(steps[reached].question)")
                }
                try await chat.say("/cancel")
                #expect(chat.texts.suffix(2).first == app.translations.text("bot_cancelled", .ru))
                #expect(try await Self.conversations(app) == 0)
            }
            // /help at any step keeps the answers and asks the question again.
            for step in steps.prefix(5) { try await step.answer() }
            try await chat.say("/help")
            #expect(shows("bot_q_location"))
            #expect(try await Self.conversations(app) == 1)
        }
    }

    @Test func theSummaryCanChangeAnAnswerAndTheReportValidatesAsOnTheWebsite() async throws {
        try await withBot { app, api async throws in
            let chat = BotChat(app: app, api: api)
            for step in Self.steps(chat, app) { try await step.answer() }
            #expect(chat.lastText.contains("Алматы"))
            try await chat.tap("edit")
            try await chat.tap("perpetrator")
            try await chat.tap("stranger")
            // Back at the summary, without the relation that applied only to someone known.
            #expect(chat.lastText.contains(app.translations.text("bot_summary_heading", .ru)))
            #expect(!chat.lastText.contains(app.translations.text("relation_neighbour", .ru)))
            try await chat.tap("send")
            let report = try await app.report(receipt: try Self.receiptCode(in: chat.texts.joined()))
            #expect(report.perpetrator == "stranger" && report.perpetratorRelation == nil)
            #expect(report.incidentDate == "2025-03-08" && report.landmark == nil)
            // A city chosen from the list stands for its centre point.
            let almaty = try #require(CityCatalog.all.first { $0.slug == "almaty" })
            #expect(report.latitude == almaty.latitude && report.longitude == almaty.longitude)
            #expect(!report.publishConsent)
        }
    }

    @Test func badAnswersGetAClearWordAndChangeNothing() async throws {
        try await withBot { app, api async throws in
            let chat = BotChat(app: app, api: api)
            func said(_ key: String) -> Bool {
                chat.texts.suffix(2).first?.contains(TelegramText.escapeHTML(app.translations.text(key, .ru))) == true
            }
            let steps = Self.steps(chat, app)
            for step in steps.prefix(5) { try await step.answer() }
            // A point in Moscow, outside Kazakhstan.
            try await chat.send(chat.person.location(latitude: 55.7558, longitude: 37.6173))
            #expect(said("bot_location_outside"))
            // A venue in Astana is fine; its title becomes the landmark.
            try await chat.send(chat.person.venue(latitude: 51.128207, longitude: 71.430411, title: "ТРЦ Керуен"))
            #expect(chat.lastText.contains(app.translations.text("bot_q_place", .ru)))
            try await chat.say("просто текст")
            #expect(said("bot_use_buttons"))
            try await chat.tap("street")
            try await chat.tap("done")  // nothing ticked yet
            #expect(
                api.calls("answerCallbackQuery").last?.json["text"] as? String
                    == app.translations.text("error_kinds_required", .ru))
            try await chat.tap("verbal")
            try await chat.tap("done")
            try await chat.tap("stranger")
            try await chat.tap("one")
            try await chat.tap("no")
            try await chat.say("коротко")
            #expect(said("error_description_length"))
            try await chat.send(chat.person.photo())
            #expect(said("bot_no_files"))
            try await chat.say(Self.description)
            try await chat.tap("once")
            // "Nobody" stands alone, and then nothing came of it to ask about.
            try await chat.tap("police")
            try await chat.tap("nobody")
            try await chat.tap("done")
            #expect(chat.lastText.contains(app.translations.text("bot_q_age", .ru)))
            try await chat.tap("skip")
            try await chat.tap("skip")
            try await chat.say("не контакт")
            #expect(said("error_contact"))
            let state = try #require(try await BotConversation.query(on: app.db).first())
            let saved = try JSONDecoder().decode(BotState.self, from: Data(state.state.utf8))
            #expect(saved.step == .contact && saved.draft.city == "astana" && saved.draft.landmark == "ТРЦ Керуен")
            // A contact waits sealed, as in the report itself.
            try await chat.say("+7 701 234 5678")
            let withContact = try #require(try await BotConversation.query(on: app.db).first())
            #expect(!withContact.state.contains("701"))
            let draft = try JSONDecoder().decode(BotState.self, from: Data(withContact.state.utf8))
            #expect(
                draft.contactSealed.flatMap { ContactSealing.open($0, key: app.secrets.contactKey) }
                    == "+7 701 234 5678")
            #expect(chat.lastText.contains(app.translations.text("bot_q_consent", .ru)))

            // A date in the future is refused.
            try await chat.say("/cancel")
            for step in steps.prefix(3) { try await step.answer() }
            try await chat.say("01.01.2099")
            #expect(said("error_date_future"))
            try await chat.say("31.02.2024")
            #expect(said("bot_error_date"))
        }
    }

    @Test func staleButtonsGetAPoliteAnswerAndEveryTapIsAnswered() async throws {
        try await withBot { app, api async throws in
            let chat = BotChat(app: app, api: api)
            try await chat.say("/report")
            let roleQuestion = try #require(api.sent.last)
            try await chat.tap("victim")
            // The same question's button again, after it was answered.
            try await chat.send(chat.person.tap(roleQuestion.buttons[1].data, messageID: roleQuestion.messageID!))
            #expect(
                api.calls("answerCallbackQuery").last?.json["text"] as? String
                    == app.translations.text("bot_stale_button", .ru))
            #expect(chat.lastText.contains(app.translations.text("bot_q_date", .ru)))
            // Buttons that are not ours at all.
            try await chat.send(chat.person.tap("garbage", messageID: 5))
            #expect(api.calls("answerCallbackQuery").count == 3)
            let state = try #require(try await BotConversation.query(on: app.db).first())
            #expect(try JSONDecoder().decode(BotState.self, from: Data(state.state.utf8)).draft.role == "victim")
        }
    }

    @Test func groupsAreAskedToWritePrivatelyAndNothingIsStored() async throws {
        try await withBot { app, api async throws in
            let response = try await app.deliver(TelegramPerson.groupCommand())
            #expect(response.status == .ok)
            #expect(api.sent.count == 1)
            #expect(api.sent.first?.chatID == -1_001_987_654_321)
            #expect(api.sent.first?.text == app.translations.text("bot_group", .en))
            #expect(try await ProcessedUpdate.query(on: app.db).count() == 0)
            #expect(try await Self.conversations(app) == 0)
            #expect(!(try await app.databaseText()).contains("1001987654321"))
        }
    }

    @Test func unknownUpdateKindsAreAcknowledgedAndIgnored() async throws {
        try await withBot { app, api async throws in
            let response = try await app.deliver(TelegramPerson.reaction())
            #expect(response.status == .ok)
            // An update whose payload cannot be read is acknowledged too; a body that is not an update is not.
            #expect(try await app.deliver(#"{"update_id":5,"message":{"chat":"?"}}"#).status == .ok)
            #expect(try await app.deliver(#"{"hello":1}"#).status == .badRequest)
            #expect(api.calls.isEmpty)
        }
    }

    @Test func theWebhookRefusesAMissingOrWrongSecretAndStoresNothing() async throws {
        try await withBot { app, api async throws in
            let update = TelegramPerson().text("/report")
            #expect(try await app.deliver(update, secret: nil).status == .unauthorized)
            #expect(try await app.deliver(update, secret: "test-webhook-secret-0123456780").status == .forbidden)
            #expect(try await app.deliver(update, secret: "short").status == .forbidden)
            #expect(api.calls.isEmpty)
            #expect(try await ProcessedUpdate.query(on: app.db).count() == 0)
            #expect(try await Self.conversations(app) == 0)
            #expect(TokenHashing.constantTimeEquals("abc", "abc"))
            #expect(!TokenHashing.constantTimeEquals("abcd", "abc"))
            #expect(!TokenHashing.constantTimeEquals("", "abc"))
        }
        // Without a configured secret the webhook is closed; without a bot it does not exist.
        try await withBot({ $0.telegram?.webhookSecret = nil }) { app, api async throws in
            #expect(try await app.deliver(TelegramPerson().text("/start")).status == .forbidden)
            #expect(api.calls.isEmpty)
        }
        try await withApp { app async throws in
            let response = try await app.send(.POST, "/telegram/webhook", json: ["update_id": 1])
            #expect(response.status == .notFound)
        }
    }

    @Test func longAnswersAreSplitAndUserTextIsEscaped() async throws {
        try await withBot { app, api async throws in
            let chat = BotChat(app: app, api: api)
            let steps = Self.steps(chat, app)
            for step in steps.prefix(15) { try await step.answer() }
            // 5,000 characters of markup: escaped, the summary is far over 4,096 units.
            let attack = "<script>alert(1)</script>&amp;" + String(repeating: "<>&", count: 1656)
            #expect(attack.count <= 5000)
            try await chat.say(attack)
            for step in steps[16...] { try await step.answer() }
            let summary = api.sent.suffix(6).compactMap(\.text)
            #expect(summary.count >= 5)
            #expect(api.sent.allSatisfy { $0.text!.utf16.count <= 4096 })
            // The stand-in refuses broken HTML, so every part arrived whole; the last carries the buttons.
            #expect(summary.joined().contains("&lt;script&gt;alert(1)&lt;/script&gt;&amp;amp;"))
            #expect(!summary.joined().contains("<script>"))
            #expect(api.sent.last?.buttons.isEmpty == false)
            #expect(api.sent.dropLast().suffix(4).allSatisfy { $0.buttons.isEmpty })
            try await chat.tap("send")
            let report = try await app.report(receipt: try Self.receiptCode(in: chat.texts.joined()))
            #expect(report.description == attack)
        }
    }

    @Test func rateLimitsServerErrorsAndBlockedChatsAreHandled() async throws {
        try await withBot { app, api async throws in
            let chat = BotChat(app: app, api: api)
            api.fail("sendMessage", with: .tooManyRequests(retryAfter: 1))
            try await chat.say("/start")
            #expect(api.calls("sendMessage").count == 2)
            #expect(api.sent.last?.messageID != nil)

            api.fail("sendMessage", with: .serverError, times: 2)
            try await chat.say("/about")
            #expect(api.sent.filter { $0.messageID != nil }.count == 3)

            // Blocked: the rest of the answer is not sent, and the conversation goes with the block.
            try await chat.say("/report")
            #expect(try await Self.conversations(app) == 1)
            api.fail("sendMessage", with: .blocked)
            let before = api.calls.count
            try await chat.say("/help")
            #expect(api.calls.count == before + 1)
            try await chat.send(chat.person.blocksTheBot())
            #expect(try await Self.conversations(app) == 0)
            #expect(await (try app.bot.api.isBlocked(TelegramPerson.chatID)))
            // Writing again means the person unblocked the bot.
            try await chat.say("/start")
            #expect(await !(try app.bot.api.isBlocked(TelegramPerson.chatID)))
        }
    }

    @Test func checkingAndWithdrawingAReportByItsCode() async throws {
        try await withBot { app, api async throws in
            let code = try await app.submitReport()
            let chat = BotChat(app: app, api: api)
            try await chat.say("/check")
            try await chat.say("ABCD-EFGH-JKLM-NPQR")
            #expect(chat.texts.suffix(2).first == app.translations.text("error_receipt_not_found", .ru))
            try await chat.say(code.lowercased())
            #expect(chat.lastText.contains(app.translations.text("status_pending", .ru)))

            // Rejected, with the moderator's note for the reporter, escaped.
            let (_, token) = try await app.makeModerator()
            let id = try await app.report(receipt: code).requireID()
            let rejected = try await app.send(
                .POST, "/api/v1/admin/reports/\(id)/reject", headers: ["Authorization": "Bearer \(token)"],
                json: ["reasonCode": "insufficient_detail", "reason": "Добавьте <подробности>"])
            #expect(rejected.status == .ok)
            try await chat.say("/check")
            try await chat.say(code)
            #expect(chat.lastText.contains(app.translations.text("rejection_insufficient_detail", .ru)))
            #expect(chat.lastText.contains("Добавьте &lt;подробности&gt;"))

            try await chat.tap("delete")
            try await chat.tap("no")
            #expect(try await ReportService.find(receipt: code, app: app, on: app.db) != nil)
            try await chat.say("/check")
            try await chat.say(code)
            try await chat.tap("delete")
            try await chat.tap("yes")
            #expect(chat.texts.suffix(2).first == app.translations.text("check_deleted", .ru))
            #expect(try await ReportService.find(receipt: code, app: app, on: app.db) == nil)
            #expect(try await Self.conversations(app) == 0)
        }
    }

    @Test func hotlinesGuidesAndTheSelfCheckInThreeLanguages() async throws {
        try await withBot { app, api async throws in
            var chat = BotChat(app: app, api: api)
            chat.person.language = "en"
            try await chat.say("/start")
            #expect(chat.lastText == app.translations.text("bot_welcome", .en))
            try await chat.tap("m:kk:menu")
            try await chat.tap("m:kk:help")
            try await chat.tap("m:kk:help:shymkent")
            let listing = try await HotlineDirectory.listing(city: "shymkent", on: app.db)
            let first = try #require(listing.nationwide.first)
            #expect(chat.lastText.contains(TelegramText.escapeHTML(first.name(.kk))))
            #expect(chat.lastText.contains("Шымкент"))

            try await chat.tap("m:kk:menu")
            try await chat.tap("m:kk:lang")
            try await chat.tap("m:en:menu")
            try await chat.tap("m:en:guides")
            try await chat.tap("m:en:guides:stalking")
            let guide = try #require(try await GuideLibrary.find("stalking", on: app.db))
            #expect(chat.texts.joined().contains(TelegramText.escapeHTML(guide.title(.en))))
            #expect(!chat.texts.joined().contains("## "))

            try await chat.tap("m:en:menu")
            try await chat.tap("m:en:self")
            var answers = ["yes", "yes", "no", "no", "no", "no", "no", "no", "no", "yes", "no"]
            try await chat.tap(answers.removeFirst())
            try await chat.say("/back")  // to change the first answer
            #expect(chat.lastText.contains("Question 1 of 11"))
            try await chat.tap("yes")
            for answer in answers { try await chat.tap(answer) }
            #expect(chat.lastText.contains(app.translations.text("selfcheck_outcome_harassment", .en)))
            #expect(
                chat.lastText.contains(TelegramText.escapeHTML(app.translations.text("selfcheck_note_stalking", .en))))
            #expect(api.sent.last?.buttons.contains { $0.data == "m:en:guides:stalking" } == true)
            #expect(try await Self.conversations(app) == 0)
        }
    }

    @Test func scriptsInAdminWrittenContentStayTextInTheBot() async throws {
        try await withBot { app, api async throws in
            let guide = try #require(try await GuideLibrary.find("stalking", on: app.db))
            guide.titleRu = "Преследование " + AttackTests.script
            guide.bodyRu = "## " + AttackTests.image + "\n- **" + AttackTests.script + "** и ещё\n1. шаг **без пары"
            try await guide.save(on: app.db)
            let hotline = try #require(try await HotlineDirectory.listing(city: nil, on: app.db).nationwide.first)
            hotline.nameRu = AttackTests.image
            try await hotline.save(on: app.db)

            let chat = BotChat(app: app, api: api)
            try await chat.say("/guides")
            try await chat.tap("m:ru:guides:stalking")
            try await chat.say("/hotlines")
            try await chat.tap("m:ru:help:almaty")
            let texts = chat.texts.joined(separator: "\n")
            AttackTests.assertInert(texts, "the bot's messages")
            #expect(texts.contains("<b>&lt;script&gt;window.__xss=1&lt;/script&gt;</b> и ещё"))
            #expect(texts.contains("&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;"))
            #expect(texts.contains("шаг **без пары"))
        }
    }

    @Test func moderatorsGetACountOnlyNoticeOfNewReports() async throws {
        try await withBot(moderatorsChat: -1_009_999_999_999) { app, api async throws in
            // The notice goes on the hour (ModeratorsNoticeTimingTests): the test moves the clock.
            let clock = ManualWallClock.at("2026-03-08T12:17:23.400Z")
            app.wallClock = clock
            let alerts = try #require(try app.bot.alerts)
            try await Self.reportEverything(BotChat(app: app, api: api))
            func notices() -> [FakeBotAPI.Call] { api.sent.filter { $0.chatID == -1_009_999_999_999 } }
            clock.advance(by: 3600)
            await alerts.settled()
            #expect(notices().map(\.text) == [ModeratorAlerts.text(waiting: 1)])
            // Reports from the website count too.
            try await app.submitReport()
            clock.advance(by: 3600)
            await alerts.settled()
            #expect(notices().last?.text == ModeratorAlerts.text(waiting: 2))
            #expect(!notices().contains { $0.text?.contains("Мужчина") == true })
        }
    }

    @Test func idleConversationsExpireAfterADay() async throws {
        try await withBot { app, api async throws in
            let chat = BotChat(app: app, api: api)
            try await chat.say("/report")
            try await chat.tap("victim")
            let conversation = try #require(try await BotConversation.query(on: app.db).first())
            conversation.updatedAt = Date().addingTimeInterval(-25 * 3600)
            try await conversation.save(on: app.db)
            try await chat.tap("today")
            #expect(chat.texts.contains(app.translations.text("bot_expired", .ru)))
            #expect(try await Self.conversations(app) == 0)

            try await chat.say("/report")
            let summary = try await Retention.run(on: app.db, now: Date().addingTimeInterval(25 * 3600))
            #expect(summary.botConversationsDeleted == 1)
            #expect(try await Self.conversations(app) == 0)
            #expect(try await ProcessedUpdate.query(on: app.db).count() > 0)
            _ = try await Retention.run(on: app.db, now: Date().addingTimeInterval(49 * 3600))
            #expect(try await ProcessedUpdate.query(on: app.db).count() == 0)
        }
    }

    @Test func eachChatsUpdatesRunOneAtATimeInOrder() async {
        let queues = ChatQueues()
        let log = NIOLockedValueBox<[String]>([])
        let running = NIOLockedValueBox<[Int64: Int]>([:])
        let overlapped = NIOLockedValueBox(false)
        for index in 0..<40 {
            let chat = Int64(index % 2)
            queues.enqueue(chat) {
                running.withLockedValue { running in
                    running[chat, default: 0] += 1
                    if running[chat]! > 1 { overlapped.withLockedValue { $0 = true } }
                }
                try? await Task.sleep(for: .milliseconds(Int.random(in: 0...3)))
                log.withLockedValue { $0.append("\(chat):\(index)") }
                running.withLockedValue { $0[chat]! -= 1 }
            }
        }
        await queues.idle()
        #expect(!overlapped.withLockedValue { $0 })
        for chat in 0..<2 {
            let order = log.withLockedValue { $0 }.filter { $0.hasPrefix("\(chat):") }
            #expect(order == stride(from: chat, to: 40, by: 2).map { "\(chat):\($0)" })
        }
    }

    @Test func telegramSettingsAreCheckedAtStart() throws {
        func problem(_ env: [String: String]) -> String? {
            do {
                _ = try AppConfig.fromEnvironment(env)
                return nil
            } catch let error as ConfigError {
                return error.setting
            } catch {
                return "\(error)"
            }
        }
        #expect(problem(["TELEGRAM_BOT_TOKEN": "not-a-token"]) == "TELEGRAM_BOT_TOKEN")
        #expect(problem(["TELEGRAM_WEBHOOK_SECRET": "abcdefghijklmnopqrstuvwxyz"]) == "TELEGRAM_BOT_TOKEN")
        #expect(
            problem(["TELEGRAM_BOT_TOKEN": FakeBotAPI.token, "TELEGRAM_WEBHOOK_SECRET": "has spaces in it!!"])
                == "TELEGRAM_WEBHOOK_SECRET")
        #expect(
            problem(["TELEGRAM_BOT_TOKEN": FakeBotAPI.token, "TELEGRAM_MODERATORS_CHAT": "@mods"])
                == "TELEGRAM_MODERATORS_CHAT")
        #expect(problem(["TELEGRAM_BOT_TOKEN": FakeBotAPI.token, "TELEGRAM_API_URL": "ftp://x"]) == "TELEGRAM_API_URL")
        let config = try AppConfig.fromEnvironment([
            "TELEGRAM_BOT_TOKEN": FakeBotAPI.token, "TELEGRAM_API_URL": "http://127.0.0.1:8081",
            "TELEGRAM_WEBHOOK_SECRET": "abcdefghijklmnop_-0123", "TELEGRAM_MODERATORS_CHAT": "-1001234567890",
        ])
        #expect(config.telegram?.apiURL == "http://127.0.0.1:8081")
        #expect(config.telegram?.moderatorsChat == -1_001_234_567_890)
        #expect(try AppConfig.fromEnvironment([:]).telegram == nil)
    }

    /// Issue #13: the reporter reads a moderator's question in the bot and answers it there,
    /// with nothing but the receipt code; the answer is not kept in the conversation.
    @Test func aReporterReadsAndAnswersTheModeratorsInTheBot() async throws {
        try await withBot { app, api async throws in
            let code = try await app.submitReport()
            let (_, token) = try await app.makeModerator(role: .moderator)
            let id = try await app.report(receipt: code).requireID()
            let asked = try await app.send(
                .POST, "/api/v1/admin/reports/\(id)/messages", headers: ["Authorization": "Bearer \(token)"],
                json: ["text": "Это было <днём> или вечером?"])
            #expect(asked.status == .created)

            let chat = BotChat(app: app, api: api)
            try await chat.say("/check")
            try await chat.say(code)
            #expect(chat.lastText.contains("Это было &lt;днём&gt; или вечером?"))
            #expect(chat.lastText.contains(app.translations.text("thread_from_moderators", .ru)))
            try await chat.tap("answer")
            #expect(chat.lastText.contains(TelegramText.escapeHTML(app.translations.text("thread_answer_label", .ru))))
            try await chat.say("x")
            #expect(chat.texts.suffix(2).first == app.translations.text("error_message_length", .ru))
            try await chat.say("Вечером, около восьми.")
            #expect(chat.texts.suffix(2).first == app.translations.text("thread_sent", .ru))
            #expect(try await Self.conversations(app) == 0)

            let thread = try await app.send(
                .GET, "/api/v1/admin/reports/\(id)/messages", headers: ["Authorization": "Bearer \(token)"])
            let messages = try thread.content.decode(AdminAPIController.ThreadDTO.self).messages
            #expect(messages.map(\.from) == ["moderator", "reporter"] && messages[1].text == "Вечером, около восьми.")
        }
    }

    /// Issue #13: the reporter asks the bot to say when the moderators write. The chat id is
    /// kept sealed only from that moment until the answer; the notice carries no words.
    @Test func aReporterWhoOptsInIsToldThatModeratorsWroteAndForgottenOnceAnswered() async throws {
        try await withBot { app, api async throws in
            let code = try await app.submitReport()
            let (_, token) = try await app.makeModerator(role: .moderator)
            let id = try await app.report(receipt: code).requireID()
            let chat = BotChat(app: app, api: api)
            try await chat.say("/check")
            try await chat.say(code)
            #expect(try await QuestionWatch.query(on: app.db).count() == 0)
            try await chat.tap("notify")
            // One sentence says what is kept, why, and until when — before anything is kept.
            #expect(chat.lastText.contains(TelegramText.escapeHTML(app.translations.text("bot_notify_explain", .ru))))
            #expect(try await QuestionWatch.query(on: app.db).count() == 0)
            try await chat.tap("yes")
            #expect(chat.texts.suffix(2).first == app.translations.text("bot_notify_on", .ru))
            let watch = try #require(try await QuestionWatch.query(on: app.db).first())
            #expect(
                !watch.chatSealed.contains(String(chat.person.chat))
                    && !watch.chatKey.contains(String(chat.person.chat)))
            #expect(try await Self.conversations(app) == 0)

            // A moderator asks; the chat is told, without the question's words.
            let before = api.sent.count
            let asked = try await app.send(
                .POST, "/api/v1/admin/reports/\(id)/messages", headers: ["Authorization": "Bearer \(token)"],
                json: ["text": "В каком автобусе это было?"])
            #expect(asked.status == .created)
            var notices: [FakeBotAPI.Call] = []
            // A generous deadline: the suite runs in parallel on two cores.
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                notices = api.sent.dropFirst(before).filter { $0.chatID == chat.person.chat }
                if !notices.isEmpty { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(notices.count == 1)
            #expect(
                notices.first?.text?.contains(TelegramText.escapeHTML(app.translations.text("bot_menu_check", .ru)))
                    == true)
            #expect(notices.first?.text?.contains("автобусе") == false)

            // The reporter answers on the website: the chat id is gone, and no more notices.
            let answered = try await app.send(
                .POST, "/api/v1/receipt/messages", json: ["code": code, "text": "В 32-м, вечером."])
            #expect(answered.status == .created)
            #expect(try await QuestionWatch.query(on: app.db).count() == 0)
            let afterAnswer = api.sent.count
            _ = try await app.send(
                .POST, "/api/v1/admin/reports/\(id)/messages", headers: ["Authorization": "Bearer \(token)"],
                json: ["text": "Спасибо, а во сколько?"])
            try await Task.sleep(for: .milliseconds(300))
            await app.telegramBot?.idle()
            #expect(api.sent.count == afterAnswer)
        }
    }

    @Test func aWatchEndsWithTheReportAfterThirtyDaysOrWhenTheBotIsBlocked() async throws {
        try await withBot { app, api async throws in
            let first = try await app.report(receipt: try await app.submitReport())
            let second = try await app.report(receipt: try await app.submitReport())
            let third = try await app.report(receipt: try await app.submitReport())
            let now = Date()
            try await QuestionNotices.optIn(report: first, chat: 42, language: .kk, app: app, on: app.db)
            try await QuestionNotices.optIn(report: first, chat: 42, language: .kk, app: app, on: app.db)
            #expect(try await QuestionWatch.query(on: app.db).count() == 1, "asking twice keeps one")
            try await QuestionNotices.optIn(
                report: second, chat: 43, language: .ru, app: app, on: app.db, now: now.addingTimeInterval(-31 * 86_400)
            )
            let person = TelegramPerson()
            try await QuestionNotices.optIn(report: third, chat: person.chat, language: .en, app: app, on: app.db)

            // Withdrawn: gone with the report.
            try await ReportService.withdraw(first, on: app.db)
            #expect(try await QuestionWatch.query(on: app.db).filter(\.$report.$id == first.requireID()).count() == 0)
            // Thirty days: gone at the next retention run, and never used before it.
            #expect(try await QuestionNotices.watchers(of: second.requireID(), app: app, on: app.db).isEmpty)
            #expect(try await Retention.run(on: app.db).questionWatchesDeleted == 1)
            // Blocked: gone at once.
            #expect(
                try await QuestionNotices.watchers(of: third.requireID(), app: app, on: app.db).map(\.chat) == [
                    person.chat
                ])
            try await BotChat(app: app, api: api, person: person).send(person.blocksTheBot())
            await app.telegramBot?.idle()
            #expect(try await QuestionWatch.query(on: app.db).count() == 0)
        }
    }

    @Test func everyButtonTheBotCanShowFitsTelegramsLimits() async throws {
        try await withBot { app, _ async throws in
            let flow = BotFlow(app: app, db: app.db, chatKey: "test")
            for language in Language.allCases {
                for step in BotStep.allCases {
                    var state = BotState(language: language, step: step)
                    state.turn = 999_999
                    guard case .send(let text, let markup) = try await flow.prompt(state) else { continue }
                    #expect(FakeBotAPI.htmlProblem(text) == nil, "\(step) \(language)")
                    #expect(Self.untranslated(text) == nil, "\(step) \(language): \(text)")
                    if case .inline(let keyboard) = markup {
                        for button in keyboard.inlineKeyboard.joined() {
                            #expect(TelegramText.isValidCallbackData(button.callbackData))
                            #expect(!button.text.isEmpty && Self.untranslated(button.text) == nil, "\(button.text)")
                        }
                    }
                }
            }
        }
    }

    /// A missing translation shows as its key, such as `bot_q_role` or `kind_verbal`: a
    /// lower-case word with an underscore, which no real text in any of the three languages has.
    static func untranslated(_ text: String) -> String? {
        text.firstMatch(of: /[a-z]+_[a-z0-9_]+/).map { String($0.output) }
    }

    @Test func everyTranslationKeyTheBotNamesExistsInAllThreeLanguages() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/App/Telegram")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".swift") }
        #expect(files.count >= 5)
        let translations = try Translations.load(from: DirectoryConfiguration.detect().resourcesDirectory + "Locales")
        var named = Set<String>()
        for file in files {
            let source = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            // Every literal key the bot looks up: `text("bot_menu", …)`, `retry("error_choice")`,
            // `ask("bot_q_role", …)`, `t("plan_heading")`, `menuButton("help", "bot_menu_help", …)`.
            let lookups = /(?:\b(?:text|retry|ask|t)\(|menuButton\("[a-z]+", |\?\? )"([a-z]+(?:_[a-z0-9]+)+)"/
            for match in source.matches(of: lookups) { named.insert(String(match.output.1)) }
        }
        #expect(named.count > 60, "the scan must find the bot's keys")
        for language in Language.allCases {
            let table = translations.table(language)
            let missing = named.filter { table[$0] == nil }.sorted()
            #expect(missing.isEmpty, "missing in \(language): \(missing)")
        }
    }

    @Test func everyMenuEntryAnswersInWordsInEveryLanguage() async throws {
        try await withBot { app, _ async throws in
            let flow = BotFlow(app: app, db: app.db, chatKey: "test")
            for language in Language.allCases {
                for (action, argument) in [
                    ("menu", nil), ("report", nil), ("help", nil), ("help", "shymkent"), ("guides", nil),
                    ("guides", "street"), ("self", nil), ("check", nil), ("about", nil), ("lang", nil),
                    ("stats", nil), ("stats", "all"), ("stats", "almaty"),
                ] as [(String, String?)] {
                    let outcome = try await flow.menuAction(action, argument: argument, state: nil, language: language)
                    for reply in outcome.replies {
                        guard case .send(let text, let markup) = reply else { continue }
                        #expect(Self.untranslated(text) == nil, "\(action) \(language): \(text)")
                        if case .inline(let keyboard) = markup {
                            for button in keyboard.inlineKeyboard.joined() {
                                #expect(Self.untranslated(button.text) == nil, "\(action) \(language)")
                            }
                        }
                    }
                }
                let result = try await flow.selfCheckResult(["comments_body", "threats_harm"], language: language)
                if case .send(let text, _) = result {
                    #expect(Self.untranslated(text) == nil, "self-check \(language)")
                }
            }
        }
    }
}
