import Foundation
import Testing

@testable import App

/// Issue #16: the Kazakh texts — interface strings, bot messages, guides, FAQ, help lines —
/// hold none of the calques, case errors and wrong words a review found, and no Latin or
/// Russian word outside a short list of names (`Resources/Locales/TERMS.md`).
@Suite struct KazakhTextTests {
    /// Every Kazakh text the product shows, with where it comes from.
    static func kazakhTexts() throws -> [(place: String, text: String)] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Resources")
        var texts: [(String, String)] = []
        let strings = try JSONDecoder().decode(
            [String: String].self, from: Data(contentsOf: root.appendingPathComponent("Locales/kk.json")))
        texts += strings.map { ("kk.json " + $0.key, $0.value) }
        func walk(_ value: Any, _ path: String) {
            if let object = value as? [String: Any] {
                for (key, inner) in object {
                    if key == "kk", let text = inner as? String {
                        texts.append((path, text))
                    } else {
                        walk(inner, path + "/" + key)
                    }
                }
            } else if let array = value as? [Any] {
                for (index, inner) in array.enumerated() { walk(inner, path + "[\(index)]") }
            }
        }
        for file in ["guides", "faq", "hotlines"] {
            let data = try Data(contentsOf: root.appendingPathComponent("Content/\(file).json"))
            walk(try JSONSerialization.jsonObject(with: data), file)
        }
        return texts
    }

    /// Calques and wrong words, with the reason each is wrong.
    static let forbidden: [(pattern: String, why: String)] = [
        ("балаға жыныстық қудалау", "қудалау takes the accusative: баланы"),
        ("балаларға жыныстық қудалау", "қудалау takes the accusative: балаларды"),
        ("мұны шыдау", "шыдау takes the dative: бұған"),
        ("тоқтатуға мүмкін", "мүмкін takes the bare verbal noun: тоқтату мүмкін"),
        ("қоя алуын қаласаңыз", "calque: қоя алсын десеңіз"),
        ("жолаушы", "a passenger, not a bystander"),
        ("сөзсіз", "reads 'undoubtedly': сөзбен емес"),
        ("кептеліс", "a traffic jam, not a crowd"),
        ("пікірлер", "opinions, not comments: ерсі сөздер"),
        ("мән беріңіз", "'pay attention', not 'give a value': мәнін көрсетіңіз"),
        ("жұбайы немесе бұрынғы жұбайы", "a spouse only: жұбайы, жігіті не қызы"),
        ("жақындық", "reads 'closeness': жыныстық қатынас"),
        ("өзіңізді тексеру", "calque: жағдайыңызды тексеру"),
        ("не деген не", "calque: негізгі ұғымдар"),
        ("екінші адам", "calque: ол адам"),
        ("журналын жүргізіңіз", "calque: күнделікке жазып отырыңыз"),
        ("шағыммен", "calque: шағымды қарау"),
        ("болып табылады", "officialese calque: the plain predicate"),
        ("закон и порядок", "Russian name in Kazakh text: describe the police section"),
        ("оқиға болған адам", "one term: басынан өткен адам"),
        ("ашық карта", "one term: жалпы карта"),
        ("жария карта", "one term: жалпы карта"),
        ("email", "English: электрондық пошта"),
        ("геоорын", "Telegram has no Kazakh label to quote: name the 📎 icon"),
    ]

    /// Latin words a Kazakh text may hold: names, and literal technical tokens of the API and
    /// the downloads (parameter names, formats, file names, an example code).
    static let latinAllowed: Set<String> = [
        "Dauys", "Telegram", "eGov", "Mobile", "Kaspi", "Halyk", "App", "Store", "Play", "Market", "OpenStreetMap",
        "Creative", "Commons", "BY", "CC", "API", "CSV", "GeoJSON", "JSON", "PDF", "QR", "SHA", "SUMS", "sha", "sum",
        "c", "UTF", "IP", "ID", "SIM", "SOS", "Q", "Esc", "cookie", "Content-Type", "application", "next", "from",
        "city", "almaty", "ABCD-EFGH-JKLM-NPQR",
    ]

    @Test func noKnownCalqueOrWrongWordComesBack() throws {
        for (place, text) in try Self.kazakhTexts() {
            // Placeholders such as {email} are filled in, not read.
            let lower = text.replacing(/\{[a-z_]+\}/, with: "").lowercased()
            for (pattern, why) in Self.forbidden {
                #expect(!lower.contains(pattern), "\(place): «\(pattern)» — \(why)")
            }
            // "аудан" is a district; the area of a cell or a point is "аумақ".
            #expect(text.firstMatch(of: /(^|[^\p{L}])аудан([^\p{L}дқ]|$)/) == nil, "\(place): аудан for an area")
            // "Маған … қорқытты": the object of қорқыту is "мені".
            #expect(text.firstMatch(of: /^Маған[^.]*, қорқытты/) == nil, "\(place): мені қорқытты")
        }
    }

    @Test func rejectingIsNeverCalledCancelling() throws {
        let english = try JSONDecoder().decode(
            [String: String].self,
            from: Data(
                contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                    .deletingLastPathComponent().appendingPathComponent("Resources/Locales/en.json")))
        for (place, text) in try Self.kazakhTexts() where place.hasPrefix("kk.json ") {
            let key = String(place.dropFirst("kk.json ".count))
            if english[key]?.lowercased().contains("reject") == true {
                #expect(!text.lowercased().contains("бас тарту"), "\(key): reject is қабылдамау")
            }
        }
    }

    @Test func kazakhTextsHoldNoLatinOrRussianWordsButNames() throws {
        let russianOnly: Set<String> = [
            "и", "или", "для", "это", "что", "как", "по", "при", "также", "который", "которые",
        ]
        for (place, text) in try Self.kazakhTexts() {
            // Placeholders, bot commands and addresses are not words.
            let words = text.replacing(/\{[a-z_]+\}/, with: "").replacing(/\/[a-z_]+/, with: "")
                .replacing(/https?:\/\/\S+/, with: "")
            for match in words.matches(of: /[A-Za-z][A-Za-z-]*[A-Za-z]|[A-Za-z]/) {
                #expect(Self.latinAllowed.contains(String(match.output)), "\(place): «\(match.output)»")
            }
            for match in words.matches(of: /[\p{L}]+/) where russianOnly.contains(String(match.output).lowercased()) {
                Issue.record("\(place): Russian «\(match.output)»")
            }
        }
    }
}
