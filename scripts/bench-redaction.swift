// The redaction benchmark of issue #21, compiled by scripts/bench-redaction.sh together with
// the App's redaction sources (optimised, whole module). Times Redaction.findings on crafted
// texts; not part of the test suite.
import Foundation

@main
enum BenchRedaction {
    static func crafted() -> [(String, String)] {
        func repeated(_ piece: String, _ length: Int = 5_000) -> String {
            String(String(repeating: piece, count: length / piece.count + 1).prefix(length))
        }
        return [
            ("5,000 digits", repeated("8")),
            ("digit, separator", repeated("8 ")),
            ("digits and mixed separators", repeated("87.(0)-1/")),
            ("groups of 3 and 2", repeated("555 12 ")),
            ("capitalised words", repeated("Айгерим Петрова ")),
            ("capitalised English words", repeated("John Smith Ivanov ")),
            ("5,000 '@'", repeated("@")),
            ("5,000 '.'", repeated(".")),
            ("'a@' repeated", repeated("a@")),
            ("'a.' repeated", repeated("a.")),
            ("'a . ' repeated", repeated("a . ")),
            ("'ab dot ' repeated", repeated("ab dot ")),
            ("'x at y dot ' repeated", repeated("x at y dot ")),
            ("spelled numbers", repeated("восемь семьсот один пятьсот ")),
            ("look-alikes", repeated("1O1l ")),
            ("plate-like", repeated("123 ABC ")),
            ("IBAN-like", repeated("KZ12 ")),
            ("zero-width between digits", repeated("8\u{200B}")),
            ("bidi overrides", repeated("\u{202E}a")),
            ("full-width digits", repeated("８")),
            ("short sentences", repeated("Ab. ")),
            ("sentences opening with surnames", repeated("Иванова! ")),
            ("'a.b/' repeated", repeated("a.b/")),
            ("long labels and dots", repeated(String(repeating: "a", count: 60) + ".")),
            ("'+7 ' repeated", repeated("+7 ")),
            ("'at ' repeated", repeated("at ")),
            ("single characters spaced", repeated("a ")),
            ("base64 tokens", repeated("ODcwMTU1NTEyMzQ= ")),
            // 4,096 characters (the longest token decoded): "Ivan Petrov " 256 times in base64.
            ("one long base64 token", String(repeating: "SXZhbiBQZXRyb3Yg", count: 256)),
            ("HTML references", repeated("&#56;")),
            ("percent-encoding", repeated("%38")),
            ("letters between digits", repeated("8a")),
            ("'@' and a line break", repeated("@\n")),
            ("prose", repeated("Он шёл за мной от остановки до дома 12.03.2025 в 18:30, 3 раза. ")),
        ]
    }

    static func milliseconds(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
    }

    static func main() {
        let texts = crafted()
        var worst = 0.0
        print("| crafted 5,000-character text | findings | ms (best of 5) |")
        print("|---|---:|---:|")
        for (name, text) in texts {
            var count = 0
            var best = Double.infinity
            for _ in 0..<5 { best = min(best, milliseconds { count = Redaction.findings(in: text).count }) }
            worst = max(worst, best)
            print("| \(name) | \(count) | \(String(format: "%.2f", best)) |")
        }
        // A moderator's page of 50 reports, each a different crafted text.
        let page = (0..<50).map { texts[$0 % texts.count].1 }
        var pageBest = Double.infinity
        for _ in 0..<3 {
            pageBest = min(pageBest, milliseconds { for text in page { _ = Redaction.segments(of: text) } })
        }
        print("")
        print("worst single text: \(String(format: "%.2f", worst)) ms (target ≤ 10 ms)")
        print("page of 50 crafted reports (segments): \(String(format: "%.1f", pageBest)) ms (target ≤ 300 ms)")
    }
}
