import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

/// Issue #13: a queue moderators can work a whole day with — counts, the oldest wait, filters
/// and pages, the same in the panel and the admin API.
@Suite struct QueueTests {
    @Test func filtersNarrowTheQueueAndItsCounts() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            try await app.submitReport([
                "city": "astana", "latitude": 51.16, "longitude": 71.47, "contact": "+7 701 000 00 00",
            ])
            try await app.submitReport(["kinds": ["stalking"], "language": "kk"])
            try await app.submitReport()
            let published = try await app.submitReport(["kinds": ["stalking"]])
            try await app.publish(receipt: published)
            let (_, token) = try await app.makeModerator(role: .moderator)
            func list(_ query: String) async throws -> AdminAPIController.ReportListDTO {
                let response = try await app.send(
                    .GET, "/api/v1/admin/reports" + query, headers: ["Authorization": "Bearer \(token)"])
                #expect(response.status == .ok, "\(query): \(response.body.string)")
                return try response.content.decode(AdminAPIController.ReportListDTO.self)
            }
            #expect(try await list("").total == 3)
            #expect(try await list("?city=astana").reports.map(\.city) == ["astana"])
            let stalking = try await list("?kind=stalking")
            #expect(stalking.total == 1 && stalking.counts["published"] == 1 && stalking.counts["pending"] == 1)
            #expect(try await list("?language=kk").reports.map(\.language) == ["kk"])
            #expect(try await list("?contact=yes").reports.map(\.city) == ["astana"])
            #expect(try await list("?contact=no").total == 2)
            #expect(try await list("?source=telegram").total == 0)
            #expect(try await list("?status=published&kind=stalking").total == 1)

            for (query, field) in [
                ("?kind=robbery", "kind"), ("?source=fax", "source"), ("?contact=maybe", "contact"),
                ("?page=0", "page"),
                ("?language=de", "language"), ("?city=almaty'--", "city"), ("?status=lost", "status"),
            ] {
                let response = try await app.send(
                    .GET, "/api/v1/admin/reports" + query, headers: ["Authorization": "Bearer \(token)"])
                #expect(response.status == .badRequest, "\(query)")
                #expect(try errorFields(response)[field] != nil, "\(query)")
            }
        }
    }

    @Test func theQueueComesInPagesOfFiftyOldestFirst() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            for _ in 0..<53 { try await app.submitReport() }
            // The oldest one waits three days.
            let oldest = try #require(try await Report.query(on: app.db).first())
            oldest.createdAt = KazakhstanTime.toTheHour(Date().addingTimeInterval(-3 * 24 * 3600))
            try await oldest.save(on: app.db)

            let session = try await app.signIn(role: .moderator)
            let first = try await app.send(.GET, "/admin?lang=en", headers: ["Cookie": session.cookie]).body.string
            #expect(first.matches(of: /href="\/admin\/reports\/[0-9A-F]{8}-/).count == 50)
            #expect(
                first.contains(
                    app.translations.text("admin_queue_oldest_days", .en).replacingOccurrences(of: "{n}", with: "3")))
            #expect(first.contains("Showing 1–50 of 53."))
            #expect(first.contains("/admin/reports/\(try oldest.requireID())"))
            #expect(
                first.contains(#"href="/admin?status=pending&amp;page=2""#)
                    || first.contains(#"href="/admin?status=pending&page=2""#))
            let second = try await app.send(
                .GET, "/admin?status=pending&page=2&lang=en", headers: ["Cookie": session.cookie])
            #expect(second.body.string.matches(of: /href="\/admin\/reports\/[0-9A-F]{8}-/).count == 3)
            #expect(second.body.string.contains("Showing 51–53 of 53."))
            #expect(!second.body.string.contains("/admin/reports/\(try oldest.requireID())"))

            let bad = try await app.send(.GET, "/admin?kind=robbery", headers: ["Cookie": session.cookie])
            #expect(bad.status == .badRequest)
        }
    }
}
