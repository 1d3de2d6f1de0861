import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

/// Issue #13: a moderator asks, the reporter answers with nothing but the receipt code, and the
/// thread leaves with the contact.
@Suite struct FollowUpTests {
    @Test func aModeratorAsksAndTheReporterAnswersOnTheWebsite() async throws {
        try await withApp { app in
            let code = try await app.submitReport()
            let id = try await app.report(receipt: code).requireID()
            let moderator = try await app.signIn(role: .moderator)
            let question = "Это случилось на остановке или в автобусе?"
            let asked = try await app.send(
                .POST, "/admin/reports/\(id)/messages", headers: ["Cookie": moderator.cookie],
                form: [("text", question), ("csrf", moderator.csrf)])
            #expect(asked.status == .seeOther)
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "message").count() == 1)

            // The reporter checks the report and reads the question.
            let checked = try await app.send(.POST, "/check?lang=ru", form: [("code", code)])
            #expect(checked.body.string.contains(question))
            let answer = "В автобусе №32, он зашёл на следующей остановке."
            let answered = try await app.send(
                .POST, "/check/messages?lang=ru", form: [("code", code), ("text", answer)])
            #expect(answered.status == .ok)
            #expect(answered.body.string.contains(app.translations.text("thread_sent", .ru)))

            // The moderator sees the thread in order beside the report.
            let page = try await app.send(.GET, "/admin/reports/\(id)", headers: ["Cookie": moderator.cookie]).body
                .string
            let questionAt = try #require(page.range(of: question)), answerAt = try #require(page.range(of: answer))
            #expect(questionAt.lowerBound < answerAt.lowerBound)

            // Stored sealed and to the hour; never in the public answers.
            let stored = try await ReportMessage.query(on: app.db).all()
            #expect(stored.count == 2 && stored.allSatisfy { !$0.bodySealed.contains("автобус") })
            #expect(
                stored.allSatisfy { message in
                    let parts = Calendar(identifier: .gregorian).dateComponents(
                        in: KazakhstanTime.zone, from: message.createdAt ?? Date())
                    return parts.minute == 0 && parts.second == 0
                })
            // Half an hour later, another moderator publishes it through the API.
            let held = try await app.report(receipt: code)
            held.claimedAt = Date().addingTimeInterval(-ModerationService.claimLifetime - 60)
            try await held.save(on: app.db)
            try await app.publish(receipt: code)
            for path in ["/api/v1/incidents", "/api/v1/incidents/\(id)", "/api/v1/export/incidents.csv"] {
                #expect(!(try await app.send(.GET, path).body.string.contains("автобус")), "\(path)")
            }
        }
    }

    @Test func theReporterAnswersThroughTheAPI() async throws {
        try await withApp { app in
            let code = try await app.submitReport()
            let report = try await app.report(receipt: code)
            let (_, token) = try await app.makeModerator(role: .moderator)
            let asked = try await app.send(
                .POST, "/api/v1/admin/reports/\(try report.requireID())/messages",
                headers: ["Authorization": "Bearer \(token)"], json: ["text": "Сколько их было?"])
            #expect(asked.status == .created)

            let look = try await app.send(.POST, "/api/v1/receipt", json: ["code": code])
            let view = try look.content.decode(ReceiptView.self)
            #expect(view.messages.map(\.from) == ["moderator"] && view.messages[0].text == "Сколько их было?")

            let answered = try await app.send(
                .POST, "/api/v1/receipt/messages", json: ["code": code, "text": "Двое, оба незнакомые."])
            #expect(answered.status == .created)
            #expect(try answered.content.decode(ReceiptView.self).messages.map(\.from) == ["moderator", "reporter"])
            let thread = try await app.send(
                .GET, "/api/v1/admin/reports/\(try report.requireID())/messages",
                headers: ["Authorization": "Bearer \(token)"])
            #expect(
                try thread.content.decode(AdminAPIController.ThreadDTO.self).messages.last?.text
                    == "Двое, оба незнакомые.")
        }
    }

    @Test func badMessagesAreRefusedByNameAndChangeNothing() async throws {
        try await withApp { app in
            let code = try await app.submitReport()
            for body: [String: Any] in [
                ["code": code], ["code": code, "text": "x"],
                ["code": code, "text": String(repeating: "а", count: 2001)],
                ["code": code, "text": "текст\u{0}с нулём"],
            ] {
                let response = try await app.send(.POST, "/api/v1/receipt/messages", json: body)
                #expect(response.status == .badRequest, "\(body.keys.sorted())")
                #expect(try errorFields(response)["text"] != nil)
            }
            let unknown = try await app.send(
                .POST, "/api/v1/receipt/messages", json: ["code": "AAAA-BBBB-CCCC-DDDD", "text": "Здравствуйте"])
            #expect(unknown.status == .notFound)
            #expect(try await ReportMessage.query(on: app.db).count() == 0)
        }
    }

    @Test func messagesLeaveWithTheContactAndWithAWithdrawnReport() async throws {
        try await withApp { app in
            let kept = try await app.submitReport()
            let withdrawn = try await app.submitReport()
            let decided = try await app.submitReport()
            for code in [kept, withdrawn, decided] {
                try await FollowUp.answer(
                    try await app.report(receipt: code), text: "Ещё одна деталь.", app: app, on: app.db)
            }
            try await ReportService.withdraw(try await app.report(receipt: withdrawn), on: app.db)
            #expect(try await ReportMessage.query(on: app.db).count() == 2)

            let (account, _) = try await app.makeModerator()
            try await ModerationService.reject(
                try await app.report(receipt: decided), code: .spam, reason: nil, by: account, on: app.db,
                now: Date().addingTimeInterval(-91 * 24 * 3600))
            let summary = try await Retention.run(on: app.db)
            #expect(summary.messagesDeleted == 1)
            let left = try await ReportMessage.query(on: app.db).all().map(\.$report.id)
            #expect(left == [try await app.report(receipt: kept).requireID()])
        }
    }
}
