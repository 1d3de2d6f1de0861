import Foundation

/// Rules every free text in the product follows.
enum TextRules {
    /// Free text may hold any script and emoji, but no control characters other than line
    /// breaks and tabs (a NUL byte would also be refused by PostgreSQL).
    static func isClean(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { scalar in
            if scalar == "\n" || scalar == "\r" || scalar == "\t" { return true }
            return scalar.properties.generalCategory != .control && !scalar.properties.isNoncharacterCodePoint
        }
    }

    /// Trims and returns nil for blank text.
    static func trimmed(_ text: String?) -> String? {
        guard let text = text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        return text
    }

    /// An email address, a phone number or a Telegram handle.
    static func isContact(_ text: String) -> Bool {
        let email = #"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$"#
        let phone = #"^\+?[0-9][0-9 ()\-]{5,19}$"#
        let handle = #"^@?[A-Za-z][A-Za-z0-9_]{4,31}$"#
        return [email, phone, handle].contains { text.range(of: $0, options: .regularExpression) != nil }
    }
}
