import Fluent
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// SPEC rule 1 and the promises about data at rest, each stated as a test.
@Suite struct PrivacyTests {
    static let agent = "SentinelAgent/4.2 (privacy)"
    static let address = "198.51.100.23"
    static let text = "SENTINELTEXT Меня преследовал человек у подъезда, очень страшно."
    static let contact = "sentinel.contact@example.kz"

    struct Boom: Error, CustomStringConvertible {
        var description: String { "BOOM-SENTINEL secret internals" }
    }

    @Test func noLogLineHoldsAddressAgentQueryBodyCodeTokenOrText() async throws {
        let capture = LogCapture()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dauys-privacy-\(UUID())").path
        try await withApp(
            { config in
                config.logLevel = .debug
                if !testsUsePostgres {
                    config.dataDirectory = folder
                    config.database = .sqliteFile(path: folder + "/dauys.sqlite")
                }
            }, logs: capture
        ) { app in
            app.logger.logLevel = .debug
            app.get("test-boom") { _ -> String in throw Boom() }
            let visitor: HTTPHeaders = [
                "User-Agent": Self.agent, "X-Forwarded-For": Self.address, "Forwarded": "for=\(Self.address)",
                "Content-Type": "application/json",
            ]
            let submitted = try await app.sendOverNetwork(
                .POST, "/api/v1/reports?utm=QUERYSENTINEL", headers: visitor,
                body: jsonBody(validReportJSON(["description": Self.text, "contact": Self.contact])))
            #expect(submitted.status == .created)
            let code = try submitted.content.decode(ReportService.Receipt.self).receipt
            _ = try await app.sendOverNetwork(
                .POST, "/api/v1/receipt", headers: visitor, body: jsonBody(["code": code]))
            _ = try await app.sendOverNetwork(
                .POST, "/api/v1/receipt", headers: visitor, body: jsonBody(["code": "nonsense"]))
            let (_, token) = try await app.makeModerator()
            var admin = visitor
            admin.add(name: .authorization, value: "Bearer \(token)")
            _ = try await app.sendOverNetwork(.GET, "/api/v1/admin/reports?status=pending", headers: admin)
            _ = try await app.sendOverNetwork(.GET, "/?lang=kk&q=QUERYSENTINEL", headers: visitor)
            _ = try await app.sendOverNetwork(.GET, "/api/v1/incidents?city=QUERYSENTINEL", headers: visitor)

            let failed = try await app.sendOverNetwork(
                .GET, "/test-boom?x=QUERYSENTINEL", headers: ["Accept": "application/json"])
            #expect(failed.status == .internalServerError)
            let body = try failed.content.decode(ErrorBody.self)
            #expect(body.error.code == "internal_error")
            #expect(!failed.body.string.contains("BOOM-SENTINEL"))
            let errorId = try #require(body.error.errorId)

            let log = capture.text
            #expect(log.contains("errorId=\(errorId)"), "the error id in the answer is the one in the log")
            #expect(log.contains("route=test-boom"))
            for secret in [
                Self.agent, "SentinelAgent", Self.address, "QUERYSENTINEL", "SENTINELTEXT", Self.contact, code,
                token, "BOOM-SENTINEL", "Bearer",
            ] {
                #expect(!log.contains(secret), "a log line holds \(secret)")
            }

            if !testsUsePostgres {
                // Checkpoint the write-ahead log so the scan sees everything on disk.
                try await (app.db as! any SQLDatabase).raw("PRAGMA wal_checkpoint(FULL)").run()
                for file in ["dauys.sqlite", "dauys.sqlite-wal"] {
                    let bytes = FileManager.default.contents(atPath: folder + "/" + file) ?? Data()
                    for secret in [Self.agent, Self.address, Self.contact, code] {
                        #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(file) holds \(secret)")
                    }
                }
            }
        }
    }

    @Test func contactsAreDeletedNinetyDaysAfterTheReportIsClosed() async throws {
        try await withApp { app in
            let old = try await app.submitReport(["contact": "+7 701 000 00 01"])
            let recent = try await app.submitReport(["contact": "+7 701 000 00 02"])
            let open = try await app.submitReport(["contact": "+7 701 000 00 03"])
            let now = Date()
            for (code, daysAgo) in [(old, 91.0), (recent, 30.0)] {
                let report = try await app.report(receipt: code)
                report.status = "rejected"
                report.closedAt = now.addingTimeInterval(-daysAgo * 86400)
                try await report.save(on: app.db)
            }
            _ = try await AccountService.setupTokenIfNeeded(on: app.db)
            let summary = try await Retention.run(on: app.db, now: now.addingTimeInterval(25 * 3600))
            #expect(summary == .init(contactsDeleted: 1, setupLinksDeleted: 1, botConversationsDeleted: 0))
            #expect(try await app.report(receipt: old).contactSealed == nil)
            #expect(try await app.report(receipt: recent).contactSealed != nil)
            #expect(try await app.report(receipt: open).contactSealed != nil)
            // Running again changes nothing.
            #expect(
                try await Retention.run(on: app.db, now: now)
                    == .init(contactsDeleted: 0, setupLinksDeleted: 0, botConversationsDeleted: 0))
        }
    }

    @Test func productionRefusesAMissingOrPlaceholderSecret() throws {
        var config = try AppConfig.fromEnvironment(["DAUYS_DATA_DIR": NSTemporaryDirectory() + "dauys-prod-\(UUID())"])
        config.secretFromEnvironment = nil
        #expect(throws: ConfigError.self) {
            _ = try Secrets.load(config: config, logger: Logger(label: "t"), production: true)
        }
        config.secretFromEnvironment = Data("changeme-changeme-changeme-changeme".utf8).base64EncodedString()
        #expect(throws: ConfigError.self) {
            _ = try Secrets.load(config: config, logger: Logger(label: "t"), production: true)
        }
        config.secretFromEnvironment = Data(repeating: 7, count: 32).base64EncodedString()
        #expect(throws: ConfigError.self) {
            _ = try Secrets.load(config: config, logger: Logger(label: "t"), production: true)
        }
        config.secretFromEnvironment = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
        _ = try Secrets.load(config: config, logger: Logger(label: "t"), production: true)
    }

    @Test func contactsAreSealedWithAnAuthenticatedCipher() throws {
        let key = SymmetricKey(size: .bits256)
        let sealed = try ContactSealing.seal("+7 701 123 45 67", key: key)
        #expect(ContactSealing.open(sealed, key: key) == "+7 701 123 45 67")
        #expect(ContactSealing.open(sealed, key: SymmetricKey(size: .bits256)) == nil)
        var tampered = Data(base64Encoded: sealed)!
        tampered[tampered.count - 1] ^= 1
        #expect(ContactSealing.open(tampered.base64EncodedString(), key: key) == nil)
        // The same contact seals differently each time, so equal contacts cannot be linked.
        #expect(try ContactSealing.seal("+7 701 123 45 67", key: key) != sealed)
    }

    @Test func everyResponseCarriesTheSecurityHeaders() async throws {
        try await withApp { app in
            for path in [
                "/", "/static/css/site.css", "/api/v1/cities", "/api/v1/nothing", "/nothing", "/healthz",
                "/admin/login",
            ] {
                let response = try await app.send(.GET, path)
                let policy = try #require(response.headers.first(name: "Content-Security-Policy"), "\(path)")
                for directive in [
                    "default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
                    "script-src 'self'",
                ] {
                    #expect(policy.contains(directive), "\(path): \(directive)")
                }
                #expect(!policy.contains("unsafe-inline"))
                #expect(response.headers.first(name: "X-Content-Type-Options") == "nosniff", "\(path)")
                // No referrer to other sites; our own form posts keep a real Origin for the cross-site guard.
                #expect(response.headers.first(name: "Referrer-Policy") == "same-origin", "\(path)")
                #expect(
                    response.headers.first(name: "Strict-Transport-Security")?.contains("max-age=") == true, "\(path)")
                #expect(!response.headers.contains(name: .server))
                if !path.hasPrefix("/static/") {
                    #expect(response.headers.first(name: .cacheControl) == "no-store", "\(path)")
                }
            }
        }
    }

    @Test func templatesHoldNoInlineScriptOrStyle() throws {
        let views = DirectoryConfiguration.detect().viewsDirectory
        let files =
            FileManager.default.enumerator(atPath: views)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".leaf") }
            ?? []
        for file in files {
            let text = try String(contentsOfFile: views + file, encoding: .utf8)
            #expect(text.firstMatch(of: /<script(?![^>]*\bsrc=)/) == nil, "\(file) has an inline script")
            #expect(!text.contains("<style"), "\(file) has an inline style block")
            #expect(text.firstMatch(of: /\son[a-z]+=/) == nil, "\(file) has an inline event handler")
            #expect(!text.contains("style=\""), "\(file) has an inline style attribute")
        }
    }
}
