import Foundation
import Testing

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
}
