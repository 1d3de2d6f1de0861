import Vapor

/// The receipt code a reporter gets once, at submission (SPEC §2).
///
/// 16 characters from a 32-letter alphabet without look-alikes (no 0/O, 1/I), so 80 random
/// bits, shown as `XXXX-XXXX-XXXX-XXXX`. The server stores a keyed hash (HMAC-SHA-256 under a
/// key derived from the server secret, SPEC §2) to verify a code — a slow password hash adds
/// nothing against guessing 80 random bits and capped intake at 17 reports a second — and a
/// short keyed hash (12 hex digits, another key) that finds the row. Reports stored before
/// keep their bcrypt hash, which still verifies, until they are gone.
enum ReceiptCode {
    static let alphabet = Array("23456789ABCDEFGHJKLMNPQRSTUVWXYZ")

    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let characters = (0..<16).map { _ in alphabet[Int(generator.next(upperBound: UInt32(alphabet.count)))] }
        return stride(from: 0, to: 16, by: 4).map { String(characters[$0..<$0 + 4]) }.joined(separator: "-")
    }

    /// Cyrillic letters that look like Latin ones, for codes typed on a Russian or Kazakh keyboard.
    private static let lookAlikes: [Character: Character] = [
        "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "Р": "P", "С": "C", "Т": "T", "Х": "X",
        "У": "Y", "О": "0", "З": "3",
    ]

    /// The canonical form of a typed code, or nil when it cannot be a receipt code.
    static func normalize(_ typed: String) -> String? {
        var characters: [Character] = []
        for character in typed.uppercased() {
            if character == "-" || character == " " || character == "\u{2013}" || character.isNewline { continue }
            characters.append(lookAlikes[character] ?? character)
            if characters.count > 16 { return nil }
        }
        guard characters.count == 16, characters.allSatisfy(alphabet.contains) else { return nil }
        return stride(from: 0, to: 16, by: 4).map { String(characters[$0..<$0 + 4]) }.joined(separator: "-")
    }

    /// How stored keyed hashes begin; bcrypt hashes begin with `$2`.
    static let keyedHashPrefix = "hmac-sha256:"

    static func keyedHash(for code: String, key: SymmetricKey) -> String {
        keyedHashPrefix + HMAC<SHA256>.authenticationCode(for: Data(code.utf8), using: key).hexString
    }

    /// Whether `code` is the one `stored` was made from: a keyed hash compared in constant time,
    /// or (for reports stored before keyed hashes) bcrypt off the event loop.
    static func matches(_ code: String, stored: String, app: Application) async throws -> Bool {
        if stored.hasPrefix(keyedHashPrefix) {
            return TokenHashing.constantTimeEquals(keyedHash(for: code, key: app.secrets.receiptHashKey), stored)
        }
        return try await app.slowVerify(code, hash: stored)
    }

    static func lookupKey(for code: String, key: SymmetricKey) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(code.utf8), using: key)
        return mac.prefix(6).hexString
    }
}

extension Application {
    /// bcrypt off the event loop: it is deliberately slow.
    func slowHash(_ secret: String) async throws -> String {
        let cost = config.hashCost
        return try await threadPool.runIfActive { try Bcrypt.hash(secret, cost: cost) }
    }

    func slowVerify(_ secret: String, hash: String) async throws -> Bool {
        try await threadPool.runIfActive { try Bcrypt.verify(secret, created: hash) }
    }
}
