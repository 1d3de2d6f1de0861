import AsyncHTTPClient
import Fluent
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// Issue #12: the export streams, so memory stays flat at any size. The measure is the whole
/// process's resident memory, which every other test running beside it also moves, so
/// scripts/test.sh runs this suite alone in its own process after the others (its name is
/// skipped in the shared run and then filtered for).
@Suite struct ExportMemoryTests {
    /// The resident memory of this process, in bytes.
    static func residentMemory() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    @Test func aHundredThousandRowsStreamWithFlatMemory() async throws {
        try await withApp({ $0.rateLimits.enabled = false }) { app in
            // 100,000 published incidents with long public texts: about 90 MB of CSV, more than
            // the memory the export may use, so a buffered answer would fail this test.
            let sql = try app.db.sql()
            let text = String(repeating: "Человек шёл следом от остановки и выкрикивал оскорбления. ", count: 12)
            let columns = """
                status, role, incident_date, latitude, longitude, city, place_type, kinds, perpetrator,
                perpetrator_count, prevented, description, publish_consent, source, language, is_demo,
                receipt_lookup, receipt_hash, public_description, public_latitude, public_longitude, public_precision
                """
            let values: SQLQueryString = """
                'published', 'victim', '2025-03-08', 43.25, 76.91, 'almaty', 'street', ',verbal,', 'stranger',
                'one', false, 'x', true, 'web', 'ru', true, 'demo', 'x', \(literal: text), 43.25, 76.91, 'grid250'
                """
            if testsUsePostgres {
                try await sql.raw(
                    "INSERT INTO reports (id, \(unsafeRaw: columns)) SELECT gen_random_uuid(), \(values) FROM generate_series(1, 100000)"
                ).run()
            } else {
                // Fluent keeps UUIDs in SQLite as upper-case text; make them the same way.
                let uuid = """
                    substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-8' || substr(h, 18, 3)
                    || '-' || substr(h, 21, 12)
                    """
                try await sql.raw(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) INSERT INTO reports (id, \(unsafeRaw: columns)) SELECT \(unsafeRaw: uuid), \(values) FROM (SELECT hex(randomblob(16)) AS h FROM n)"
                ).run()
            }
            try await app.server.start(address: .hostname("127.0.0.1", port: 0))
            defer { Task { await app.server.shutdown() } }
            let port = try #require(app.http.server.shared.localAddress?.port)

            let before = Self.residentMemory()
            var peak = before
            var bytes = 0
            var lines = 0
            // A client that asks for no compression: the shared client would ask for gzip and then
            // refuse to inflate this very repetitive text past its ratio limit.
            var configuration = HTTPClient.Configuration()
            configuration.decompression = .disabled
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/export/incidents.csv")
            let response = try await client.execute(request, timeout: .seconds(600))
            #expect(response.headers.first(name: "content-encoding") == nil)
            #expect(response.status == .ok)
            for try await chunk in response.body {
                bytes += chunk.readableBytes
                lines += chunk.readableBytesView.lazy.filter { $0 == UInt8(ascii: "\n") }.count
                peak = max(peak, Self.residentMemory())
            }
            try await client.shutdown()
            #expect(lines == 100_001, "a header and every row")
            #expect(bytes > 80_000_000)
            #expect(peak - before < 50 * 1024 * 1024, "memory grew by \((peak - before) / 1_048_576) MB")
        }
    }
}
