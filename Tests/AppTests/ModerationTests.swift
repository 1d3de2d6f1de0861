import Fluent
import Testing
import Vapor
import VaporTesting

@testable import App

@Suite struct ModerationTests {
    @Test func theAdminAPIRequiresAValidToken() async throws {
        try await withApp { app in
            let id = try await app.report(receipt: try await app.submitReport()).requireID()
            for headers: HTTPHeaders in [
                [:], ["Authorization": "Bearer nope"], ["Authorization": "Basic YWRtaW46YWRtaW4="],
            ] {
                for (method, path) in [
                    (HTTPMethod.GET, "/api/v1/admin/reports"), (.GET, "/api/v1/admin/reports/\(id)"),
                    (.POST, "/api/v1/admin/reports/\(id)/publish"), (.POST, "/api/v1/admin/reports/\(id)/reject"),
                    (.GET, "/api/v1/admin/audit"),
                ] {
                    let response = try await app.send(method, path, headers: headers, json: ["publicDescription": "x"])
                    #expect(response.status == .unauthorized, "\(method) \(path)")
                }
            }
            #expect(try await Report.find(id, on: app.db)?.status == "pending")
        }
    }

    @Test func theQueueIsOldestFirstWithCounts() async throws {
        try await withApp { app in
            // Times are kept to the hour, so the three are sent "in" different hours.
            let first = try await app.submitReport()
            let second = try await app.submitReport()
            let third = try await app.submitReport()
            for (code, hoursAgo) in [(first, 3.0), (second, 2.0)] {
                let report = try await app.report(receipt: code)
                report.createdAt = KazakhstanTime.toTheHour(Date().addingTimeInterval(-hoursAgo * 3600))
                try await report.save(on: app.db)
            }
            try await app.publish(receipt: third)
            let (_, token) = try await app.makeModerator(role: .moderator)
            let response = try await app.send(
                .GET, "/api/v1/admin/reports?status=pending", headers: ["Authorization": "Bearer \(token)"])
            let list = try response.content.decode(AdminAPIController.ReportListDTO.self)
            #expect(
                list.reports.map(\.id) == [
                    try await app.report(receipt: first).requireID(), try await app.report(receipt: second).requireID(),
                ])
            #expect(list.counts["pending"] == 2 && list.counts["published"] == 1)
            // Moderators see the original, the exact point and the contact.
            #expect(list.reports[0].description.contains("😡"))
            let bad = try await app.send(
                .GET, "/api/v1/admin/reports?status=lost", headers: ["Authorization": "Bearer \(token)"])
            #expect(bad.status == .badRequest)
        }
    }

    @Test func publishingMakesTheStableGridPointAndIsAudited() async throws {
        try await withApp { app in
            let code = try await app.submitReport()
            let (account, token) = try await app.makeModerator()
            let id = try await app.report(receipt: code).requireID()
            let noText = try await app.send(
                .POST, "/api/v1/admin/reports/\(id)/publish", headers: ["Authorization": "Bearer \(token)"],
                json: [String: String]())
            #expect(noText.status == .badRequest)
            #expect(try errorFields(noText)["publicDescription"] != nil)
            let badPrecision = try await app.send(
                .POST, "/api/v1/admin/reports/\(id)/publish", headers: ["Authorization": "Bearer \(token)"],
                json: ["publicDescription": "Достаточно длинное публичное описание.", "precision": "exact"])
            #expect(try errorFields(badPrecision)["precision"] != nil)
            #expect(try await app.report(receipt: code).status == "pending")

            let response = try await app.send(
                .POST, "/api/v1/admin/reports/\(id)/publish", headers: ["Authorization": "Bearer \(token)"],
                json: ["publicDescription": "Достаточно длинное публичное описание.", "precision": "km1"])
            #expect(response.status == .ok)
            let report = try await app.report(receipt: code)
            #expect(report.status == "published" && report.publicPrecision == "km1")
            let point = PublicLocation.Point(
                latitude: try #require(report.publicLatitude), longitude: try #require(report.publicLongitude))
            #expect(PublicLocation.snap(point, cellMetres: 1000) == point)
            #expect(
                point
                    == PublicLocation.make(
                        latitude: report.latitude, longitude: report.longitude, precision: .km1,
                        cityCentre: .init(latitude: 43.252, longitude: 76.912), key: app.secrets.locationKey))

            let again = try await app.send(
                .POST, "/api/v1/admin/reports/\(id)/publish", headers: ["Authorization": "Bearer \(token)"],
                json: ["publicDescription": "Достаточно длинное публичное описание."])
            #expect(again.status == .conflict)

            let audit = try await app.send(.GET, "/api/v1/admin/audit", headers: ["Authorization": "Bearer \(token)"])
            let entries = try audit.content.decode([AdminAPIController.AuditDTO].self)
            #expect(entries.count == 1)
            #expect(entries[0].actor == account.email && entries[0].action == "publish" && entries[0].reportId == id)
            #expect(entries[0].detail.contains("pending → published"))
            #expect(!entries[0].detail.contains("😡"))
        }
    }

    @Test func rejectingNeedsAKnownReason() async throws {
        try await withApp { app in
            let code = try await app.submitReport()
            let (_, token) = try await app.makeModerator()
            let id = try await app.report(receipt: code).requireID()
            for body in [["reason": "нет"], ["reasonCode": "boring"]] {
                let response = try await app.send(
                    .POST, "/api/v1/admin/reports/\(id)/reject", headers: ["Authorization": "Bearer \(token)"],
                    json: body)
                #expect(response.status == .badRequest)
                #expect(try errorFields(response)["reasonCode"] != nil)
            }
            #expect(try await app.report(receipt: code).status == "pending")
            let unknown = try await app.send(
                .POST, "/api/v1/admin/reports/\(UUID())/reject", headers: ["Authorization": "Bearer \(token)"],
                json: ["reasonCode": "spam"])
            #expect(unknown.status == .notFound)
        }
    }

    @Test func passwordsAreHashedWithBcrypt() async throws {
        try await withApp { app in
            let (account, token) = try await app.makeModerator()
            #expect(account.passwordHash.hasPrefix("$2"))
            #expect(!account.passwordHash.contains("correct horse"))
            let stored = try await APIToken.query(on: app.db).first()
            #expect(stored?.tokenHash == TokenHashing.sha256(token))
            #expect(try await AccountService.account(forToken: token, on: app.db)?.id == account.id)
            await #expect(throws: AppError.self) {
                _ = try await AccountService.create(
                    email: "weak@example.org", password: "short", role: .moderator, mustChangePassword: false, app: app,
                    on: app.db)
            }
        }
    }
}
