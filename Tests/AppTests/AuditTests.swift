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
}
