import FluentSQLiteDriver
import NIOCore
import Testing
import Vapor
import VaporTesting

@testable import App

/// Limits on submissions, receipt look-ups and sign-ins, without storing who anyone is.
@Suite struct AbuseLimitTests {
    func tight(_ config: inout AppConfig) {
        config.rateLimits.report = RateLimitRule(limit: 2, window: 3600)
        config.rateLimits.receipt = RateLimitRule(limit: 3, window: 3600)
        config.rateLimits.login = RateLimitRule(limit: 2, window: 900)
    }

    @Test func receiptCodesCannotBeGuessedByTrying() async throws {
        try await withApp(tight) { app in
            for _ in 0..<3 {
                let response = try await app.send(.POST, "/api/v1/receipt", json: ["code": ReceiptCode.generate()])
                #expect(response.status == .notFound)
            }
            let blocked = try await app.send(.POST, "/api/v1/receipt", json: ["code": ReceiptCode.generate()])
            #expect(blocked.status == .tooManyRequests)
            #expect(try blocked.content.decode(ErrorBody.self).error.code == "rate_limited")
            #expect(Int(blocked.headers.first(name: "Retry-After") ?? "") ?? 0 > 0)
            // The website's form counts in the same budget.
            let page = try await app.send(.POST, "/check?lang=kk", form: [("code", ReceiptCode.generate())])
            #expect(page.status == .tooManyRequests)
            #expect(page.body.string.contains(app.translations.text("error_rate_limited", .kk)))
        }
    }

    @Test func submissionsAndSignInsAreLimited() async throws {
        try await withApp(tight) { app in
            try await app.submitReport()
            try await app.submitReport()
            let third = try await app.send(.POST, "/api/v1/reports", json: validReportJSON())
            #expect(third.status == .tooManyRequests)
            #expect(try await Report.query(on: app.db).count() == 2)

            for _ in 0..<2 {
                let attempt = try await app.postLogin(email: "a@b.kz", password: "guess")
                #expect(attempt.status == .unauthorized)
            }
            let blocked = try await app.postLogin(email: "a@b.kz", password: "guess")
            #expect(blocked.status == .tooManyRequests)
        }
    }

    @Test func limitsCanBeSwitchedOffForLoadTests() async throws {
        try await withApp({
            tight(&$0)
            $0.rateLimits.enabled = false
        }) { app async throws in
            for _ in 0..<5 {
                #expect(
                    try await app.send(.POST, "/api/v1/receipt", json: ["code": ReceiptCode.generate()]).status
                        == .notFound)
            }
        }
    }

    func request(_ app: Application, peer: String, forwardedFor: String?) throws -> Request {
        var headers = HTTPHeaders()
        if let forwardedFor { headers.add(name: .xForwardedFor, value: forwardedFor) }
        return Request(
            application: app, method: .GET, url: "/", headers: headers,
            remoteAddress: try SocketAddress(ipAddress: peer, port: 40000), on: app.eventLoopGroup.next())
    }

    @Test func forwardedForIsIgnoredUnlessTheProxyIsTrusted() async throws {
        try await withApp({ $0.trustedProxies = ["10.0.0.5"] }) { app async throws in
            // A client cannot pick its own bucket by sending a header.
            #expect(
                try request(app, peer: "198.51.100.7", forwardedFor: "203.0.113.1").clientAddressForLimits
                    == "198.51.100.7")
            // Behind the trusted proxy, the last address the proxy saw is the client.
            #expect(
                try request(app, peer: "10.0.0.5", forwardedFor: "203.0.113.1, 198.51.100.9").clientAddressForLimits
                    == "198.51.100.9")
            #expect(try request(app, peer: "10.0.0.5", forwardedFor: nil).clientAddressForLimits == "10.0.0.5")
        }
    }

    @Test func theLimiterForgetsEverythingWhenItsKeyRotates() async {
        let limiter = RateLimiter()
        let rule = RateLimitRule(limit: 1, window: 7200)
        let start = Date()
        #expect(await limiter.admit(category: "c", client: "x", rule: rule, now: start) == nil)
        #expect(await limiter.admit(category: "c", client: "x", rule: rule, now: start) != nil)
        #expect(await limiter.admit(category: "c", client: "y", rule: rule, now: start) == nil)
        // An hour later the key is new and the old counts are gone.
        #expect(await limiter.admit(category: "c", client: "x", rule: rule, now: start.addingTimeInterval(3601)) == nil)
    }

    @Test func oversizedBodiesGet413InTheErrorShape() async throws {
        try await withApp { app in
            let huge = String(repeating: "я", count: 200_000)
            let response = try await app.sendOverNetwork(
                .POST, "/api/v1/reports", headers: ["Content-Type": "application/json"],
                body: jsonBody(validReportJSON(["description": huge])))
            #expect(response.status == .payloadTooLarge)
            #expect(try response.content.decode(ErrorBody.self).error.code == "payload_too_large")
            #expect(try await Report.query(on: app.db).count() == 0)
        }
    }

    @Test func configurationNamesBadLimitSettings() throws {
        #expect(throws: ConfigError.self) { try AppConfig.fromEnvironment(["DAUYS_RATE_LIMITS": "maybe"]) }
        #expect(throws: ConfigError.self) {
            try AppConfig.fromEnvironment(["DAUYS_TRUSTED_PROXIES": "10.0.0.1, proxy.local"])
        }
        #expect(
            try AppConfig.fromEnvironment(["DAUYS_TRUSTED_PROXIES": "10.0.0.1, ::1"]).trustedProxies == [
                "10.0.0.1", "::1",
            ])
    }
}

/// Issue #14: a saturated server answers "busy, try again" at once, never a 500.
@Suite struct OverloadTests {
    @Test func aFloodGetsAnswersOrBusyNeverAServerError() async throws {
        try await withApp({ $0.maxRequestsInFlight = 4 }) { app in
            _ = try await DemoData.make(count: 300, published: true, app: app, on: app.db, seed: 5)
            let statuses = try await withThrowingTaskGroup(of: (UInt, String?).self) { group in
                for n in 0..<60 {
                    group.addTask {
                        let response = try await app.send(
                            .GET, n.isMultiple(of: 2) ? "/api/v1/incidents?perPage=1000" : "/api/v1/stats")
                        return (response.status.code, response.headers.first(name: .retryAfter))
                    }
                }
                var all: [(UInt, String?)] = []
                for try await status in group { all.append(status) }
                return all
            }
            #expect(statuses.allSatisfy { $0.0 == 200 || $0.0 == 503 }, "\(statuses.map(\.0))")
            let busy = statuses.filter { $0.0 == 503 }
            #expect(!busy.isEmpty && busy.allSatisfy { $0.1 == "2" })
            #expect(statuses.contains { $0.0 == 200 })
            // The health check is never shed, and once the flood is over all is well.
            #expect(try await app.send(.GET, "/healthz").status == .ok)
            #expect(try await app.send(.GET, "/api/v1/stats").status == .ok)
        }
    }

    @Test func noFreeDatabaseConnectionIsBusyNotAFailure() {
        let translated = AppErrorMiddleware.translate(ConnectionPoolTimeoutError.connectionRequestTimeout)
        #expect(translated.status == HTTPStatus.serviceUnavailable && translated.messageKey == "error_busy")
    }
}
