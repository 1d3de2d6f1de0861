import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App

@Suite struct ReceiptCodeTests {
    @Test func codesAreSixteenCharactersInFourGroupsWithoutLookAlikes() {
        for _ in 0..<200 {
            let code = ReceiptCode.generate()
            #expect(code.count == 19)
            let groups = code.split(separator: "-")
            #expect(groups.count == 4 && groups.allSatisfy { $0.count == 4 })
            #expect(code.replacingOccurrences(of: "-", with: "").allSatisfy(ReceiptCode.alphabet.contains))
            #expect(!code.contains { "01IO".contains($0) })
        }
    }

    @Test func codesDoNotRepeat() {
        let codes = Set((0..<2000).map { _ in ReceiptCode.generate() })
        #expect(codes.count == 2000)
    }

    @Test func typedCodesAreForgiving() {
        #expect(ReceiptCode.normalize("abcd-efgh-jkmn-pqrs") == "ABCD-EFGH-JKMN-PQRS")
        #expect(ReceiptCode.normalize(" ABCD EFGH JKMN PQRS ") == "ABCD-EFGH-JKMN-PQRS")
        #expect(ReceiptCode.normalize("ABCDEFGHJKMNPQRS") == "ABCD-EFGH-JKMN-PQRS")
        // Typed on a Russian keyboard: Cyrillic А, В, С, Е, Н, К, М, Р look like Latin letters.
        #expect(ReceiptCode.normalize("АВСЕ-НКМР-2345-6789") == "ABCE-HKMP-2345-6789")
    }

    @Test func impossibleCodesAreRefused() {
        for typed in [
            "", "ABCD", "ABCD-EFGH-JKMN-PQR0", "ABCD-EFGH-JKMN-PQRS-T", "ABCD-EFGH-JKMN-PQR!",
            String(repeating: "A", count: 10_000),
        ] {
            #expect(ReceiptCode.normalize(typed) == nil, "\(typed.prefix(30))")
        }
    }

    /// Reports sent before receipt codes were stored as keyed hashes keep their bcrypt hash;
    /// their reporters' codes still open them, and only theirs.
    @Test func aCodeStoredWithBcryptStillOpensItsReport() async throws {
        try await withApp { app in
            let code = try await app.submitReport()
            let report = try await app.report(receipt: code)
            report.receiptHash = try await app.slowHash(code)
            try await report.save(on: app.db)
            #expect(report.receiptHash.hasPrefix("$2"))
            let look = try await app.send(.POST, "/api/v1/receipt", json: ["code": code])
            #expect(look.status == .ok)
            var wrong = Array(code)
            wrong[0] = wrong[0] == "A" ? "B" : "A"
            #expect(try await ReportService.find(receipt: String(wrong), app: app, on: app.db) == nil)
        }
    }

    @Test func aKeyedHashAcceptsOnlyItsCode() async throws {
        try await withApp { app in
            let code = ReceiptCode.generate(), other = ReceiptCode.generate()
            let stored = ReceiptCode.keyedHash(for: code, key: app.secrets.receiptHashKey)
            let own = try await ReceiptCode.matches(code, stored: stored, app: app)
            let another = try await ReceiptCode.matches(other, stored: stored, app: app)
            #expect(own && !another)
            // Another server's secret makes another hash.
            let elsewhere = ReceiptCode.keyedHash(for: code, key: SymmetricKey(size: .bits256))
            let acceptedElsewhere = try await ReceiptCode.matches(code, stored: elsewhere, app: app)
            #expect(elsewhere != stored && !acceptedElsewhere)
        }
    }

    @Test func hashesAreWrittenAsTwoHexDigitsPerByte() {
        let bytes = (0...255).map(UInt8.init)
        #expect(bytes.hexString == bytes.map { String(format: "%02x", $0) }.joined())
        #expect([UInt8]().hexString.isEmpty)
    }
}
