import Vapor

/// The keys the server derives from one master secret.
///
/// Each purpose gets its own key through HKDF, so a key that leaks through one feature says
/// nothing about the others.
struct Secrets: Sendable {
    /// Indexes receipt codes (a short keyed hash finds the row).
    let receiptLookupKey: SymmetricKey
    /// Verifies receipt codes (the full keyed hash stored with the report, SPEC §2).
    let receiptHashKey: SymmetricKey
    /// Seeds the random displacement of public locations (SPEC §6).
    let locationKey: SymmetricKey
    /// Encrypts reporters' contact details at rest.
    let contactKey: SymmetricKey
    /// Turns a Telegram chat id into the key of its conversation, so the id is never stored.
    let telegramChatKey: SymmetricKey
    /// Encrypts moderators' second-factor secrets at rest.
    let secondFactorKey: SymmetricKey
    /// Seals the chat ids of reporters who asked the bot to tell them when moderators write.
    let telegramNoticeKey: SymmetricKey

    init(master: SymmetricKey) {
        func derive(_ purpose: String) -> SymmetricKey {
            HKDF<SHA256>.deriveKey(
                inputKeyMaterial: master, salt: Data("dauys".utf8), info: Data(purpose.utf8), outputByteCount: 32)
        }
        receiptLookupKey = derive("receipt-lookup")
        receiptHashKey = derive("receipt-hash")
        locationKey = derive("location-displacement")
        contactKey = derive("contact-encryption")
        telegramChatKey = derive("telegram-chat")
        secondFactorKey = derive("second-factor")
        telegramNoticeKey = derive("telegram-notice")
    }

    static let fileName = "secret.key"

    /// Random bytes use many different values; a placeholder such as "changeme…" or a run of one
    /// repeated byte does not.
    static func looksRandom(_ bytes: Data) -> Bool {
        Set(bytes).count >= min(16, bytes.count / 2)
            && !String(decoding: bytes, as: UTF8.self).lowercased().contains("change")
    }

    /// Takes the master secret from `DAUYS_SECRET`, or from its file (`DAUYS_SECRET_FILE`, by
    /// default `secret.key` in the data folder), generating the file with permissions 0600 on
    /// first start outside production.
    static func load(config: AppConfig, logger: Logger, production: Bool = false) throws -> Secrets {
        if let fromEnvironment = config.secretFromEnvironment, let bytes = Data(base64Encoded: fromEnvironment) {
            if production && !looksRandom(bytes) {
                throw ConfigError(
                    setting: "DAUYS_SECRET",
                    problem: "looks like a placeholder; generate one with openssl rand -base64 32")
            }
            return Secrets(master: SymmetricKey(data: bytes))
        }
        // In production every instance must share one secret that an operator chose, backed up
        // and keeps apart from the database: never one generated beside the data.
        if production && config.secretFile == nil {
            throw ConfigError(
                setting: "DAUYS_SECRET",
                problem:
                    "or DAUYS_SECRET_FILE must be set in production (openssl rand -base64 32), the same on every instance"
            )
        }
        let setting = config.secretFile == nil ? "DAUYS_DATA_DIR" : "DAUYS_SECRET_FILE"
        let path = config.secretFile ?? config.dataDirectory + "/" + fileName
        if let existing = FileManager.default.contents(atPath: path) {
            let text = String(decoding: existing, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard let bytes = Data(base64Encoded: text), bytes.count >= 32 else {
                throw ConfigError(
                    setting: setting, problem: "holds a damaged secret (\(path)); restore it from a backup")
            }
            if production && !looksRandom(bytes) {
                throw ConfigError(
                    setting: setting, problem: "holds a placeholder secret; generate one with openssl rand -base64 32")
            }
            return Secrets(master: SymmetricKey(data: bytes))
        }
        if production {
            throw ConfigError(setting: "DAUYS_SECRET_FILE", problem: "names a file that does not exist (\(path))")
        }
        let master = SymmetricKey(size: .bits256)
        let encoded = master.withUnsafeBytes { Data($0) }.base64EncodedString()
        do {
            try PrivateFiles.makeDirectory((path as NSString).deletingLastPathComponent)
            try PrivateFiles.write(Data((encoded + "\n").utf8), to: path, sync: true)
        } catch {
            throw ConfigError(setting: setting, problem: "is not writable (could not create \(path))")
        }
        logger.notice("Generated a new server secret; back it up, apart from the database.")
        return Secrets(master: master)
    }
}

extension Application {
    private struct SecretsKey: StorageKey { typealias Value = Secrets }

    var secrets: Secrets {
        get {
            guard let secrets = storage[SecretsKey.self] else { fatalError("configure(_:config:) was not called") }
            return secrets
        }
        set { storage[SecretsKey.self] = newValue }
    }
}

extension Request {
    var secrets: Secrets { application.secrets }
    var config: AppConfig { application.config }
}

extension Sequence<UInt8> {
    /// Lower-case hexadecimal, two digits a byte. Written out because `String(format:)` per
    /// byte was 5% of a submission's CPU.
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
