import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

/// Issue #13: administrators narrow the audit log by action, by who acted and by report.
@Suite struct AuditTests {
    @Test func administratorsNarrowTheAuditLog() async throws {
        try await withApp { app in
            let first = try await app.submitReport(), second = try await app.submitReport()
            let (moderator, _) = try await app.makeModerator(role: .moderator)
            let (administrator, token) = try await app.makeModerator(role: .admin)
            try await ModerationService.reject(
                try await app.report(receipt: first), code: .spam, reason: nil, by: moderator, on: app.db)
            try await app.publish(receipt: second)
            let firstID = try await app.report(receipt: first).requireID()

            func entries(_ query: String) async throws -> [AdminAPIController.AuditDTO] {
                let response = try await app.send(
                    .GET, "/api/v1/admin/audit" + query, headers: ["Authorization": "Bearer \(token)"])
                #expect(response.status == .ok, "\(query)")
                return try response.content.decode([AdminAPIController.AuditDTO].self)
            }
            #expect(try await entries("?action=reject").map(\.actor) == [moderator.email])
            #expect(try await entries("?actor=" + moderator.email.uppercased()).map(\.action) == ["reject"])
            #expect(try await entries("?report=\(firstID)").map(\.action) == ["reject"])
            #expect(try await entries("?action=publish&report=\(firstID)").isEmpty)
            #expect(try await entries("").count >= 2)

            for (query, field) in [
                ("?action=DROP TABLE", "action"), ("?actor=nobody", "actor"), ("?report=42", "report"),
            ] {
                let response = try await app.send(
                    .GET, "/api/v1/admin/audit" + query.replacingOccurrences(of: " ", with: "%20"),
                    headers: ["Authorization": "Bearer \(token)"])
                #expect(response.status == .badRequest, "\(query)")
                #expect(try errorFields(response)[field] != nil, "\(query)")
            }

            let session = try await app.signIn(email: administrator.email, password: "correct horse battery staple")
            let page = try await app.send(.GET, "/admin/audit?action=reject", headers: ["Cookie": session.cookie]).body
                .string
            #expect(page.contains("/admin/reports/\(firstID)") && !page.contains(">publish<"))
        }
    }

    @Test func anEditOfTheDirectoryIsLoggedWithWhatItWasAndWhatItBecame() async throws {
        try await withApp { app in
            let session = try await app.signIn(role: .admin)
            let form = AdminHotlinesTests().form
            let created = try await app.send(
                .POST, "/admin/hotlines", headers: ["Cookie": session.cookie],
                form: form([:]) + [("csrf", session.csrf)])
            #expect(created.status == .seeOther)
            let entry = try #require(try await Hotline.query(on: app.db).filter(\.$slug == "taraz-centre").first())
            let edited = try await app.send(
                .POST, "/admin/hotlines/\(try entry.requireID())", headers: ["Cookie": session.cookie],
                form: form(["phones": "87262000001", "hoursRu": "По будням"]) + [("csrf", session.csrf)])
            #expect(edited.status == .seeOther)
            let update = try #require(
                try await AuditEntry.query(on: app.db).filter(\.$action == "hotline_update").first())
            #expect(update.detail.contains("«87262000000» → «87262000001»"), "\(update.detail)")
            #expect(update.detail.contains("«Ежедневно» → «По будням»"), "\(update.detail)")
            #expect(!update.detail.contains("Тараз орталығы"), "unchanged fields are not repeated")
            let creation = try #require(
                try await AuditEntry.query(on: app.db).filter(\.$action == "hotline_create").first())
            #expect(creation.detail.contains("— → «Центр в Таразе»"), "\(creation.detail)")
        }
    }

    @Test func aPublicTextEditIsLoggedWithBothVersionsUntilTheReporterWithdraws() async throws {
        try await withApp { app in
            let code = try await app.submitReport()
            let (moderator, _) = try await app.makeModerator(role: .moderator)
            let first = "Мужчина шёл следом от остановки и оскорблял."
            let second = "Мужчина шёл следом от остановки у торгового центра и оскорблял."
            try await ModerationService.savePublicDescription(
                try await app.report(receipt: code), text: first, by: moderator, on: app.db)
            try await ModerationService.savePublicDescription(
                try await app.report(receipt: code), text: second, by: moderator, on: app.db)
            let edits = try await AuditEntry.query(on: app.db).filter(\.$action == "edit_public_description")
                .all().map(\.detail)
            #expect(edits.contains("public description: «\(first)» → «\(second)»"), "\(edits)")
            #expect(edits.contains("public description: — → «\(first)»"), "\(edits)")

            // The reporter withdraws: who did what stays, the texts drafted from their words go.
            _ = try await app.send(.DELETE, "/api/v1/receipt", json: ["code": code])
            let left = try await AuditEntry.query(on: app.db).filter(\.$action == "edit_public_description").all()
            #expect(left.count == 2 && left.allSatisfy { $0.detail == AuditEntry.withdrawnDetail })
        }
    }
}
