import Foundation
import TelegramKit
import Vapor

/// The question a conversation is waiting on.
enum BotStep: String, Codable, Sendable, CaseIterable {
    // The report of SPEC §2, in the order the questions are asked.
    case role, date, datePick, timeBand, location, city, landmark, placeType, kinds, perpetrator, relation, count
    case prevented, preventedBy, description, recurrence, toldWhom, toldOutcome, ageBand, gender, contact, consent
    case summary, editMenu
    // Checking or withdrawing a report by its receipt code, and answering the moderators.
    case checkCode, checkShown, withdrawConfirm, checkAnswer, notifyConfirm
    // The self-check questionnaire.
    case selfCheck

    /// The three conversations a step can belong to; each has a file of its own.
    enum Conversation { case report, check, selfCheck }

    var conversation: Conversation {
        switch self {
        case .checkCode, .checkShown, .withdrawConfirm, .checkAnswer, .notifyConfirm: .check
        case .selfCheck: .selfCheck
        default: .report
        }
    }

    var isReport: Bool { conversation == .report }

    /// Steps answered by typing rather than with buttons.
    var takesText: Bool {
        [.datePick, .landmark, .description, .contact, .checkCode, .checkAnswer].contains(self)
    }
}

/// Everything a conversation remembers between two messages. Stored as JSON in
/// ``BotConversation``; `version` lets a later release read or discard older shapes.
struct BotState: Codable, Sendable {
    static let currentVersion = 1

    var version = BotState.currentVersion
    var language: Language
    var step: BotStep
    /// Grows with every question; buttons carry it, so a button of an earlier question is known as such.
    var turn = 1
    /// Steps answered so far, for /back.
    var history: [BotStep] = []
    /// The answers of a report in progress, in the API's own shape, so the website's
    /// validation checks them. The contact waits in `contactSealed` instead.
    var draft = ReportInput()
    /// Sealed with the contact key, as in the report itself; opened only to show and store it.
    var contactSealed: String?
    /// The answer being changed came from the summary: go back there after it.
    var editing = false
    var selfCheckIndex = 0
    var selfCheckYes: [String] = []
    /// The report found by its receipt code, while the person decides whether to delete it.
    var reportID: UUID?

    init(language: Language, step: BotStep) {
        self.language = language
        self.step = step
    }
}

/// What one update does, as plain values: tested without a network, carried out by ``BotRunner``.
enum BotReply: Sendable, Equatable {
    /// A new message, split when long.
    case send(String, ReplyMarkup?)
    /// Removes the buttons of an answered question, so a second tap does nothing.
    case dropButtons(messageID: Int64)
    /// New buttons on the same message, for the ticks of a multiple choice.
    case replaceButtons(messageID: Int64, InlineKeyboardMarkup)
}

/// What the person did, reduced to what the conversation needs. Names, user names and ids of
/// the update are left behind here.
enum BotInput: Sendable, Equatable {
    case command(String)
    case text(String)
    case location(latitude: Double, longitude: Double, place: String?)
    /// A tapped button: its data and the message it was under.
    case button(String, messageID: Int64?)
    /// A photo, sticker, file or anything else without text.
    case unreadable
}

/// Button data: `m:<lang>:<action>[:<argument>]` for menu buttons, which work at any time,
/// and `s:<turn>:<value>` for answers, which are valid only for the question they belong to.
enum ButtonData {
    static func menu(_ language: Language, _ action: String, _ argument: String? = nil) -> String {
        checked(["m", language.rawValue, action, argument].compactMap { $0 }.joined(separator: ":"))
    }

    /// Guide slugs come from administrators; a button is shown only when its data fits.
    static func fits(_ language: Language, _ action: String, _ argument: String) -> Bool {
        TelegramText.isValidCallbackData("m:\(language.rawValue):\(action):\(argument)")
    }

    static func answer(_ turn: Int, _ value: String) -> String {
        checked("s:\(turn):\(value)")
    }

    private static func checked(_ data: String) -> String {
        precondition(TelegramText.isValidCallbackData(data), "callback data over 64 bytes: \(data)")
        return data
    }

    enum Parsed: Equatable {
        case menu(Language, action: String, argument: String?)
        case answer(turn: Int, value: String)
        case unknown
    }

    static func parse(_ data: String) -> Parsed {
        let parts = data.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
        if parts.count >= 3, parts[0] == "m", let language = Language(rawValue: parts[1]) {
            return .menu(language, action: parts[2], argument: parts.count > 3 ? parts[3] : nil)
        }
        if parts.count >= 3, parts[0] == "s", let turn = Int(parts[1]) {
            return .answer(turn: turn, value: parts[2...].joined(separator: ":"))
        }
        return .unknown
    }
}
