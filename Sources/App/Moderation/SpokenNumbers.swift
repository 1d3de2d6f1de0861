import Foundation

/// Numbers spelled out in words (Kazakh, Russian, English) and look-alike letters inside digit
/// runs, read as digits, so the phone, IIN and card detectors see "восемь семьсот один …",
/// "сегіз жеті жүз бір …", "eight seven oh one …" and "8 7O1 555 I2 34" as the numbers they
/// are (issue #21).
enum SpokenNumbers {
    enum Word: Equatable {
        /// 0 to 9.
        case unit(Int)
        /// 10 to 19.
        case teen(Int)
        /// 20, 30 … 90.
        case ten(Int)
        /// 100, 200 … 900 as one word.
        case hundreds(Int)
        /// "жүз", "hundred": multiplies the unit before it.
        case hundredMarker
        case plus, double, triple
    }

    static let words: [String: Word] = {
        var words: [String: Word] = [:]
        func add(_ list: String, _ make: (Int) -> Word, values: [Int]) {
            for (names, value) in zip(list.split(separator: "|"), values) {
                for name in names.split(separator: " ") { words[String(name)] = make(value) }
            }
        }
        let units = Array(0...9)
        // Russian.
        add(
            "ноль нуль|один одна одно одну|два две|три|четыре|пять|шесть|семь|восемь|девять", Word.unit,
            values: units)
        add(
            "десять|одиннадцать|двенадцать|тринадцать|четырнадцать|пятнадцать|шестнадцать|семнадцать|"
                + "восемнадцать|девятнадцать", Word.teen, values: Array(10...19))
        add(
            "двадцать|тридцать|сорок|пятьдесят|шестьдесят|семьдесят|восемьдесят|девяносто", Word.ten,
            values: Array(stride(from: 20, through: 90, by: 10)))
        add(
            "сто|двести|триста|четыреста|пятьсот|шестьсот|семьсот|восемьсот|девятьсот", Word.hundreds,
            values: Array(stride(from: 100, through: 900, by: 100)))
        // English.
        add("zero oh nought|one|two|three|four|five|six|seven|eight|nine", Word.unit, values: units)
        add(
            "ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen", Word.teen,
            values: Array(10...19))
        add(
            "twenty|thirty|forty fourty|fifty|sixty|seventy|eighty|ninety", Word.ten,
            values: Array(stride(from: 20, through: 90, by: 10)))
        // Kazakh, and as it is often typed with Russian letters only.
        add(
            "нөл нөль нол ноль|бір бир|екі еки|үш уш|төрт торт|бес|алты|жеті жети|сегіз сегиз|тоғыз тогыз",
            Word.unit, values: units)
        add(
            "он|жиырма жиырма|отыз|қырық кырык|елу|алпыс|жетпіс жетпис|сексен|тоқсан токсан", Word.ten,
            values: Array(stride(from: 10, through: 90, by: 10)))
        // Russian typed in Latin letters.
        add(
            "nol nul|odin odna|dva dve|tri|chetyre chetire|pyat pjat|shest|sem|vosem|devyat devjat", Word.unit,
            values: units)
        for marker in ["жүз", "жуз", "hundred"] { words[marker] = .hundredMarker }
        for plus in ["плюс", "plus"] { words[plus] = .plus }
        words["double"] = .double
        words["triple"] = .triple
        return words
    }()

    /// Words that are numbers only among other numbers: Russian "он" (he), English "oh".
    static let onlyAmongNumbers: Set<String> = ["он", "oh", "бес", "double", "triple", "плюс", "plus"]

    /// Letters that people type for digits inside numbers: O for 0, I and l for 1, З for 3, б for 6.
    static func lookalikeDigit(_ scalar: Unicode.Scalar) -> Unicode.Scalar? {
        switch scalar {
        case "O", "o", "О", "о", "Ο", "ο", "〇", "Ө", "ө": return "0"
        case "I", "l", "|", "і", "І", "Ӏ", "ӏ", "ı", "ǀ", "ℓ": return "1"
        case "З", "з": return "3"
        case "б", "Б": return "6"
        default: return nil
        }
    }

    private enum TokenKind { case word, digits, other }

    private struct Token {
        var kind: TokenKind
        var range: Range<Int>
        var number: Word? = nil
        var lookalikeOnly = false
    }

    /// `base` with look-alike letters in digit runs and spelled-out numbers replaced by digits.
    static func digitView(of base: RedactionText) -> RedactionText {
        let units = base.units
        var tokens: [Token] = []
        var index = 0
        while index < units.count {
            let start = index
            let scalar = units[index]
            if scalar.isASCIIDigit {
                while index < units.count && units[index].isASCIIDigit { index += 1 }
                tokens.append(Token(kind: .digits, range: start..<index))
            } else if scalar.isLetter || scalar == "|" {
                while index < units.count && (units[index].isLetter || units[index] == "|") { index += 1 }
                var token = Token(kind: .word, range: start..<index)
                token.lookalikeOnly = units[start..<index].allSatisfy { lookalikeDigit($0) != nil }
                if index - start <= 13 { token.number = words[base.lowercased(start..<index)] }
                tokens.append(token)
            } else {
                index += 1
                tokens.append(Token(kind: .other, range: start..<index))
            }
        }

        // Tokens that matter, and whether each is joined to the next by nothing but a few
        // separators (spaces, commas, hyphens, brackets, dots) on one line.
        let significant = tokens.indices.filter {
            tokens[$0].kind != .other || !isSeparator(units[tokens[$0].range.lowerBound])
        }
        var linkedToNext = [Bool](repeating: false, count: significant.count)
        var gluedToNext = [Bool](repeating: false, count: significant.count)
        for (position, tokenIndex) in significant.enumerated().dropLast() {
            let gap = tokens[tokenIndex].range.upperBound..<tokens[significant[position + 1]].range.lowerBound
            gluedToNext[position] = gap.isEmpty
            linkedToNext[position] =
                tokens[tokenIndex].kind != .other && tokens[significant[position + 1]].kind != .other
                && gap.count <= 3
        }

        // Look-alike letters: in a glued piece with a digit and no other letters, or alone
        // (at most three) between two numbers.
        var asDigits = Set<Int>()
        var position = 0
        while position < significant.count {
            var end = position
            while end + 1 < significant.count && gluedToNext[end] && tokens[significant[end]].kind != .other
                && tokens[significant[end + 1]].kind != .other
            {
                end += 1
            }
            let piece = (position...end).map { tokens[significant[$0]] }
            let hasDigit = piece.contains { $0.kind == .digits }
            let lettersAreLookalikes = piece.allSatisfy { $0.kind == .digits || ($0.kind == .word && $0.lookalikeOnly) }
            if lettersAreLookalikes && piece.first?.kind != .other {
                func isNumber(_ at: Int) -> Bool {
                    at >= 0 && at < significant.count && tokens[significant[at]].kind == .digits
                }
                let between =
                    !hasDigit && piece.count == 1 && piece[0].range.count <= 3
                    && position > 0 && linkedToNext[position - 1] && isNumber(position - 1)
                    && linkedToNext[end] && isNumber(end + 1)
                if hasDigit || between {
                    for at in position...end where tokens[significant[at]].kind == .word {
                        asDigits.insert(significant[at])
                    }
                }
            }
            position = end + 1
        }

        // Spelled-out numbers.
        var replacements: [Int: (last: Int, digits: String)] = [:]
        func word(_ at: Int) -> Word? {
            guard at < significant.count, !asDigits.contains(significant[at]) else { return nil }
            return tokens[significant[at]].number
        }
        func digitsLength(_ at: Int) -> Int? {
            guard at < significant.count else { return nil }
            let token = tokens[significant[at]]
            return token.kind == .digits ? token.range.count : nil
        }
        func linked(_ at: Int) -> Bool { at < linkedToNext.count && linkedToNext[at] }
        position = 0
        while position < significant.count {
            guard let first = word(position) else {
                position += 1
                continue
            }
            let name = base.lowercased(tokens[significant[position]].range)
            let numberBefore = position > 0 && linked(position - 1) && word(position - 1) != nil
            let numberAfter = linked(position) && (word(position + 1) != nil || digitsLength(position + 1) != nil)
            // Kazakh "он" (ten) is Russian "он" (he): ten only before a unit ("он екі").
            var unitAfter = false
            if linked(position), case .unit = word(position + 1) { unitAfter = true }
            let ambiguous =
                name == "он"
                ? !unitAfter
                : onlyAmongNumbers.contains(name) && !numberBefore && !(linked(position) && word(position + 1) != nil)
                    && !(first == .plus && numberAfter)
            if ambiguous {
                position += 1
                continue
            }
            var last = position
            var digits = ""
            func next() -> Word? { linked(last) ? word(last + 1) : nil }
            func nextDigits() -> Int? { linked(last) ? digitsLength(last + 1) : nil }
            func tail(hundreds: Int) {
                if case .ten(let ten) = next() {
                    last += 1
                    if case .unit(let unit) = next(), unit > 0 {
                        last += 1
                        digits = String(hundreds + ten + unit)
                    } else {
                        digits = String(hundreds + ten)
                    }
                } else if case .teen(let teen) = next() {
                    last += 1
                    digits = String(hundreds + teen)
                } else if case .unit(let unit) = next(), unit > 0 {
                    last += 1
                    digits = String(hundreds + unit)
                } else if let length = nextDigits(), length <= 2 {
                    digits = String(hundreds / 100) + (length == 1 ? "0" : "")
                } else {
                    digits = String(hundreds)
                }
            }
            switch first {
            case .plus: digits = "+"
            case .double, .triple:
                if case .unit(let unit) = next() {
                    last += 1
                    digits = String(repeating: String(unit), count: first == .double ? 2 : 3)
                }
            case .unit(let unit):
                if next() == .hundredMarker {
                    last += 1
                    tail(hundreds: max(unit, 1) * 100)
                } else {
                    digits = String(unit)
                }
            case .hundreds(let hundreds): tail(hundreds: hundreds)
            case .hundredMarker: tail(hundreds: 100)
            case .ten(let ten):
                if case .unit(let unit) = next(), unit > 0 {
                    last += 1
                    digits = String(ten + unit)
                } else if nextDigits() == 1 {
                    digits = String(ten / 10)
                } else {
                    digits = String(ten)
                }
            case .teen(let teen): digits = String(teen)
            }
            if !digits.isEmpty { replacements[significant[position]] = (significant[last], digits) }
            position = last + 1
        }

        var view = RedactionText(derivedFrom: base)
        view.units.reserveCapacity(base.count)
        var tokenIndex = 0
        while tokenIndex < tokens.count {
            let token = tokens[tokenIndex]
            if let (last, digits) = replacements[tokenIndex] {
                let lower = base.lower[token.range.lowerBound]
                let upper = base.upper[tokens[last].range.upperBound - 1]
                for digit in digits.unicodeScalars { view.append(digit, lower: lower, upper: upper) }
                tokenIndex = last + 1
                continue
            }
            let convert = asDigits.contains(tokenIndex)
            for unit in token.range {
                let scalar = convert ? (lookalikeDigit(base.units[unit]) ?? base.units[unit]) : base.units[unit]
                view.append(scalar, lower: base.lower[unit], upper: base.upper[unit])
            }
            tokenIndex += 1
        }
        return view
    }

    /// What may stand between the digits or words of one number.
    static func isSeparator(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case " ", "\u{00A0}", "\t", "-", ".", ",", "/", "\\", "(", ")", "[", "]", "_", "*", "·", "•", "'", "’",
            "‐", "‑", "‒", "–", "—", "―", "−", "~", ":", ";":
            return true
        default: return !scalar.isASCII && scalar.properties.generalCategory == .spaceSeparator
        }
    }
}
