import Fluent
import SQLKit
import Testing
import Vapor

@testable import App

/// SPEC §5 and rule 3: the embedded database writes ahead and syncs every commit.
@Suite struct DurabilityTests {
    struct Pragma: Decodable {
        var value: String
    }

    @Test(.enabled(if: !testsUsePostgres)) func everySQLiteConnectionIsDurable() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dauys-durable-\(UUID())").path
        try await withApp({ config in
            config.dataDirectory = folder
            config.database = .sqliteFile(path: folder + "/dauys.sqlite")
        }) { app in
            for loop in app.eventLoopGroup.makeIterator() {
                let sql = try #require(
                    app.databases.database(.sqlite, logger: app.logger, on: loop) as? any SQLDatabase)
                func read(_ pragma: String) async throws -> String {
                    let row = try await sql.raw(SQLQueryString("PRAGMA \(pragma)")).first()
                    let column = try #require(row?.allColumns.first)
                    if let number = try? row?.decode(column: column, as: Int.self) { return String(number) }
                    return try #require(try row?.decode(column: column, as: String.self))
                }
                #expect(try await read("journal_mode") == "wal")
                #expect(try await read("synchronous") == "2")  // FULL
                #expect(try await read("foreign_keys") == "1")
                #expect(try await read("busy_timeout") == "10000")
            }
            try await app.submitReport()
            #expect(FileManager.default.fileExists(atPath: folder + "/dauys.sqlite-wal"))
        }
    }

    /// A report acknowledged by one server process is there for the next one.
    @Test(.enabled(if: !testsUsePostgres)) func anAcknowledgedReportSurvivesARestart() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dauys-restart-\(UUID())").path
        let useFile: (inout AppConfig) -> Void = { config in
            config.dataDirectory = folder
            config.database = .sqliteFile(path: folder + "/dauys.sqlite")
        }
        var code = ""
        try await withApp(useFile) { app in code = try await app.submitReport() }
        try await withApp(useFile) { app in
            let report = try await app.report(receipt: code)
            #expect(report.status == "pending")
        }
    }
}
