import Fluent
import Foundation
import TelegramKit
import Vapor

/// The bot's longer messages, in Telegram's HTML. Every piece of text that comes from a person
/// or the database is escaped; only the `<b>` tags written here are markup.
enum BotFormat {
    private static func esc(_ text: String) -> String { TelegramText.escapeHTML(text) }
    private static func bold(_ text: String) -> String { "<b>" + esc(text) + "</b>" }

    /// A day typed as `DD.MM.YYYY`, `DD/MM/YYYY`, `DD-MM-YYYY` or `YYYY-MM-DD`, as `YYYY-MM-DD`.
    static func parseDay(_ typed: String) -> String? {
        let text = typed.trimmingCharacters(in: .whitespacesAndNewlines)
        if KazakhstanTime.isValidDay(text) { return text }
        let parts = text.split(whereSeparator: { $0 == "." || $0 == "/" || $0 == "-" }).map(String.init)
        guard parts.count == 3, parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let day = Int(parts[0]), let month = Int(parts[1]), parts[2].count == 4
        else { return nil }
        let iso = String(format: "%@-%02d-%02d", parts[2], month, day)
        return KazakhstanTime.isValidDay(iso) ? iso : nil
    }

    /// The city whose centre is nearest to a point (good enough at Kazakhstan's latitudes).
    static func nearest(_ cities: [City], latitude: Double, longitude: Double) -> City? {
        let scale = cos(latitude * .pi / 180)
        return cities.min { a, b in
            func distance(_ city: City) -> Double {
                let dx = (city.longitude - longitude) * scale
                let dy = city.latitude - latitude
                return dx * dx + dy * dy
            }
            return distance(a) < distance(b)
        }
    }

    /// The label of the question a step asks, as the summary and the edit menu show it.
    static func label(for step: BotStep) -> String {
        switch step {
        case .location, .city: "field_location"
        case .count: "field_perpetratorCount"
        case .consent: "field_publishConsent"
        case .date, .datePick: "field_date"
        default: "field_" + step.rawValue
        }
    }

    /// Every answer of a report in progress, for a last look before sending.
    static func summary(
        _ draft: ReportInput, contactSealed: String?, language: Language, translations: Translations,
        contactKey: SymmetricKey,
        on database: any Database
    ) async throws -> String {
        func t(_ key: String) -> String { translations.text(key, language) }
        func line(_ fact: ReportFacts.Fact) -> String {
            bold(fact.label) + ": " + (fact.value.map(esc) ?? "<i>" + esc(t("bot_not_given")) + "</i>")
        }
        let cities = try await cityIndex(database)
        let facts = ReportFacts(draft, contact: contactSealed.flatMap { ContactSealing.open($0, key: contactKey) })
        func lines(_ fields: [ReportFacts.Field]) -> [String] {
            facts.facts(fields, cityName: { cities[$0]?.name(language) }, text: t).map(line)
        }
        // The place in a chat's words: the city, and whether a point was shared.
        var place = draft.city.flatMap { cities[$0]?.name(language) } ?? ""
        if draft.latitude != nil { place += " — " + t("bot_point_on_map") }
        let location = ReportFacts.Fact(
            field: "location", label: t("field_location"), value: place.isEmpty ? nil : place)
        return
            ([bold(t("bot_summary_heading")), ""] + lines([.role, .date, .timeBand]) + [line(location)]
            + lines([
                .landmark, .placeType, .kinds, .perpetrator, .perpetratorRelation, .perpetratorCount, .prevented,
                .preventedBy, .description, .recurrence, .toldWhom, .toldOutcome, .ageBand, .gender, .contact,
                .publishConsent,
            ])).joined(separator: "\n")
    }

    /// The receipt code, shown once, with what happens next.
    static func receipt(_ code: String, language: Language, translations: Translations) -> String {
        func t(_ key: String) -> String { esc(translations.text(key, language)) }
        return [
            "<b>" + t("receipt_heading") + "</b>",
            t("receipt_code_label") + ": <code>" + esc(code) + "</code>",
            t("receipt_save_hint"),
            t("receipt_next_moderation"),
            t("bot_receipt_check"),
            t("receipt_thanks"),
        ].joined(separator: "\n\n")
    }

    /// The personal action plan: its steps, then whom to call in that city.
    static func plan(
        _ steps: [String], lines: [ActionPlan.Line], language: Language, translations: Translations
    )
        -> String
    {
        func t(_ key: String) -> String { esc(translations.text(key, language)) }
        var text = ["<b>" + t("plan_heading") + "</b>"]
        text += steps.enumerated().map { "\($0.offset + 1). " + t($0.element) }
        text.append("<b>" + t("plan_lines_heading") + "</b>")
        text += lines.map { line in
            "• " + esc(line.name) + (line.hasPhones ? " — " + esc(line.phones.joined(separator: ", ")) : "")
        }
        return text.joined(separator: "\n\n")
    }

    /// Where to get help in a city: its own entries, or a word that there are none yet, then
    /// the nationwide lines.
    static func directory(
        _ listing: HotlineDirectory.Listing, city: City, language: Language, translations: Translations
    ) -> String {
        func t(_ key: String) -> String { esc(translations.text(key, language)) }
        func entry(_ hotline: Hotline) -> String {
            var text = "• <b>" + esc(hotline.name(language)) + "</b>"
            if !hotline.phones.isEmpty { text += " — " + esc(hotline.phones.joined(separator: ", ")) }
            let about = hotline.about(language)
            if !about.isEmpty { text += "\n" + esc(about) }
            let hours = hotline.hours(language)
            if !hours.isEmpty { text += "\n" + t("help_hours") + ": " + esc(hours) }
            return text
        }
        var parts = [
            "<b>" + t("help_heading") + " — " + esc(city.name(language)) + "</b>",
            "<b>" + t("help_urgent_heading") + "</b>\n" + t("help_urgent_text"),
        ]
        if listing.local.isEmpty {
            parts.append(
                esc(
                    translations.text("help_no_local", language).replacingOccurrences(
                        of: "{city}", with: city.name(language))))
        } else {
            parts.append("<b>" + t("help_local_heading") + "</b>")
            parts += listing.local.map(entry)
        }
        parts.append("<b>" + t("help_national_heading") + "</b>")
        parts += listing.nationwide.map(entry)
        return parts.joined(separator: "\n\n")
    }

    /// A guide's safe Markdown as Telegram HTML: headings and `**bold**` in bold, bullets as •.
    static func guide(_ guide: Guide, language: Language) -> String {
        func inline(_ text: String) -> String {
            SafeMarkdown.inline(text, escape: TelegramText.escapeHTML, bold: ("<b>", "</b>"))
        }
        var lines = ["<b>" + esc(guide.title(language)) + "</b>", "<i>" + esc(guide.summary(language)) + "</i>", ""]
        for line in SafeMarkdown.lines(guide.body(language)) {
            switch line {
            case .blank: lines.append("")
            case .heading(let text): lines += ["", "<b>" + inline(text) + "</b>"]
            case .ordered(let number, let text): lines.append(number + ". " + inline(text))
            case .bullet(let text): lines.append("• " + inline(text))
            case .text(let text): lines.append(inline(text))
            }
        }
        return lines.joined(separator: "\n").replacingOccurrences(of: "\n\n\n", with: "\n\n")
    }

    /// What the reporter learns with the receipt code: the status and, if it was not
    /// published, why. Never the moderators' notes or anything else.
    static func status(_ receipt: ReceiptView, language: Language, translations: Translations) -> String {
        let words = receipt.words { translations.text($0, language) }
        var text = [
            "<b>" + esc(translations.text("check_status_label", language)) + "</b> " + esc(words.status),
            esc(words.explanation),
        ]
        if let reason = words.reason {
            var line = "<b>" + esc(translations.text("check_reason_label", language)) + "</b> " + esc(reason)
            if let note = receipt.rejectionReason, !note.isEmpty { line += "\n" + esc(note) }
            text.append(line)
        }
        if !receipt.messages.isEmpty {
            text.append("<b>" + esc(translations.text("thread_heading", language)) + "</b>")
            for line in FollowUp.lines(receipt.messages, forReporter: true, text: { translations.text($0, language) }) {
                text.append("<i>" + esc(line.who + " · " + line.written) + "</i>\n" + esc(line.text))
            }
        }
        return text.joined(separator: "\n\n")
    }
}
