import Fluent
import Foundation
import TelegramKit
import Vapor

/// The main menu and what its entries do; language and city pickers.
extension BotFlow {
    /// Menu entries work at any time. Starting a report, a check or the self-check begins a
    /// conversation; the others answer and leave any conversation as it was.
    func menuAction(
        _ action: String, argument: String?, state: BotState?, language: Language
    ) async throws
        -> Outcome
    {
        switch action {
        case "report", "self", "check":
            if let state, state.step.isReport {
                return Outcome(
                    state: state,
                    replies: [.send(esc(text("bot_report_in_progress", state.language)), nil), try await prompt(state)])
            }
            let first: BotStep = action == "report" ? .role : action == "self" ? .selfCheck : .checkCode
            let fresh = BotState(language: language, step: first)
            let intro = action == "report" ? "bot_report_intro" : action == "self" ? "bot_selfcheck_intro" : nil
            var replies: [BotReply] = []
            if let intro { replies.append(.send(esc(text(intro, language)), nil)) }
            replies.append(try await prompt(fresh))
            return Outcome(state: fresh, replies: replies)
        case "help":
            if let argument {
                return Outcome(state: state, replies: try await helpDirectory(city: argument, language: language))
            }
            return Outcome(
                state: state,
                replies: [
                    .send(
                        bold(text("help_heading", language)) + "\n\n" + esc(text("help_lead", language)),
                        .inline(
                            try await cityPicker(language) { ButtonData.menu(language, "help", $0) }))
                ])
        case "stats":
            if let argument {
                return Outcome(state: state, replies: [try await statistics(city: argument, language: language)])
            }
            var picker = try await cityPicker(language) { ButtonData.menu(language, "stats", $0) }
            picker.inlineKeyboard.insert(
                [
                    InlineKeyboardButton(
                        text: text("stats_scope_all", language), callbackData: ButtonData.menu(language, "stats", "all")
                    )
                ], at: 0)
            return Outcome(
                state: state,
                replies: [
                    .send(
                        bold(text("stats_title", language)) + "\n\n" + esc(text("stats_lead", language)),
                        .inline(picker))
                ])
        case "guides":
            if let argument, let guide = try await GuideLibrary.find(argument, on: db) {
                return Outcome(
                    state: state,
                    replies: [
                        .send(
                            BotFormat.guide(guide, language: language),
                            .inline(
                                InlineKeyboardMarkup([
                                    [
                                        menuButton("guides", "bot_all_guides", language),
                                        menuButton("menu", "bot_main_menu", language),
                                    ]
                                ])))
                    ])
            }
            return Outcome(state: state, replies: [try await guideList(language)])
        case "about":
            let about = [
                text("bot_about", language), text("footer_privacy", language), text("footer_emergency", language),
            ]
            .map(esc).joined(separator: "\n\n")
            return Outcome(state: state, replies: [.send(about, nil), menu(language)])
        case "lang":
            return Outcome(
                state: state,
                replies: [
                    .send(esc(text("bot_choose_language", language)), .inline(languagePicker(selected: language)))
                ])
        default:  // "menu", and the language buttons, which are menu buttons in that language
            var kept = state
            kept?.language = language
            return Outcome(state: kept, replies: [menu(language)])
        }
    }

    func menu(_ language: Language) -> BotReply {
        let rows = [
            [menuButton("report", "bot_menu_report", language)],
            [menuButton("help", "bot_menu_help", language)],
            [menuButton("guides", "bot_menu_guides", language), menuButton("self", "bot_menu_selfcheck", language)],
            [menuButton("check", "bot_menu_check", language), menuButton("stats", "bot_menu_stats", language)],
            [menuButton("about", "bot_menu_about", language)],
            [menuButton("lang", "bot_menu_language", language)],
        ]
        return .send(esc(text("bot_menu", language)), .inline(InlineKeyboardMarkup(rows)))
    }

    func menuButton(_ action: String, _ key: String, _ language: Language) -> InlineKeyboardButton {
        InlineKeyboardButton(text: text(key, language), callbackData: ButtonData.menu(language, action))
    }

    func languagePicker(selected: Language) -> InlineKeyboardMarkup {
        InlineKeyboardMarkup([
            Language.allCases.map { language in
                InlineKeyboardButton(
                    text: (language == selected ? "✓ " : "") + language.nativeName,
                    callbackData: ButtonData.menu(language, "menu"))
            }
        ])
    }

    func cityPicker(_ language: Language, data: (String) -> String) async throws -> InlineKeyboardMarkup {
        let buttons = try await allCities(on: db).map {
            InlineKeyboardButton(text: $0.name(language), callbackData: data($0.id ?? ""))
        }
        return InlineKeyboardMarkup(
            stride(from: 0, to: buttons.count, by: 3).map { Array(buttons[$0..<min($0 + 3, buttons.count)]) })
    }

    /// The statistics' headline for a city, or all of Kazakhstan, in words; with a link to the
    /// page when the site's address is known.
    func statistics(city slug: String, language: Language) async throws -> BotReply {
        let cities = try await cityIndex(db)
        var filters = IncidentFilters()
        if slug != "all" {
            guard cities[slug] != nil else { return menu(language) }
            filters.city = slug
        }
        let statistics = try await StatisticsQueries.cached(filters, app: app, on: db)
        let words = StatisticsWords(
            statistics: statistics, cityNames: cities.compactMapValues { $0.name(language) },
            text: { text($0, language) })
        let scope = cities[slug]?.name(language) ?? text("stats_scope_all", language)
        var lines = [
            bold(text("stats_heading", language) + " — " + scope),
            esc(text("stats_count", language) + ": " + words.display(statistics.total)),
        ]
        lines += words.headline().map(esc)
        if let site = app.config.publicURL {
            let address =
                site.absoluteString.hasSuffix("/") ? String(site.absoluteString.dropLast()) : site.absoluteString
            lines.append(esc(address + "/stats?lang=" + language.rawValue + (slug == "all" ? "" : "&city=" + slug)))
        }
        return .send(
            lines.joined(separator: "\n\n"),
            .inline(
                InlineKeyboardMarkup([
                    [menuButton("stats", "bot_other_city", language), menuButton("menu", "bot_main_menu", language)]
                ])))
    }
}
