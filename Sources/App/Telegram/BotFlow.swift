import Fluent
import Foundation
import TelegramKit
import Vapor

/// The bot's conversations (SPEC §3): the menu, the report, checking and withdrawing a report,
/// the help directory, the guides and the self-check, in Kazakh, Russian and English.
///
/// One call handles one update of one private chat: it reads and returns the conversation
/// state and lists the messages to send. It runs inside the database transaction that also
/// records the update as processed, so its effects happen once.
///
/// This file takes commands and buttons and hands an answer to the conversation under way:
/// `BotReportConversation.swift`, `BotCheckConversation.swift` and `BotHelpConversation.swift`
/// (help and the self-check) each hold one conversation's questions and answers;
/// `BotMenus.swift` the menu; `BotTurn.swift` the moves every question shares.
struct BotFlow {
    let app: Application
    let db: any Database
    /// The keyed hash of the chat: the only thing abuse limits know the chat by.
    let chatKey: String
    /// The chat itself, used for one thing only: keeping it, sealed, when the person asks to
    /// be told that the moderators wrote (``QuestionNotices``).
    var chat: Int64? = nil
    var today = KazakhstanTime.today()

    struct Outcome {
        /// The conversation after this update; nil deletes it.
        var state: BotState?
        var replies: [BotReply] = []
        /// The short notice on a tapped button.
        var notice: String?
        /// A report was stored: the moderators' chat gets a notice.
        var reportSubmitted = false
    }

    /// - Parameters:
    ///   - state: the stored conversation, or nil.
    ///   - fallback: the language to use without a conversation (from the user's app settings, not stored).
    func handle(_ input: BotInput, state: BotState?, fallback: Language) async throws -> Outcome {
        switch input {
        case .command(let command):
            return try await handleCommand(command, state: state, fallback: fallback)
        case .button(let data, let messageID):
            return try await handleButton(data, messageID: messageID, state: state, fallback: fallback)
        case .text, .location, .unreadable:
            guard var state else {
                return Outcome(
                    state: nil, replies: [.send(esc(text("bot_not_understood", fallback)), nil), menu(fallback)])
            }
            var outcome = Outcome(state: state)
            try await answer(input, value: nil, state: &state, outcome: &outcome)
            if outcome.state != nil { outcome.state = state }
            return outcome
        }
    }

    // MARK: Commands and buttons

    /// Commands that do what a menu entry does: command → menu action.
    static let menuCommands = [
        "report": "report", "hotlines": "help", "help_lines": "help", "guides": "guides", "selfcheck": "self",
        "check": "check", "about": "about", "language": "lang", "menu": "menu", "stats": "stats",
    ]

    private func handleCommand(_ command: String, state: BotState?, fallback: Language) async throws -> Outcome {
        let language = state?.language ?? fallback
        if let action = Self.menuCommands[command] {
            return try await menuAction(action, argument: nil, state: state, language: language)
        }
        switch command {
        case "start":
            var replies: [BotReply] = []
            if let state, state.step.isReport {
                replies.append(.send(esc(text("bot_discarded", language)), .removeKeyboard))
            }
            replies.append(.send(esc(text("bot_welcome", language)), .inline(languagePicker(selected: language))))
            return Outcome(state: nil, replies: replies)
        case "cancel":
            let key = state == nil ? "bot_nothing_to_cancel" : "bot_cancelled"
            return Outcome(state: nil, replies: [.send(esc(text(key, language)), .removeKeyboard), menu(language)])
        case "help":
            var replies: [BotReply] = [.send(esc(text("bot_help", language)), nil)]
            if let state { replies.append(try await prompt(state)) } else { replies.append(menu(language)) }
            return Outcome(state: state, replies: replies)
        case "back":
            guard var state else {
                return Outcome(
                    state: nil, replies: [.send(esc(text("bot_nothing_to_cancel", language)), nil), menu(language)])
            }
            guard let previous = state.history.popLast() else {
                return Outcome(
                    state: state,
                    replies: [.send(esc(text("bot_no_earlier_step", language)), nil), try await prompt(state)])
            }
            state.step = previous
            state.turn += 1
            if previous == .selfCheck {
                state.selfCheckIndex = max(0, state.selfCheckIndex - 1)
                let question = SelfCheck.conditions + SelfCheck.behaviours
                state.selfCheckYes.removeAll { $0 == question[state.selfCheckIndex] }
            }
            if previous == .summary || previous == .editMenu { state.editing = false }
            return Outcome(state: state, replies: [try await prompt(state)])
        default:
            var replies: [BotReply] = [.send(esc(text("bot_not_understood", language)), nil)]
            if let state { replies.append(try await prompt(state)) } else { replies.append(menu(language)) }
            return Outcome(state: state, replies: replies)
        }
    }

    private func handleButton(
        _ data: String, messageID: Int64?, state: BotState?, fallback: Language
    ) async throws
        -> Outcome
    {
        switch ButtonData.parse(data) {
        case .menu(let language, let action, let argument):
            var outcome = try await menuAction(action, argument: argument, state: state, language: language)
            if let messageID, ["report", "self", "check"].contains(action) {
                outcome.replies.insert(.dropButtons(messageID: messageID), at: 0)
            }
            return outcome
        case .answer(let turn, let value):
            guard var state, state.turn == turn else {
                return stale(state: state, messageID: messageID, language: state?.language ?? fallback)
            }
            var outcome = Outcome(state: state)
            try await answer(.button(data, messageID: messageID), value: value, state: &state, outcome: &outcome)
            if outcome.state != nil { outcome.state = state }
            return outcome
        case .unknown:
            return stale(state: state, messageID: messageID, language: state?.language ?? fallback)
        }
    }

    /// A button of an earlier question: a polite word, and its buttons go away.
    private func stale(state: BotState?, messageID: Int64?, language: Language) -> Outcome {
        var outcome = Outcome(state: state, notice: text("bot_stale_button", language))
        if let messageID { outcome.replies.append(.dropButtons(messageID: messageID)) }
        if state == nil { outcome.replies.append(menu(language)) }
        return outcome
    }

    // MARK: Answers

    /// Applies an answer to the current question of whichever conversation is under way.
    private func answer(_ input: BotInput, value: String?, state: inout BotState, outcome: inout Outcome) async throws {
        var turn = BotTurn(flow: self, input: input, value: value, state: state, outcome: outcome)
        try await turn.answer()
        state = turn.state
        outcome = turn.outcome
    }

    func admitted(_ category: String, rule: RateLimitRule) async throws -> Bool {
        guard app.config.rateLimits.enabled else { return true }
        return await app.rateLimiter.admit(category: category, client: chatKey, rule: rule) == nil
    }

    // MARK: Questions

    /// The message that asks the current question, with its buttons.
    func prompt(_ state: BotState) async throws -> BotReply {
        switch state.step.conversation {
        case .report: try await reportPrompt(state)
        case .check: try await checkPrompt(state)
        case .selfCheck: try await selfCheckPrompt(state)
        }
    }

    // MARK: Text

    func text(_ key: String, _ language: Language) -> String { app.translations.text(key, language) }
    func esc(_ text: String) -> String { TelegramText.escapeHTML(text) }
    func bold(_ text: String) -> String { "<b>" + TelegramText.escapeHTML(text) + "</b>" }
}
