import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

/// Issue #10, point 5: another website cannot make a visitor's browser send, look up or delete
/// a report, or sign a moderator in. Every form is tried with what browsers send.
@Suite struct CrossSiteTests {
    static let host = "dauys.example:8080"

    /// What a browser sends with a form posted from somewhere, and whether we accept it.
    static let origins: [(headers: HTTPHeaders, accepted: Bool)] = [
        (["Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"], false),
        (["Sec-Fetch-Site": "cross-site"], false),
        (["Sec-Fetch-Site": "same-site", "Origin": "https://forum.dauys.example:8080"], false),
        (["Origin": "https://evil.example"], false),
        (["Origin": "null"], false),
        (["Sec-Fetch-Site": "same-origin", "Origin": "http://\(host)"], true),
        // A page of ours under a no-referrer policy (set by an extension, say) sends `null`.
        (["Sec-Fetch-Site": "same-origin", "Origin": "null"], true),
        (["Origin": "http://\(host)"], true),
        (["Sec-Fetch-Site": "none"], true),
        ([:], true),
    ]

    /// Every public form and the sign-in, with a body that would be taken if it came from us.
    static func forms(receipt: String) -> [(path: String, form: [(String, String)])] {
        [
            ("/report", webReport),
            ("/check", [("code", receipt)]),
            ("/check/delete", [("code", receipt), ("confirm", "no")]),
            ("/self-check", [("answers[]", "comments_body")]),
            ("/admin/login", [("email", "nobody@example.org"), ("password", "wrong password")]),
        ]
    }

    static let webReport: [(String, String)] = [
        ("role", "victim"), ("date", "2025-03-08"), ("timeBand", "evening"), ("city", "almaty"),
        ("placeType", "street"), ("kinds[]", "verbal"), ("perpetrator", "stranger"), ("perpetratorCount", "one"),
        ("prevented", "no"), ("description", "Мужчина шёл за мной и кричал оскорбления на всю улицу."),
        ("publishConsent", "yes"),
    ]

    @Test func formsFromAnotherSiteAreRefusedAndChangeNothing() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            let receipt = try await app.submitReport()
            for (path, form) in Self.forms(receipt: receipt) {
                for (origin, accepted) in Self.origins {
                    var headers = origin
                    headers.replaceOrAdd(name: .host, value: Self.host)
                    var form = form
                    if path == "/admin/login" {
                        // The sign-in form's own token, as the page gave it.
                        let page = try await app.send(.GET, "/admin/login")
                        let token = try #require(page.body.string.firstMatch(of: /name="csrf" value="([^"]+)"/)?.1)
                        let cookie = try #require(page.headers.setCookie?[SignInWebController.formTokenCookie])
                        headers.replaceOrAdd(
                            name: .cookie, value: "\(SignInWebController.formTokenCookie)=\(cookie.string)")
                        form.append(("csrf", String(token)))
                    }
                    let before = try await Report.query(on: app.db).count()
                    let response = try await app.send(.POST, path + "?lang=en", headers: headers, form: form)
                    let after = try await Report.query(on: app.db).count()
                    if accepted {
                        #expect(response.status != .forbidden, "\(path) \(origin)")
                    } else {
                        #expect(response.status == .forbidden, "\(path) \(origin)")
                        #expect(response.body.string.contains(app.translations.text("error_cross_site", .en)))
                        #expect(after == before, "\(path) stored something")
                    }
                }
            }
            // Only the accepted report forms added reports: one per accepted origin.
            let accepted = Self.origins.filter(\.accepted).count
            #expect(try await Report.query(on: app.db).count() == 1 + accepted)
        }
    }

    @Test func theAPIReadsOnlyJSON() async throws {
        try await withApp { app in
            let receipt = try await app.submitReport()
            let json = String(decoding: try JSONSerialization.data(withJSONObject: validReportJSON()), as: UTF8.self)
            for contentType in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
                for (method, path, body) in [
                    (HTTPMethod.POST, "/api/v1/reports", json), (.POST, "/api/v1/receipt", #"{"code":"\#(receipt)"}"#),
                    (.DELETE, "/api/v1/receipt", #"{"code":"\#(receipt)"}"#),
                ] {
                    let response = try await app.testing().sendRequest(
                        method, path, headers: ["Content-Type": contentType], body: ByteBuffer(string: body))
                    #expect(response.status == .unsupportedMediaType, "\(method) \(path) as \(contentType)")
                    #expect(try response.content.decode(ErrorBody.self).error.code == "unsupported_media_type")
                }
            }
            #expect(try await Report.query(on: app.db).count() == 1)
            #expect(try await ReportService.find(receipt: receipt, app: app, on: app.db) != nil)
            // JSON with a charset is still JSON.
            let response = try await app.testing().sendRequest(
                .POST, "/api/v1/reports", headers: ["Content-Type": "application/json; charset=utf-8"],
                body: ByteBuffer(string: json))
            #expect(response.status == .created)
        }
    }

    @Test func aPublicURLBehindAProxyIsOurOrigin() async throws {
        try await withApp({ $0.publicURL = URL(string: "https://dauys.example") }) { app in
            let headers: HTTPHeaders = ["Host": "127.0.0.1:8080", "Origin": "https://dauys.example"]
            let response = try await app.send(.POST, "/check", headers: headers, form: [("code", "AAAA")])
            #expect(response.status == .badRequest)
            let foreign: HTTPHeaders = ["Host": "127.0.0.1:8080", "Origin": "https://dauys.example.evil.kz"]
            #expect(
                try await app.send(.POST, "/check", headers: foreign, form: [("code", "AAAA")]).status == .forbidden)
        }
    }
}
