import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App

/// Issue #22, point 6: a busy server's log does not grow by a line per request. Requests one
/// by one are at `debug`; at `info` there is one line a minute per route pattern, with its
/// counts per status class and its median and 99th percentile, and none for a quiet minute.
@Suite struct RequestLogTests {
    /// One `requests` line of the minute: its route and its other fields.
    struct MinuteLine {
        var route: String
        var fields: [String: String]

        func count(_ statusClass: String) -> Int? { fields[statusClass].flatMap { Int($0) } }
        var p50: Double { Double(fields["p50_ms"] ?? "") ?? -1 }
        var p99: Double { Double(fields["p99_ms"] ?? "") ?? -1 }
    }

    /// The `requests` lines written at `info`, by route (the route is the last field, and the
    /// only one with a space in it).
    static func minuteLines(_ capture: LogCapture) -> [String: MinuteLine] {
        var lines: [String: MinuteLine] = [:]
        for line in capture.text.split(separator: "\n") where line.hasPrefix("info ") && line.contains(": requests ") {
            guard let routeStart = line.range(of: " route=") else { continue }
            let route = String(line[routeStart.upperBound...])
            let before = line[..<routeStart.lowerBound].split(separator: " ")
            let pairs = before.compactMap { field -> (String, String)? in
                let parts = field.split(separator: "=", maxSplits: 1)
                return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
            }
            #expect(lines[route] == nil, "two lines for \(route) in one minute")
            lines[route] = MinuteLine(route: route, fields: Dictionary(pairs) { $1 })
        }
        return lines
    }

    /// Requests on public routes answered 2xx, 3xx and 4xx, matched and not.
    static func browse(_ app: Application) async throws {
        for _ in 0..<3 { #expect(try await app.send(.GET, "/api/v1/cities").status == .ok) }
        #expect(try await app.send(.GET, "/healthz").status == .ok)
        for id in ["999999", "999998"] {
            #expect(try await app.send(.GET, "/api/v1/incidents/" + id).status == .notFound)
        }
        #expect(try await app.send(.GET, "/admin").status.code / 100 == 3)
        for path in ["/no-such-page", "/no/such/page?x=1"] {
            #expect(try await app.send(.GET, path).status == .notFound)
        }
    }

    /// Every reporter route, sent and refused, and the forms on their paths.
    static func report(_ app: Application) async throws {
        try await app.submitReport()
        for (method, path, json) in NoTimingTrailTests.reporterRoutes {
            let (headers, body) = NoTimingTrailTests.badBody(json)
            _ = try await app.testing().sendRequest(method, path, headers: headers, body: body)
        }
        _ = try await app.send(.GET, "/report")
        _ = try await app.send(.GET, "/check")
    }

    @Test func aPublicRequestIsOneDebugLineAndNoInfoLineOfItsOwn() async throws {
        let capture = LogCapture()
        try await withApp({ $0.logLevel = .debug }, logs: capture) { app in
            app.logger.logLevel = .debug
            var status: HTTPStatus?
            let lines = try await NoTimingTrailTests.linesWritten(capture) {
                status = try await app.send(.GET, "/api/v1/cities?lang=kk").status
            }
            #expect(status == .ok)
            #expect(lines.count == 1, "\(lines)")
            let line = try #require(lines.first)
            #expect(line.hasPrefix("debug ") && line.contains(": request "), "\(line)")
            for field in ["method=GET", "route=api/v1/cities", "status=200", "ms="] {
                #expect(line.contains(field), "\(line)")
            }
            #expect(!line.contains("lang") && !line.contains("127.0.0.1"), "\(line)")
        }
    }

    @Test func atInfoAPublicRequestWritesNothingUntilTheMinute() async throws {
        let capture = LogCapture()
        try await withApp({ $0.logLevel = .info }, logs: capture) { app in
            app.logger.logLevel = .info
            let lines = try await NoTimingTrailTests.linesWritten(capture) { try await Self.browse(app) }
            #expect(lines.isEmpty, "\(lines.joined(separator: "\n"))")
        }
    }

    @Test func theMinuteIsOneLinePerRouteWithItsStatusClassesAndPercentiles() async throws {
        let capture = LogCapture()
        try await withApp(
            {
                $0.logLevel = .info
                $0.rateLimits.enabled = false
            }, logs: capture
        ) { app in
            app.logger.logLevel = .info
            try await Self.browse(app)
            try await Self.report(app)
            app.requestCounts.minutes.flush(to: app.logger)

            let lines = Self.minuteLines(capture)
            #expect(
                Set(lines.keys) == [
                    "GET /api/v1/cities", "GET /healthz", "GET /api/v1/incidents/:id", "GET /admin", "unmatched",
                ],
                "\(lines.keys.sorted())")
            let expected: [String: [String: Int]] = [
                "GET /api/v1/cities": ["2xx": 3, "3xx": 0, "4xx": 0, "5xx": 0],
                "GET /healthz": ["2xx": 1, "3xx": 0, "4xx": 0, "5xx": 0],
                "GET /api/v1/incidents/:id": ["2xx": 0, "3xx": 0, "4xx": 2, "5xx": 0],
                "GET /admin": ["2xx": 0, "3xx": 1, "4xx": 0, "5xx": 0],
                "unmatched": ["2xx": 0, "3xx": 0, "4xx": 2, "5xx": 0],
            ]
            for (route, classes) in expected {
                let line = try #require(lines[route])
                for (statusClass, count) in classes {
                    #expect(line.count(statusClass) == count, "\(route) \(statusClass): \(line.fields)")
                }
                #expect(line.fields["1xx"] == nil)
                #expect(line.p50 >= 0 && line.p50 <= line.p99 && line.p99 < 60_000, "\(route): \(line.fields)")
            }
            // The reporter's requests are in the hourly count only.
            #expect((app.requestCounts.take()["POST api/v1/reports"] ?? 0) >= 2)
            for route in lines.keys {
                let path = route.split(separator: " ").last.map(String.init) ?? route
                #expect(app.requestCounts.reporterPath(path) == nil, "\(route)")
            }

            // The minute starts again: the next one has only what came after.
            _ = try await app.send(.GET, "/healthz")
            let before = capture.text
            app.requestCounts.minutes.flush(to: app.logger)
            let next = capture.text.dropFirst(before.count).split(separator: "\n")
            #expect(next.count == 1 && next[0].hasSuffix("route=GET /healthz") && next[0].contains("2xx=1 "), "\(next)")
        }
    }

    @Test func theLinesGoOnTheMinuteAndAQuietMinuteWritesNothing() async throws {
        let capture = LogCapture()
        try await withApp(
            {
                $0.logLevel = .info
                $0.rateLimits.enabled = false
            }, logs: capture
        ) { app in
            app.logger.logLevel = .info
            let clock = ManualWallClock.at("2026-03-08T12:17:23.400Z")
            app.wallClock = clock
            RouteMinuteCounts.schedule(app)
            await clock.untilSomethingWaits()
            #expect(clock.deadlines == [ManualWallClock.at("2026-03-08T12:18:00.000Z").now])

            try await Self.browse(app)
            clock.set(ManualWallClock.at("2026-03-08T12:17:59.900Z").now)
            #expect(Self.minuteLines(capture).isEmpty)
            clock.set(ManualWallClock.at("2026-03-08T12:18:00.000Z").now)
            await clock.untilSomethingWaits()
            #expect(clock.deadlines == [ManualWallClock.at("2026-03-08T12:19:00.000Z").now])
            #expect(Self.minuteLines(capture).count == 5, "\(capture.text)")

            // A minute with only a reporter's requests, then one with none: no line at all.
            let written = capture.text
            try await Self.report(app)
            clock.set(ManualWallClock.at("2026-03-08T12:19:00.000Z").now)
            await clock.untilSomethingWaits()
            clock.set(ManualWallClock.at("2026-03-08T12:20:00.000Z").now)
            await clock.untilSomethingWaits()
            #expect(clock.deadlines == [ManualWallClock.at("2026-03-08T12:21:00.000Z").now])
            #expect(capture.text == written, "\(capture.text.dropFirst(written.count))")
        }
    }

    @Test func aRoutesDurationsTakeTheSameRoomHoweverManyThereAre() throws {
        let counts = RouteMinuteCounts()
        for millisecond in 1...1000 { counts.add("GET /stats", status: .ok, milliseconds: Double(millisecond)) }
        counts.add("GET /stats", status: .internalServerError, milliseconds: 2_000_000)
        counts.add("GET /stats", status: .notModified, milliseconds: 0)
        let summaries = counts.take()
        #expect(summaries.count == 1)
        let summary = try #require(summaries.first)
        #expect(summary.route == "GET /stats" && summary.statusClasses == [0, 1000, 1, 0, 1])
        // Within a tenth of the exact nearest-rank values (500 and 991 of the 1002 sorted).
        #expect(abs(summary.p50 - 500) <= 50 && abs(summary.p99 - 991) <= 100, "\(summary)")
        #expect(counts.take().isEmpty)

        var histogram = DurationHistogram()
        histogram.add(12.3)
        #expect(histogram.quantile(0.5) == 12.3 && histogram.quantile(0.99) == 12.3)
        for index in 0..<100_000 { histogram.add(Double(index % 5000) / 7) }
        histogram.add(-1)
        histogram.add(10_000_000)
        #expect(histogram.buckets.count == DurationHistogram.bucketCount && histogram.count == 100_003)
        #expect(histogram.quantile(0.5) <= histogram.quantile(0.99))
        #expect(histogram.quantile(1) == 10_000_000 && histogram.quantile(0) == 0)
    }
}
