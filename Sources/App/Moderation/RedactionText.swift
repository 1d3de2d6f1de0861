import Foundation

/// A text as the redaction detectors read it: compatibility-normalised, with the digits of every
/// script (circled and dingbat ones too) read as ASCII digits, HTML character references and
/// percent-encoding decoded, combining marks over digits and the invisible characters taken
/// out, and for every unit the run of the original's Unicode scalars it came from, so that a
/// finding in the normalised text is a range of the original (issue #21).
struct RedactionText {
    /// Every Unicode scalar's start in the original, then the original's end.
    let bounds: [String.Index]
    var units: [Unicode.Scalar] = []
    /// For each unit, the first original scalar it came from and the one after its last.
    var lower: [Int] = []
    var upper: [Int] = []
    /// The original scalars that are invisible (format or bidi controls, fillers), in runs.
    var invisible: [Range<Int>] = []

    var count: Int { units.count }

    init(_ text: String) {
        var bounds: [String.Index] = []
        var scalars: [Unicode.Scalar] = []
        var index = text.unicodeScalars.startIndex
        while index < text.unicodeScalars.endIndex {
            bounds.append(index)
            scalars.append(text.unicodeScalars[index])
            index = text.unicodeScalars.index(after: index)
        }
        bounds.append(text.unicodeScalars.endIndex)
        self.bounds = bounds
        units.reserveCapacity(scalars.count)
        lower.reserveCapacity(scalars.count)
        upper.reserveCapacity(scalars.count)
        var offset = 0
        while offset < scalars.count {
            let scalar = scalars[offset]
            // "&#56;", "&#x38;", "&commat;" and "%38" are read as the characters they encode.
            if scalar == "&" || scalar == "%", let (decoded, end) = Self.decodeReference(in: scalars, at: offset) {
                for mapped in decoded.flatMap(Self.normalised) {
                    // An encoded invisible character ("&#8203;") is as invisible as a real one.
                    if Self.isInvisible(mapped) {
                        if !upper.isEmpty { upper[upper.count - 1] = end }
                    } else {
                        append(mapped, lower: offset, upper: end)
                    }
                }
                offset = end
                continue
            }
            if scalar.isASCII || (0x0400...0x04FF).contains(scalar.value) {
                append(scalar, lower: offset, upper: offset + 1)
            } else {
                process(scalar, at: offset, in: scalars)
            }
            offset += 1
        }
    }

    /// One scalar outside ASCII and Cyrillic, at `offset` of the original.
    private mutating func process(_ scalar: Unicode.Scalar, at offset: Int, in scalars: [Unicode.Scalar]) {
        // Emoji presentation selectors and the keycap frame ("8️⃣") draw; they hide nothing.
        if scalar.value == 0xFE0E || scalar.value == 0xFE0F || scalar.value == 0x20E3 {
            if !upper.isEmpty { upper[upper.count - 1] = offset + 1 }
            return
        }
        if Self.isInvisible(scalar) {
            if !Self.joinsEmoji(at: offset, in: scalars) {
                if let last = invisible.last, last.upperBound == offset {
                    invisible[invisible.count - 1] = last.lowerBound..<offset + 1
                } else {
                    invisible.append(offset..<offset + 1)
                }
            }
            return
        }
        if scalar.properties.generalCategory == .nonspacingMark, let previous = units.last {
            if let composed = Self.compose(previous, scalar) {
                units[units.count - 1] = composed
                upper[upper.count - 1] = offset + 1
                return
            }
            // A mark over a digit or a separator ("8̲7̲0̲", "8̅701") draws a line; it hides
            // nothing, so it belongs to the character before it.
            if !previous.isLetter {
                upper[upper.count - 1] = offset + 1
                return
            }
        }
        for mapped in Self.normalised(scalar) { append(mapped, lower: offset, upper: offset + 1) }
    }

    /// Named character references worth decoding: the ones that spell what the detectors
    /// look for, and the everyday ones.
    static let namedReferences: [String: Unicode.Scalar] = [
        "commat": "@", "period": ".", "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{00A0}",
        "num": "#", "colon": ":", "sol": "/", "bsol": "\\", "plus": "+", "lowbar": "_", "hyphen": "-", "dash": "-",
        "minus": "-", "ndash": "–", "mdash": "—", "comma": ",", "semi": ";", "excl": "!", "quest": "?", "lpar": "(",
        "rpar": ")", "lsqb": "[", "rsqb": "]", "equals": "=", "percnt": "%", "dollar": "$", "ast": "*",
    ]

    /// An HTML character reference ("&#56;", "&#x38;", "&commat;") or percent-encoded bytes
    /// ("%38", "%D0%B0") at `start`: the scalars they stand for and the offset after them.
    static func decodeReference(in scalars: [Unicode.Scalar], at start: Int) -> ([Unicode.Scalar], Int)? {
        func hex(_ scalar: Unicode.Scalar) -> UInt32? {
            switch scalar.value {
            case 48...57: return scalar.value - 48
            case 65...70: return scalar.value - 55
            case 97...102: return scalar.value - 87
            default: return nil
            }
        }
        if scalars[start] == "%" {
            var bytes: [UInt8] = []
            var position = start
            while position + 2 < scalars.count, bytes.count < 4, scalars[position] == "%",
                let high = hex(scalars[position + 1]), let low = hex(scalars[position + 2])
            {
                bytes.append(UInt8(high * 16 + low))
                position += 3
                if bytes[0] < 0x80 { break }
            }
            guard let first = bytes.first else { return nil }
            if first < 0x80 {
                // Printable ASCII only: "%0A" and the like are not words.
                guard first >= 0x20 && first < 0x7F else { return nil }
                return ([Unicode.Scalar(first)], position)
            }
            let expected = first >= 0xF0 ? 4 : first >= 0xE0 ? 3 : first >= 0xC0 ? 2 : 0
            guard expected > 0, bytes.count >= expected,
                let decoded = String(validating: bytes[0..<expected], as: UTF8.self),
                let scalar = decoded.unicodeScalars.first
            else { return nil }
            return ([scalar], start + expected * 3)
        }
        guard start + 3 < scalars.count else { return nil }
        var position = start + 1
        if scalars[position] == "#" {
            position += 1
            let isHex = scalars[position] == "x" || scalars[position] == "X"
            if isHex { position += 1 }
            var value: UInt32 = 0
            let digitsStart = position
            while position < scalars.count && position - digitsStart < 7 {
                let scalar = scalars[position]
                if isHex, let digit = hex(scalar) {
                    value = value * 16 + digit
                } else if !isHex && scalar.isASCIIDigit {
                    value = value * 10 + UInt32(scalar.digitValue)
                } else {
                    break
                }
                position += 1
            }
            guard position > digitsStart, position < scalars.count, scalars[position] == ";", value > 0,
                let scalar = Unicode.Scalar(value)
            else { return nil }
            return ([scalar], position + 1)
        }
        var name = ""
        while position < scalars.count && scalars[position].isASCIILetter && position - start < 8 {
            name.unicodeScalars.append(scalars[position])
            position += 1
        }
        guard position < scalars.count, scalars[position] == ";", let scalar = namedReferences[name.lowercased()]
        else { return nil }
        return ([scalar], position + 1)
    }

    /// An empty view over the same original, for building a derived view unit by unit.
    init(derivedFrom other: RedactionText) {
        bounds = other.bounds
        invisible = other.invisible
    }

    mutating func append(_ scalar: Unicode.Scalar, lower: Int, upper: Int) {
        units.append(scalar)
        self.lower.append(lower)
        self.upper.append(upper)
    }

    /// The original's range for the units `range` (not empty).
    func originalRange(_ range: Range<Int>) -> Range<Int> {
        lower[range.lowerBound]..<upper[range.upperBound - 1]
    }

    /// The units `range` as a lower-cased string, for looking words up.
    func lowercased(_ range: Range<Int>) -> String {
        var string = String.UnicodeScalarView()
        for unit in units[range] {
            if let lower = unit.fastLowercase {
                string.append(lower)
            } else {
                string.append(contentsOf: unit.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return String(string)
    }

    // MARK: Characters

    /// Format characters (Unicode category Cf: zero-width space and joiners, soft hyphen, word
    /// joiner, byte order mark, bidi embeddings, overrides, isolates and marks) and the blank
    /// fillers that show nothing.
    static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.properties.generalCategory == .format { return true }
        switch scalar.value {
        case 0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B...0x180F, 0x3164, 0xFFA0, 0x2800: return true
        default: return false
        }
    }

    /// A zero-width joiner between two emoji draws one picture (a family, a rainbow flag); it
    /// hides nothing, so it is dropped without being reported.
    private static func joinsEmoji(at offset: Int, in scalars: [Unicode.Scalar]) -> Bool {
        guard scalars[offset].value == 0x200D, offset > 0, offset + 1 < scalars.count else { return false }
        var before = offset - 1
        if scalars[before].value == 0xFE0F && before > 0 { before -= 1 }
        func isPicture(_ scalar: Unicode.Scalar) -> Bool { scalar.value > 0x2000 && scalar.properties.isEmoji }
        return isPicture(scalars[before]) && isPicture(scalars[offset + 1])
    }

    /// One scalar under NFKC, with any decimal digit as its ASCII digit. Letters of the
    /// Cyrillic and Latin-1 blocks and anything NFKC leaves alone skip Foundation.
    static func normalised(_ scalar: Unicode.Scalar) -> [Unicode.Scalar] {
        if scalar.isASCII { return [scalar] }
        if let digit = asciiDigit(scalar) { return [digit] }
        switch scalar.value {
        // Dingbat and negative circled numbers (❶, ➀, ➊, ⓿, ⓫, ⓵), which NFKC leaves alone.
        case 0x2776...0x2793, 0x24EB...0x24FF:
            if let value = scalar.properties.numericValue, value >= 0, value <= 20, value == value.rounded() {
                return Array(String(Int(value)).unicodeScalars)
            }
        case 0x3002, 0xFF61: return ["."]  // ideographic full stops
        case 0x0400...0x04FF, 0x00C0...0x00FF: return [scalar]
        default: break
        }
        if !scalar.properties.changesWhenNFKCCaseFolded { return [scalar] }
        let mapped = String(scalar).precomposedStringWithCompatibilityMapping.unicodeScalars
        return mapped.map { asciiDigit($0) ?? ($0.value == 0x3002 ? "." : $0) }
    }

    /// The ASCII digit for a decimal digit of any script (Arabic-Indic, Devanagari, full-width,
    /// mathematical bold …).
    static func asciiDigit(_ scalar: Unicode.Scalar) -> Unicode.Scalar? {
        guard scalar.properties.numericType == .decimal, let value = scalar.properties.numericValue,
            value >= 0, value <= 9
        else { return nil }
        return Unicode.Scalar(UInt8(48 + Int(value)))
    }

    private static func compose(_ base: Unicode.Scalar, _ mark: Unicode.Scalar) -> Unicode.Scalar? {
        guard base.properties.isAlphabetic else { return nil }
        let composed = (String(base) + String(mark)).precomposedStringWithCanonicalMapping.unicodeScalars
        return composed.count == 1 ? composed.first : nil
    }
}

/// Character classes the detectors ask about for every unit, answered without Unicode's
/// property tables for ASCII and Cyrillic (Kazakh included), which is nearly every text.
extension Unicode.Scalar {
    var isASCIIDigit: Bool { value >= 48 && value <= 57 }
    var isASCIILetter: Bool { (value >= 65 && value <= 90) || (value >= 97 && value <= 122) }
    var digitValue: Int { Int(value) - 48 }

    private var isCyrillicLetter: Bool { (0x400...0x481).contains(value) || (0x48A...0x52F).contains(value) }

    var isLetter: Bool {
        if isASCII { return isASCIILetter }
        if isCyrillicLetter { return true }
        return properties.isAlphabetic && properties.numericType == nil
    }

    var isLetterOrDigit: Bool {
        if isASCII { return isASCIILetter || isASCIIDigit }
        if isCyrillicLetter { return true }
        return properties.isAlphabetic || properties.numericType != nil
    }

    var isUpper: Bool {
        if isASCII { return value >= 65 && value <= 90 }
        switch value {
        case 0x400...0x42F: return true
        case 0x430...0x45F: return false
        case 0x460...0x481, 0x48A...0x4BF, 0x4D0...0x52F: return value % 2 == 0
        default: return properties.isUppercase
        }
    }

    var isLower: Bool {
        if isASCII { return value >= 97 && value <= 122 }
        switch value {
        case 0x400...0x42F: return false
        case 0x430...0x45F: return true
        case 0x460...0x481, 0x48A...0x4BF, 0x4D0...0x52F: return value % 2 == 1
        default: return properties.isLowercase
        }
    }

    var isSpace: Bool {
        if isASCII { return value == 32 || value == 9 }
        return value == 0xA0 || (!isCyrillicLetter && properties.generalCategory == .spaceSeparator)
    }

    /// The lower-case letter for ASCII and Cyrillic (Kazakh included), without Unicode's
    /// tables; nil for anything else.
    var fastLowercase: Unicode.Scalar? {
        let shifted: UInt32
        switch value {
        case 0...0x7F: shifted = (65...90).contains(value) ? value + 32 : value
        case 0x400...0x40F: shifted = value + 80
        case 0x410...0x42F: shifted = value + 32
        case 0x430...0x45F: shifted = value
        case 0x460...0x481, 0x48A...0x4BF, 0x4D0...0x52F: shifted = value % 2 == 0 ? value + 1 : value
        default: return nil
        }
        return Unicode.Scalar(shifted)
    }

    var isLineBreak: Bool { value == 10 || value == 13 || value == 0x2028 || value == 0x2029 }
}
