import Fluent
import Foundation
import TelegramKit
import Vapor

/// Help inside Telegram: the directory by city, the guides, and the self-check as a button quiz
/// with the website's outcomes (``SelfCheck``).
extension BotTurn {
    mutating func answerSelfCheck() async throws {
        switch state.step {
        case .selfCheck:
            guard value == "yes" || value == "no" else { return try await retry("error_choice") }
            let questions = SelfCheck.conditions + SelfCheck.behaviours
            if value == "yes" { state.selfCheckYes.append(questions[state.selfCheckIndex]) }
            state.selfCheckIndex += 1
            if state.selfCheckIndex < questions.count {
                return try await advance(.selfCheck)
            }
            if let messageID { outcome.replies.append(.dropButtons(messageID: messageID)) }
            outcome.replies.append(try await selfCheckResult(Set(state.selfCheckYes), language: language))
            outcome.state = nil

        default: try await retry("bot_use_buttons")
        }
    }
}

extension BotFlow {
    func selfCheckPrompt(_ state: BotState) async throws -> BotReply {
        let q = BotQuestion(flow: self, state: state)
        let language = state.language
        switch state.step {
        case .selfCheck:
            let questions = SelfCheck.conditions + SelfCheck.behaviours
            let index = min(state.selfCheckIndex, questions.count - 1)
            let progress = text("bot_question_of", language).replacingOccurrences(of: "{n}", with: String(index + 1))
                .replacingOccurrences(of: "{total}", with: String(questions.count))
            return .send(
                esc(progress) + "\n" + esc(text("selfcheck_q_" + questions[index], language)),
                q.options([("yes", text("bot_yes", language)), ("no", text("bot_no", language))], columns: 2))

        default: return menu(language)
        }
    }

    func helpDirectory(city slug: String, language: Language) async throws -> [BotReply] {
        guard let city = try await City.find(slug, on: db) else { return [menu(language)] }
        let listing = try await HotlineDirectory.listing(city: city.id, on: db)
        return [
            .send(
                BotFormat.directory(listing, city: city, language: language, translations: app.translations),
                .inline(
                    InlineKeyboardMarkup([
                        [menuButton("help", "bot_other_city", language), menuButton("menu", "bot_main_menu", language)]
                    ])))
        ]
    }

    func guideList(_ language: Language) async throws -> BotReply {
        let guides = try await GuideLibrary.visible(on: db)
        var rows = guides.filter { ButtonData.fits(language, "guides", $0.slug) }.map {
            [InlineKeyboardButton(text: $0.title(language), callbackData: ButtonData.menu(language, "guides", $0.slug))]
        }
        rows.append([menuButton("menu", "bot_main_menu", language)])
        return .send(
            bold(text("guides_title", language)) + "\n" + esc(text("guides_lead", language)),
            .inline(InlineKeyboardMarkup(rows)))
    }

    func selfCheckResult(_ answers: Set<String>, language: Language) async throws -> BotReply {
        let result = SelfCheck.evaluate(answers)
        var lines = [
            bold(text("selfcheck_outcome_" + result.outcome.rawValue, language)),
            esc(text("selfcheck_outcome_" + result.outcome.rawValue + "_text", language)),
        ]
        lines += result.notes.map { esc(text($0, language)) }
        var rows: [[InlineKeyboardButton]] = []
        for slug in result.guides where ButtonData.fits(language, "guides", slug) {
            if let guide = try await GuideLibrary.find(slug, on: db) {
                rows.append([
                    InlineKeyboardButton(
                        text: guide.title(language), callbackData: ButtonData.menu(language, "guides", slug))
                ])
            }
        }
        if !rows.isEmpty { lines.append(esc(text("selfcheck_guides", language))) }
        rows.append([menuButton("report", "bot_menu_report", language)])
        rows.append([menuButton("help", "bot_menu_help", language), menuButton("menu", "bot_main_menu", language)])
        return .send(lines.joined(separator: "\n\n"), .inline(InlineKeyboardMarkup(rows)))
    }
}
