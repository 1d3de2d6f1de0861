import Fluent
import Foundation
import TelegramKit
import Vapor

/// One answer being applied to a conversation: the input, the conversation's state, what to
/// send back, and the moves every question shares — go on to the next question, ask again
/// with a reason, read a button's choice. Each conversation answers in its own file.
struct BotTurn {
    let flow: BotFlow
    let input: BotInput
    /// The tapped button's value; nil for typed input.
    let value: String?
    var state: BotState
    var outcome: BotFlow.Outcome

    var language: Language { state.language }
    var messageID: Int64? { if case .button(_, let id) = input { id } else { nil } }
    var typed: String? { if case .text(let text) = input { text } else { nil } }
    var app: Application { flow.app }
    var db: any Database { flow.db }
    var today: String { flow.today }

    /// Refuses typed text where a button is expected and the other way round, then lets the
    /// conversation under way take the answer.
    mutating func answer() async throws {
        if state.step.takesText {
            if let value, value != "skip" { return try await retry("bot_write_text") }
            if case .unreadable = input {
                return try await retry(state.step == .description ? "bot_no_files" : "bot_write_text")
            }
            if case .location = input { return try await retry("bot_write_text") }
        } else if state.step != .location, value == nil {
            return try await retry("bot_use_buttons")
        }
        switch state.step.conversation {
        case .report: try await answerReport()
        case .check: try await answerCheck()
        case .selfCheck: try await answerSelfCheck()
        }
    }

    /// Drops the answered question's buttons and asks the next one.
    mutating func advance(_ next: BotStep? = nil, acknowledge: String? = nil) async throws {
        if let messageID { outcome.replies.append(.dropButtons(messageID: messageID)) }
        if let acknowledge { outcome.replies.append(.send(acknowledge, .removeKeyboard)) }
        let target = next ?? flow.nextStep(after: state.step, draft: state.draft)
        state.history.append(state.step)
        if state.editing && !flow.isFollowUp(target, of: state.step) {
            state.step = .summary
            state.editing = false
        } else {
            state.step = target
        }
        state.turn += 1
        outcome.replies.append(try await flow.prompt(state))
    }

    /// Says what was wrong and asks the same question again.
    mutating func retry(_ key: String) async throws {
        outcome.replies.append(.send(esc(text(key, language)), nil))
        outcome.replies.append(try await flow.prompt(state))
    }

    /// The tapped button's value as one of an enumeration's cases.
    func choice<E: RawRepresentable>(_ type: E.Type) -> E? where E.RawValue == String {
        value.flatMap(E.init(rawValue:))
    }

    func text(_ key: String, _ language: Language) -> String { flow.text(key, language) }
    func esc(_ text: String) -> String { flow.esc(text) }
    func bold(_ text: String) -> String { flow.bold(text) }
    func menu(_ language: Language) -> BotReply { flow.menu(language) }
    func menuButton(_ action: String, _ key: String, _ language: Language) -> InlineKeyboardButton {
        flow.menuButton(action, key, language)
    }
    func kindsKeyboard(_ state: BotState) -> InlineKeyboardMarkup { flow.kindsKeyboard(state) }
    func toldKeyboard(_ state: BotState) -> InlineKeyboardMarkup { flow.toldKeyboard(state) }
    func admitted(_ category: String, rule: RateLimitRule) async throws -> Bool {
        try await flow.admitted(category, rule: rule)
    }
    func selfCheckResult(_ answers: Set<String>, language: Language) async throws -> BotReply {
        try await flow.selfCheckResult(answers, language: language)
    }
}

/// How a question is asked: its text and its buttons, which carry the conversation's turn so
/// a button of an earlier question is recognised.
struct BotQuestion {
    let flow: BotFlow
    let state: BotState

    /// Buttons in rows of `columns`, with a "skip" row when the question may be skipped.
    func options(_ pairs: [(String, String)], columns: Int = 1, skip: Bool = false) -> ReplyMarkup {
        let buttons = pairs.map {
            InlineKeyboardButton(text: $0.1, callbackData: ButtonData.answer(state.turn, $0.0))
        }
        var rows = stride(from: 0, to: buttons.count, by: columns).map {
            Array(buttons[$0..<min($0 + columns, buttons.count)])
        }
        if skip {
            rows.append([
                InlineKeyboardButton(
                    text: flow.text("bot_skip", state.language), callbackData: ButtonData.answer(state.turn, "skip"))
            ])
        }
        return .inline(InlineKeyboardMarkup(rows))
    }

    /// Every case of an enumeration with its translated label under `prefix`.
    func labelled<E: RawRepresentable & CaseIterable>(_ type: E.Type, prefix: String) -> [(String, String)]
    where E.RawValue == String {
        E.allCases.map { ($0.rawValue, flow.text(prefix + $0.rawValue, state.language)) }
    }

    func ask(_ key: String, _ markup: ReplyMarkup?) -> BotReply {
        .send(flow.esc(flow.text(key, state.language)), markup)
    }
}
