import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import App

/// Issue #21, finding 2: the public text is never the reporter's words by default. The proposal
/// is written from the answers, and every save of a public text — publish, bulk, "save without
/// publishing" on a published report, the API — goes through one check.
@Suite struct PublicTextTests {
    /// A description full of what must never reach the map, with words no label holds.
    static let original =
        "Айгерим Сапарова из бухгалтерии звонит мне с +7 701 555 12 34 и пишет @aigerim_s, а по вечерам стоит у подъезда и смотрит в мои окна до самой ночи."
    static let distinctive = [
        "Айгерим", "Сапарова", "бухгалтерии", "звонит", "555", "aigerim", "вечерам", "подъезда", "смотрит", "окна",
    ]

    let translations: Translations

    init() throws {
        translations = try Translations.load(from: DirectoryConfiguration.detect().resourcesDirectory + "Locales")
    }

    /// A report as stored, with only the answers a proposal reads.
    static func answers(
        language: String, role: String = "victim", place: String = "street", band: String? = "evening",
        time: String? = nil, kinds: [HarassmentKind] = [.catcalling, .verbal], perpetrator: String = "stranger",
        relation: String? = nil, count: String = "one", preventedBy: String?? = .some(nil),
        description: String = original
    ) -> Report {
        let report = Report()
        report.language = language
        report.role = role
        report.placeType = place
        report.timeBand = band
        report.incidentTime = time
        report.kinds = kinds
        report.perpetrator = perpetrator
        report.perpetratorRelation = relation
        report.perpetratorCount = count
        // nil: not stopped; .some(nil): stopped, nobody named; .some(x): stopped by x.
        report.prevented = preventedBy != nil
        report.preventedBy = preventedBy ?? nil
        report.description = description
        report.publicDescription = nil
        return report
    }

    /// The words of a text, lower-cased.
    static func words(_ text: String) -> Set<String> {
        Set(text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init))
    }

    @Test func theProposalIsASentenceFromTheAnswersInTheReportsLanguage() {
        let cases: [(Report, String)] = [
            (
                Self.answers(language: "ru", preventedBy: nil),
                "Домогательства на улице вечером. Что произошло: выкрики и свист вслед; комментарии, шутки, оскорбления. "
                    + "Это сделал незнакомый человек. Остановить это не удалось. "
                    + "Сообщение от человека, с которым это случилось."
            ),
            (
                Self.answers(
                    language: "kk", role: "witness", place: "workplace", band: nil, time: "09:30", kinds: [.coercion],
                    perpetrator: "known", relation: "superior", preventedBy: "staff"),
                "Жұмыс орнында таңертең болған оқиға. Не болды: бір нәрсенің орнына жыныстық қатынас талап ету. "
                    + "Мұны таныс адам жасады — басынан өткен адамның басшысы, мұғалімі немесе оқытушысы. "
                    + "Бұл әрекетті қызметкерлер (күзет, жүргізуші, жұмыс беруші) тоқтатты. Хабарламаны куәгер жіберді."
            ),
            (
                Self.answers(
                    language: "en", place: "online", band: nil, kinds: [.cyber, .stalking], perpetrator: "known",
                    relation: "partner", count: "group"),
                "Harassment online. What happened: harassment online; following or watching (stalking). "
                    + "A group did it, including someone they knew: a partner or former partner. It was stopped. "
                    + "Reported by the person it happened to."
            ),
            (
                Self.answers(
                    language: "ru", role: "witness", place: "public_transport", band: "night", kinds: [.physical],
                    perpetrator: "known", relation: "acquaintance", preventedBy: "self"),
                "Домогательства в общественном транспорте ночью. Что произошло: нежелательные прикосновения. "
                    + "Это сделал знакомый человек. Человек, с которым это случилось, смог остановить это сам. "
                    + "Сообщение от очевидца."
            ),
            (
                Self.answers(
                    language: "kk", place: "residential", band: "afternoon", kinds: [.economic, .other],
                    perpetrator: "known", relation: "relative", count: "group", preventedBy: nil),
                "Үйде немесе тұрғын аулада түстен кейін болған оқиға. Не болды: экономикалық қысым; басқа әрекет. "
                    + "Мұны бір топ адам жасады, олардың арасында таныс адам болды — басынан өткен адамның туысы. "
                    + "Бұл әрекет тоқтатылмады. Хабарламаны басынан өткен адамның өзі жіберді."
            ),
            (
                Self.answers(
                    language: "en", role: "witness", place: "taxi", kinds: [.verbal], count: "group",
                    preventedBy: "police"),
                "Harassment in a taxi in the evening. What happened: comments, jokes or insults. "
                    + "A group of strangers did it. The police stopped it. Reported by a witness."
            ),
        ]
        for (report, expected) in cases {
            let proposal = ModerationService.proposedPublicDescription(report, translations: translations)
            #expect(proposal == expected)
            #expect(throws: Never.self) {
                try ModerationService.publishablePublicDescription(proposal, original: report.description)
            }
        }
        // A draft a moderator saved is offered as it is.
        let drafted = Self.answers(language: "en")
        drafted.publicDescription = "A moderator's own retelling of what happened that evening."
        #expect(
            ModerationService.proposedPublicDescription(drafted, translations: translations)
                == "A moderator's own retelling of what happened that evening.")
    }

    /// Every answer of every question, in every language: the proposal holds the labels of the
    /// answers, only words of the proposal templates, not one word of the description, and
    /// passes the publication check (length included).
    @Test func everyAnswerMakesAProposalThatPassesTheCheckAndHoldsNoWordOfTheOriginal() throws {
        for language in Language.allCases {
            let code = language.rawValue
            func text(_ key: String) -> String { translations.text(key, language) }
            let vocabulary = translations.table(language).filter { $0.key.hasPrefix("proposal_") }.values
                .reduce(into: Set<String>()) { $0.formUnion(Self.words($1)) }
            var variants: [(Report, [String])] = []
            for place in PlaceType.allCases {
                variants.append(
                    (Self.answers(language: code, place: place.rawValue), ["proposal_place_" + place.rawValue]))
            }
            for band in TimeBand.allCases {
                variants.append((Self.answers(language: code, band: band.rawValue), ["proposal_time_" + band.rawValue]))
            }
            for kind in HarassmentKind.allCases {
                variants.append((Self.answers(language: code, kinds: [kind]), ["proposal_kind_" + kind.rawValue]))
            }
            variants.append(
                (
                    Self.answers(language: code, kinds: HarassmentKind.allCases),
                    HarassmentKind.allCases.map { "proposal_kind_" + $0.rawValue }
                ))
            for count in PerpetratorCount.allCases {
                variants.append(
                    (Self.answers(language: code, count: count.rawValue), ["proposal_who_stranger_" + count.rawValue]))
                variants.append(
                    (
                        Self.answers(language: code, perpetrator: "known", count: count.rawValue),
                        ["proposal_who_known_\(count.rawValue)_unsaid"]
                    ))
                for relation in PerpetratorRelation.allCases where relation != .acquaintance {
                    variants.append(
                        (
                            Self.answers(
                                language: code, perpetrator: "known", relation: relation.rawValue,
                                count: count.rawValue),
                            ["proposal_relation_" + relation.rawValue]
                        ))
                }
            }
            variants.append((Self.answers(language: code, preventedBy: nil), ["proposal_prevented_no"]))
            variants.append((Self.answers(language: code), ["proposal_prevented_yes"]))
            for by in PreventedBy.allCases {
                variants.append(
                    (Self.answers(language: code, preventedBy: by.rawValue), ["proposal_prevented_by_" + by.rawValue]))
            }
            for role in ReporterRole.allCases {
                variants.append((Self.answers(language: code, role: role.rawValue), ["proposal_role_" + role.rawValue]))
            }
            for (report, keys) in variants {
                let proposal = ModerationService.proposedPublicDescription(report, translations: translations)
                for key in keys {
                    let label = text(key).replacingOccurrences(of: "{relation}", with: "")
                    #expect(proposal.lowercased().contains(label.lowercased()), "\(code) \(key): \(proposal)")
                }
                #expect(Self.words(proposal).isSubset(of: vocabulary), "\(code): \(proposal)")
                for word in Self.distinctive { #expect(!proposal.contains(word), "\(code): \(proposal)") }
                #expect(!proposal.contains("{") && !proposal.contains("proposal_"), "\(code): \(proposal)")
                #expect(ReportRules.descriptionLength.contains(proposal.count))
                #expect(throws: Never.self, "\(code): \(proposal)") {
                    try ModerationService.publishablePublicDescription(proposal, original: report.description)
                }
            }
        }
    }

    @Test func eightWordsInARowFromTheOriginalAreTheReportersWords() {
        let original = "Он каждый вечер ждал меня у выхода из метро и шёл следом до самого дома."
        // Case, punctuation, spacing, full-width letters and a zero-width space hide nothing.
        for copied in [
            "Мужчина, по словам автора, каждый вечер ждал меня у выхода из метро. Больше ничего.",
            "КАЖДЫЙ  вечер — ждал меня, у выхода из метро!",
            "каждый вечер ждал ме\u{200B}ня у выхода из метро",
        ] {
            #expect(PublicText.quotedRun(in: copied, from: original) != nil, "\(copied)")
        }
        #expect(
            PublicText.quotedRun(
                in: "ｗａｉｔｅｄ for me at the exit of the metro",
                from: "He waited for me at the exit of the metro every evening.") != nil)
        #expect(
            PublicText.quotedRun(in: "Потом каждый вечер ждал меня у выхода из метро.", from: original)
                == "каждый вечер ждал меня у выхода из метро")
        // Seven words in a row, or the same words in another order, are a retelling.
        for retold in [
            "Он каждый вечер ждал меня у выхода, потом шёл следом.",
            "У выхода из метро он ждал её каждый вечер и шёл до дома следом.",
        ] {
            #expect(PublicText.quotedRun(in: retold, from: original) == nil, "\(retold)")
        }
        // An original shorter than eight words is quoted when the text holds all of it.
        #expect(
            PublicText.quotedRun(
                in: "Коротко: мужчина трогал меня в автобусе утром, и никто не помог.",
                from: "Мужчина трогал меня в автобусе утром") != nil)
    }

    @Test func theDemoDataRetellingsPassTheCheck() {
        for (language, stories) in DemoData.stories {
            for story in stories {
                #expect(throws: Never.self, "\(language): \(story.retold)") {
                    try ModerationService.publishablePublicDescription(story.retold, original: story.told)
                }
            }
        }
    }

    // MARK: Through the running server

    /// The description of every incident on the public map.
    static func mapTexts(_ app: Application) async throws -> [String] {
        let body = try await app.send(.GET, "/api/v1/incidents?perPage=100").body.string
        let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        let features = object?["features"] as? [[String: Any]] ?? []
        return features.compactMap { ($0["properties"] as? [String: Any])?["description"] as? String }
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }

    @Test func savingWithoutPublishingAPublishedReportIsCheckedAndChangesNothingWhenRefused() async throws {
        try await withApp { app in
            let code = try await app.submitReport(["description": Self.original])
            let live = "Незнакомец преследовал и оскорблял на улице вечером."
            try await app.publish(receipt: code, text: live)
            let id = try await app.report(receipt: code).requireID()
            let session = try await app.signIn()
            func name(_ kind: String) -> String { app.translations.text("redaction_kind_" + kind, .en) }
            for (text, found) in [
                ("Незнакомец преследовал на улице, его номер +7 701 555 12 34, вечером.", name("phone")),
                ("Незнакомец преследовал на улице и писал с аккаунта @aigerim_s вечером.", name("handle")),
                (Self.original, app.translations.text("error_public_is_original", .en)),
                (
                    "Говорят, по вечерам стоит у подъезда и смотрит в мои окна, и это пугает.",
                    "по вечерам стоит у подъезда и смотрит в"
                ),
            ] {
                let refused = try await app.send(
                    .POST, "/admin/reports/\(id)/save?lang=en", headers: ["Cookie": session.cookie],
                    form: [("publicDescription", text), ("csrf", session.csrf)])
                #expect(refused.status == .badRequest, "\(text)")
                #expect(refused.body.string.contains(Self.escaped(found)), "\(text)")
                let report = try await app.report(receipt: code)
                #expect(report.status == "published" && report.publicDescription == live)
                #expect(try await Self.mapTexts(app) == [live])
            }
            // The panel answers in the moderator's language.
            let russian = try await app.send(
                .POST, "/admin/reports/\(id)/save?lang=ru", headers: ["Cookie": session.cookie],
                form: [("publicDescription", "Писал с @aigerim_s каждый вечер после работы."), ("csrf", session.csrf)])
            #expect(russian.body.string.contains(Self.escaped(app.translations.text("redaction_kind_handle", .ru))))
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "edit_public_description").count() == 0)

            // A retelling that passes is saved and is public at once.
            let better = "Незнакомец преследовал человека у дома вечером и оскорблял."
            let saved = try await app.send(
                .POST, "/admin/reports/\(id)/save", headers: ["Cookie": session.cookie],
                form: [("publicDescription", better), ("csrf", session.csrf)])
            #expect(saved.status == .ok)
            #expect(try await Self.mapTexts(app) == [better])
        }
    }

    @Test func aDraftOfAPendingReportIsCheckedToo() async throws {
        try await withApp { app in
            let code = try await app.submitReport(["description": Self.original])
            let id = try await app.report(receipt: code).requireID()
            let session = try await app.signIn()
            let refused = try await app.send(
                .POST, "/admin/reports/\(id)/save?lang=en", headers: ["Cookie": session.cookie],
                form: [("publicDescription", "Звонил на 8 701 555 12 34 много раз."), ("csrf", session.csrf)])
            #expect(refused.status == .badRequest)
            // The refused text is shown again for the moderator to fix; nothing was stored.
            #expect(refused.body.string.contains("Звонил на 8 701 555 12 34 много раз."))
            #expect(try await app.report(receipt: code).publicDescription == nil)
        }
    }

    @Test func theAdminAPIRefusesAQuotedOriginalAndLeavesAnEarlierTextAsItWas() async throws {
        try await withApp { app in
            let code = try await app.submitReport(["description": Self.original])
            let live = "Незнакомец преследовал и оскорблял на улице вечером."
            try await app.publish(receipt: code, text: live)
            let id = try await app.report(receipt: code).requireID()
            let (_, token) = try await app.makeModerator(role: .moderator)
            let auth: HTTPHeaders = ["Authorization": "Bearer \(token)", "Accept-Language": "en"]

            // Published: the API has no way to change the text; publishing again is a conflict.
            let again = try await app.send(
                .POST, "/api/v1/admin/reports/\(id)/publish", headers: auth,
                json: ["publicDescription": "Ждёт у подъезда, телефон +7 701 555 12 34."])
            #expect(again.status == .conflict)
            #expect(try await app.report(receipt: code).publicDescription == live)

            // Taken down, then published again: the new text passes the same check.
            let rejected = try await app.send(
                .POST, "/api/v1/admin/reports/\(id)/reject", headers: auth, json: ["reasonCode": "duplicate"])
            #expect(rejected.status == .ok)
            for (text, words) in [
                ("Ждёт у подъезда, телефон +7 701 555 12 34.", [app.translations.text("redaction_kind_phone", .en)]),
                (
                    "Пишет с аккаунта @aigerim_s почти каждый день.",
                    [app.translations.text("redaction_kind_handle", .en)]
                ),
                (
                    "Автор пишет, что стоит у подъезда и смотрит в мои окна до самой ночи.",
                    ["стоит у подъезда и смотрит в мои окна"]
                ),
            ] {
                let refused = try await app.send(
                    .POST, "/api/v1/admin/reports/\(id)/publish", headers: auth, json: ["publicDescription": text])
                #expect(refused.status == .badRequest, "\(text)")
                let message = try #require(try errorFields(refused)["publicDescription"])
                for word in words { #expect(message.contains(word), "\(message)") }
                let report = try await app.report(receipt: code)
                #expect(report.status == "rejected" && report.publicDescription == live)
            }
        }
    }
}
