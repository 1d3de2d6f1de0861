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
            // Ordinary pages are still logged.
            #expect(lines.contains { $0.contains(": request ") && $0.contains("route=api/v1/cities ") })
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
