import Foundation
import Testing

@testable import TelegramKit

/// Real payloads from the Bot API notes decode into the few fields the bot uses.
@Suite struct UpdateDecodingTests {
    func update(_ name: String) throws -> Update {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Update.self, from: Data(contentsOf: url))
    }

    @Test func aStartCommandKeepsItsSixtyFourBitIds() throws {
        let start = try update("start")
        #expect(start.updateId == 734_001_201)
        guard case .message(let message) = start.kind else { Issue.record("not a message"); return }
        #expect(message.chat.id == 6_123_456_789 && message.chat.isPrivate)
        #expect(message.command == "start")
        #expect(message.from?.languageCode == "ru")
    }

    @Test func locationsAndVenuesArriveAsPoints() throws {
        guard case .message(let pin) = try update("location").kind else { Issue.record("not a message"); return }
        #expect(pin.location?.latitude == 43.238949)
        #expect(pin.replyToMessage?.from?.isBot == true)
        guard case .message(let venue) = try update("venue").kind else { Issue.record("not a message"); return }
        #expect(venue.venue?.title == "ТРЦ Керуен" && venue.location?.longitude == 71.430411)
    }

    @Test func buttonTapsCarryTheirDataAndChat() throws {
        let tap = try update("callback")
        guard case .callbackQuery(let query) = tap.kind else { Issue.record("not a callback"); return }
        #expect(query.data == "r:prevented:yes" && query.id == "4382917365091822157")
        #expect(tap.chat?.id == 6_123_456_789)
    }

    @Test func groupsAndBlocksAreRecognised() throws {
        guard case .message(let group) = try update("group").kind else { Issue.record("not a message"); return }
        #expect(group.chat.kind == .supergroup && group.chat.id == -1_001_987_654_321)
        #expect(group.command == "report")
        guard case .myChatMember(let member) = try update("blocked").kind else {
            Issue.record("not a member update"); return
        }
        #expect(member.isBlock)
    }

    @Test func unknownKindsDecodeAndCanBeAcknowledged() throws {
        let reaction = try update("reaction")
        #expect(reaction.updateId == 734_001_211)
        guard case .unsupported(let key) = reaction.kind else { Issue.record("should be unsupported"); return }
        #expect(key == "message_reaction")
        #expect(reaction.chat == nil)
    }
}

@Suite struct TelegramTextTests {
    @Test func userTextIsEscapedForHTML() {
        #expect(TelegramText.escapeHTML("<b>Ақ & «қара»</b>") == "&lt;b&gt;Ақ &amp; «қара»&lt;/b&gt;")
    }

    @Test func longTextsAreSplitWithinTheLimitWithoutLosingAnything() {
        let paragraph = String(repeating: "Қауіпсіздік маңызды 👩🏽‍🦱 ", count: 120)
        let text = (0..<5).map { "\($0). " + paragraph }.joined(separator: "\n\n")
        #expect(text.utf16.count > 4096)
        let parts = TelegramText.split(text)
        #expect(parts.count > 1)
        for part in parts { #expect(part.utf16.count <= 4096 && !part.isEmpty) }
        let words = { (s: String) in s.split(whereSeparator: { $0 == " " || $0 == "\n" }) }
        #expect(parts.flatMap(words) == words(text))
        #expect(TelegramText.split("short") == ["short"])
        // A text without spaces is still cut, between characters.
        let unbroken = String(repeating: "я", count: 9000)
        #expect(TelegramText.split(unbroken).map(\.utf16.count) == [4096, 4096, 808])
    }

    @Test func callbackDataFitsInSixtyFourBytes() {
        #expect(TelegramText.isValidCallbackData("r:prevented:yes"))
        #expect(!TelegramText.isValidCallbackData(""))
        #expect(!TelegramText.isValidCallbackData(String(repeating: "ә", count: 33)))  // 66 bytes
    }
}
