import Testing

@testable import App

/// Issue #10: what identifies someone is found in realistic Kazakh, Russian and English texts,
/// left out of the proposed public text, and refused at publication.
@Suite struct RedactionTests {
    /// The pieces the check must find in `text`, by kind, and nothing else of a blocking kind.
    struct Case: CustomTestStringConvertible, Sendable {
        var text: String
        var expected: [(Redaction.Kind, String)]
        var testDescription: String { String(text.prefix(40)) }
    }

    static let cases: [Case] = [
        Case(
            text: "Мне писал Иван Петров, +7 701 555 1234, почта ivan@corp.kz, просил не говорить никому.",
            expected: [(.person, "Иван Петров"), (.phone, "+7 701 555 1234"), (.email, "ivan@corp.kz")]),
        Case(
            text: "Начальник отдела звонил мне ночью с номера 8 (701) 555-12-34 и требовал приехать.",
            expected: [(.phone, "8 (701) 555-12-34")]),
        Case(
            text: "Таксист с машиной 123 ABC 02 всю дорогу трогал меня за колено. Номер телефона 87015551234.",
            expected: [(.plate, "123 ABC 02"), (.phone, "87015551234")]),
        Case(
            text: "Он узнал мой ИИН 900101350123 из договора и стал писать в телеграм @ivan_petrov_88.",
            expected: [(.iin, "900101350123"), (.handle, "@ivan_petrov_88")]),
        Case(
            text: "Требовал перевести деньги на карту 4400 4301 2345 6789, иначе выложит фото.",
            expected: [(.card, "4400 4301 2345 6789")]),
        Case(
            text: "Он выложил мои фото на https://instagram.com/some.page и подписал оскорблениями.",
            expected: [(.url, "https://instagram.com/some.page")]),
        Case(
            text: "Бастығым Серік Әбдірахманов маған түнде +77015551234 нөмірінен жазады.",
            // A sentence's first word joins a name that follows it: it is often the first name.
            expected: [(.person, "Бастығым Серік Әбдірахманов"), (.phone, "+77015551234")]),
        Case(
            text:
                "Аялдамада бір жігіт артымнан еріп, телефонымды сұрады. Кейін 8-701-555-12-34 нөмірінен қоңырау шалды.",
            expected: [(.phone, "8-701-555-12-34")]),
        Case(
            text: "Мұғалім Асқар Тұрсынұлы сабақтан кейін қалдырып, бағамды төмендетемін деп қорқытты.",
            expected: [(.person, "Мұғалім Асқар Тұрсынұлы")]),
        Case(
            text: "Көршіміз 777 KZA 01 көлігімен мені үйге дейін аңдиды.",
            expected: [(.plate, "777 KZA 01")]),
        Case(
            text: "My manager John Smith keeps texting me at +44 20 7946 0958 after work.",
            expected: [(.person, "John Smith"), (.phone, "+44 20 7946 0958")]),
        Case(
            text: "Коллега И. Петров распускает слухи обо мне в чате отдела.",
            expected: [(.person, "Петров")]),
        Case(
            text: "Мужчина в маршрутке №32 прижимался и шептал гадости. Я вышла на остановке у ЦУМа.",
            expected: []),
        Case(
            text: "Жду ответа на почту aigerim.k@mail.ru или в WhatsApp 701 555 12 34.",
            expected: [(.email, "aigerim.k@mail.ru"), (.phone, "701 555 12 34")]),
        Case(
            text: "Директор школы Марат Ерланович вызывал к себе и говорил, что я «слишком красиво одеваюсь».",
            expected: [(.person, "Марат Ерланович")]),
        Case(
            text: "Он нашёл меня через vk.com/id123456 и пишет каждый день.",
            expected: [(.url, "vk.com/id123456")]),
        Case(
            text: "Городской номер офиса 8 (7172) 55-12-34, спросите Айгуль из бухгалтерии.",
            expected: [(.phone, "8 (7172) 55-12-34"), (.person, "Айгуль")]),
        Case(
            text: "Водитель автобуса А 123 ВС номер маршрута 12 отпускал комментарии, другой пассажир заступился.",
            expected: [(.plate, "А 123 ВС")]),
        Case(
            text: "Сосед звонит с номера 555-12-34 и стучит в дверь по ночам.",
            expected: [(.phone, "555-12-34")]),
        Case(
            text: "Это случилось 12.03.2024 около 18:30 в парке. Было около 20 человек, никто не помог.",
            expected: []),
        Case(
            text: "Жұмыста Динара Маратқызы бәрінің көзінше мені мазақ етті. Менің БСН 123456789012.",
            expected: [(.person, "Жұмыста Динара Маратқызы"), (.iin, "123456789012")]),
        Case(
            text: "Алматыда, Абай даңғылында бейтаныс адам ысқырып, соңымнан жүрді.",
            expected: [(.name, "Абай")]),
        Case(
            text: "Ivan wrote to me on Telegram from t.me/ivan_petrov every night in January.",
            // Issue #21: a common first name opening a sentence is proposed too.
            expected: [(.person, "Ivan"), (.url, "t.me/ivan_petrov")]),
    ]

    @Test(arguments: cases) func findsWhatIdentifiesSomeone(_ example: Case) {
        let found = Redaction.findings(in: example.text).map { ($0.kind, String(example.text[$0.range])) }
        #expect(found.map(\.0) == example.expected.map(\.0), "\(found)")
        #expect(found.map(\.1) == example.expected.map(\.1), "\(found)")
    }

    @Test(arguments: cases) func theProposalLeavesNothingThatBlocksPublication(_ example: Case) {
        let proposal = Redaction.proposal(for: example.text) { "[\($0.rawValue)]" }
        #expect(Redaction.blockingKinds(in: proposal).isEmpty, "\(proposal)")
        for (_, piece) in example.expected { #expect(!proposal.contains(piece), "\(proposal)") }
        // What is not identifying stays as the reporter wrote it.
        if example.expected.isEmpty { #expect(proposal == example.text) }
    }

    @Test func theSegmentsRebuildTheOriginalWithTheFindingsMarked() {
        let text = Self.cases[0].text
        let segments = Redaction.segments(of: text)
        #expect(segments.map(\.text).joined() == text)
        #expect(segments.compactMap(\.kind) == ["person", "phone", "email"])
    }

    // MARK: Issue #21: identifiers in disguise

    struct Disguised: CustomTestStringConvertible, Sendable {
        var kind: Redaction.Kind
        var text: String
        var testDescription: String { "\(kind.rawValue): \(text.prefix(50))" }
    }

    static let disguised = RedactionCorpus.disguised.map { Disguised(kind: $0.0, text: $0.1) }
    static let reportersWords = "Совсем другой текст, который написала сама пострадавшая."

    @Test func theCorpusIsLargeAndCoversEveryBlockingKind() {
        #expect(Self.disguised.count >= 150)
        #expect(Set(Self.disguised.map(\.kind)) == Set(Redaction.Kind.allCases.filter(\.blocksPublication)))
        #expect(RedactionCorpus.innocent.count >= 40)
    }

    @Test(arguments: disguised) func thePublishCheckRefusesEveryDisguisedIdentifierAndNamesIt(_ entry: Disguised) {
        do {
            _ = try ModerationService.publishablePublicDescription(entry.text, original: Self.reportersWords)
            Issue.record("published: \(entry.text)")
        } catch let error as AppError {
            #expect(error.fields["publicDescription"] == "error_public_identifying")
            let named = error.fieldArguments["publicDescription"] ?? []
            #expect(named.contains("redaction_kind_" + entry.kind.rawValue), "\(named)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    /// What is found maps back to the original's own characters: the marked runs rebuild it
    /// exactly, and the proposal with placeholders holds nothing that blocks publication.
    @Test(arguments: disguised) func aFindingInDisguiseIsARangeOfTheOriginal(_ entry: Disguised) {
        let segments = Redaction.segments(of: entry.text)
        #expect(segments.map(\.text).joined() == entry.text)
        #expect(segments.contains { $0.kind == entry.kind.rawValue })
        let proposal = Redaction.proposal(for: entry.text) { "[\($0.rawValue)]" }
        #expect(Redaction.blockingKinds(in: proposal).isEmpty, "\(proposal)")
    }

    @Test(arguments: RedactionCorpus.innocent) func ordinaryProseIsNotBlocked(_ text: String) throws {
        #expect(Redaction.blockingKinds(in: text).isEmpty, "\(Redaction.findings(in: text).map(\.kind))")
        _ = try ModerationService.publishablePublicDescription(text, original: Self.reportersWords)
    }

    /// The finding covers the spelled-out words themselves, so the proposal leaves none of them.
    @Test func spelledOutNumbersAreFoundWordForWord() {
        let cases = [
            (
                "Звони: восемь семьсот один пятьсот пятьдесят пять двенадцать тридцать четыре, вечером.",
                "восемь семьсот один пятьсот пятьдесят пять двенадцать тридцать четыре"
            ),
            (
                "Нөмірі сегіз жеті жүз бір бес жүз елу бес он екі отыз төрт, кешке.",
                "сегіз жеті жүз бір бес жүз елу бес он екі отыз төрт"
            ),
            (
                "Call eight seven oh one five five five twenty-one thirty-four tonight.",
                "eight seven oh one five five five twenty-one thirty-four"
            ),
            ("Номер 8 семьсот 01 пятьсот пятьдесят пять 12 34 он дал.", "8 семьсот 01 пятьсот пятьдесят пять 12 34"),
        ]
        for (text, number) in cases {
            let found = Redaction.findings(in: text).map { ($0.kind, String(text[$0.range])) }
            #expect(found.map(\.0) == [.phone] && found.map(\.1) == [number], "\(found)")
        }
        // Words that are numbers only among numbers stay words.
        #expect(Redaction.findings(in: "Он 3 раза звонил, и он пришёл в 8 утра.").isEmpty)
    }

    @Test func invisibleCharactersAreRefusedAndLeftOutOfTheProposal() {
        let text = "Он шёл\u{200B} за мной\u{202E} до самого дома."
        #expect(Redaction.blockingKinds(in: text) == [.invisible])
        #expect(Redaction.proposal(for: text) { "[\($0.rawValue)]" } == "Он шёл за мной до самого дома.")
        // Inside a phone number the phone is named and the invisible character too.
        #expect(Redaction.blockingKinds(in: "Номер 8701\u{200B}5551234 у него.") == [.phone, .invisible])
        // An emoji drawn with a joiner hides nothing.
        #expect(Redaction.blockingKinds(in: "Мне было страшно 👩\u{200D}👧 и мы ушли.").isEmpty)
    }

    /// Twelve digits are an IIN when the check digit holds or the text calls them one; twelve
    /// that fail the check are still refused, as a number that reaches someone.
    @Test func twelveDigitsAreAnIINByTheirCheckDigit() {
        #expect(Redaction.iinCheck([9, 0, 0, 1, 0, 1, 3, 5, 0, 1, 2, 2]))
        #expect(!Redaction.iinCheck([9, 0, 0, 1, 0, 1, 3, 5, 0, 1, 2, 3]))
        // 123456789012 needs the second weights (3…11, 1, 2): its check digit would be 3.
        #expect(Redaction.iinCheck([1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 3]))
        #expect(Redaction.blockingKinds(in: "В анкете было 9001 0135 0122 и подпись.") == [.iin])
        #expect(Redaction.blockingKinds(in: "В анкете было 9001 0135 0123 и подпись.") == [.phone])
        #expect(Redaction.blockingKinds(in: "Его ИИН 9001 0135 0123 был в анкете.") == [.iin])
    }

    @Test func cardsPassLuhnAndIBANsPassMod97() {
        #expect(Redaction.blockingKinds(in: "Карта 4400 4301 2345 6789 у него.") == [.card])
        // Sixteen digits that fail Luhn are not called a card (but still refused as a number).
        #expect(Redaction.blockingKinds(in: "Номер 4400 4301 2345 6788 у него.") == [.phone])
        #expect(Redaction.blockingKinds(in: "Счёт KZ86 125K ZT50 0410 0100 у него.") == [.iban])
        #expect(Redaction.blockingKinds(in: "Счёт KZ87 125K ZT50 0410 0100 у него.") != [.iban])
    }

    /// A common first name or a surname's ending names a person wherever it stands, and blocks
    /// publication (SPEC §2); any other capitalised word is only proposed.
    @Test func aKnownNameBlocksPublicationAndOtherCapitalisedWordsAreProposed() {
        let people: [(String, [String])] = [
            ("Айгерим, мне страшно было идти домой одной.", ["Айгерим"]),
            ("Айгеримге жаздым, бірақ ол жауап бермеді.", ["Айгеримге"]),
            ("Петрова сказала всем в отделе, что я виновата.", ["Петрова"]),
            ("Асқар Тұрсынұлы мені сабақтан кейін қалдырды.", ["Асқар Тұрсынұлы"]),
            ("Nurlan called me three times that night.", ["Nurlan"]),
            ("Начальник Ерлан Сапаров кричал на меня.", ["Начальник Ерлан Сапаров"]),
            ("Преподаватель Асанов А.Б. задерживал меня.", ["Преподаватель Асанов А.Б."]),
            ("Это сделал Данияр Нурланұлы.", ["Данияр Нурланұлы"]),
        ]
        for (text, names) in people {
            let found = Redaction.findings(in: text)
            #expect(found.allSatisfy { $0.kind == .person }, "\(text)")
            #expect(found.map { String(text[$0.range]) } == names, "\(text)")
            #expect(Redaction.blockingKinds(in: text) == [.person])
        }
        let proposed: [(String, [String])] = [
            ("Он ждал у магазина Рахмет весь вечер.", ["Рахмет"]),
            ("Мужчина шёл за мной. Снова он. Один раз он остановился.", []),
            ("Сегодня утром он снова писал мне.", []),
            ("Алматыда, Абай даңғылында бейтаныс адам ысқырып жүрді.", ["Абай"]),
            ("Он приехал из Алматы в Шымкент вслед за мной.", []),
        ]
        for (text, names) in proposed {
            let found = Redaction.findings(in: text)
            #expect(found.allSatisfy { $0.kind == .name }, "\(text)")
            #expect(found.map { String(text[$0.range]) } == names, "\(text)")
            #expect(Redaction.blockingKinds(in: text).isEmpty, "\(text)")
        }
    }

    /// Issue #21: the reporter's words with look-alike letters of the other script are still
    /// the reporter's words.
    @Test func lookAlikeLettersDoNotHideTheOriginal() {
        let original = "Он шёл за мной от остановки до самого подъезда и молчал всю дорогу."
        // Latin o, e, a, p, c, x, y, k, m, t, h, b in place of Cyrillic letters.
        let latin = "Oн шёл зa мнoй oт ocтaнoвки дo caмoгo пoдъeздa и мoлчaл вcю дopoгy."
        #expect(latin != original)
        #expect(Redaction.isSameText(latin, original))
        #expect(Redaction.isSameText("ТОТ ХМЫРЬ", "TOT XMЫPЬ"))
        do {
            _ = try ModerationService.publishablePublicDescription(latin, original: original)
            Issue.record("published the original in Latin letters")
        } catch let error as AppError {
            #expect(error.fields["publicDescription"] == "error_public_is_original")
        } catch {
            Issue.record("unexpected \(error)")
        }
        let quoting = "Было так: oн шёл зa мнoй oт ocтaнoвки дo caмoгo пoдъeздa, a пoтoм ушёл."
        #expect(PublicText.quotedRun(in: quoting, from: original) != nil)
        // And the other way: Cyrillic look-alikes in an English original.
        let english = "He followed me from the bus stop to my door and said nothing."
        let cyrillic = "Неllо: hе fоllоwеd mе frоm thе bus stор tо my dооr, then left."
        #expect(PublicText.quotedRun(in: cyrillic, from: english) != nil)
        #expect(!Redaction.isSameText("Он шёл за мной.", "Кто-то шёл за ней."))
    }

    @Test func sameWordsAreTheSameTextWhateverTheSpacingOrCase() {
        #expect(Redaction.isSameText("Он шёл  за мной.\n", " он ШЁЛ за мной."))
        #expect(!Redaction.isSameText("Он шёл за мной.", "Кто-то шёл за ней."))
    }
}
