import Vapor

/// Failed sign-ins slow down the next try of the same e-mail address from the same client, more
/// with each failure; nothing else is slowed. A stranger guessing from elsewhere therefore cannot
/// lock a moderator out, and since typed addresses are counted whether an account has them or
/// not, the answer tells nobody which addresses exist.
///
/// Pairs are known only by a keyed hash whose key lives in memory and is replaced daily, like
/// the abuse limits: nothing about who tried is written anywhere.
actor SignInThrottle {
    /// Failures allowed before any wait: a moderator who mistypes twice is not slowed.
    static let freeFailures = 3
    /// The first wait, doubled with each further failure up to `longestWait`.
    static let firstWait: TimeInterval = 30
    static let longestWait: TimeInterval = 15 * 60
    static let keyLifetime: TimeInterval = 24 * 3600

    private var key = SymmetricKey(size: .bits256)
    private var keyCreated = Date()
    private var failures: [Data: (count: Int, last: Date)] = [:]

    static func wait(afterFailures count: Int) -> TimeInterval {
        guard count >= freeFailures else { return 0 }
        return min(firstWait * pow(2, Double(count - freeFailures)), longestWait)
    }

    private func bucket(email: String, client: String, now: Date) -> Data {
        if now.timeIntervalSince(keyCreated) >= Self.keyLifetime {
            key = SymmetricKey(size: .bits256)
            keyCreated = now
            failures.removeAll()
        }
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data((email.lowercased() + "\u{0}" + client).utf8), using: key)
        return Data(mac.prefix(16))
    }

    /// Seconds this pair must still wait before its next try, or nil when it may try now.
    func remainingWait(email: String, client: String, now: Date = Date()) -> Int? {
        guard let entry = failures[bucket(email: email, client: client, now: now)] else { return nil }
        let left = entry.last.addingTimeInterval(Self.wait(afterFailures: entry.count)).timeIntervalSince(now)
        return left > 0 ? Int(left.rounded(.up)) : nil
    }

    func recordFailure(email: String, client: String, now: Date = Date()) {
        let key = bucket(email: email, client: client, now: now)
        var entry = failures[key] ?? (0, now)
        // A day without failures starts the count again.
        if now.timeIntervalSince(entry.last) > Self.keyLifetime { entry.count = 0 }
        entry.count += 1
        entry.last = now
        failures[key] = entry
        if failures.count > 100_000 {
            failures = failures.filter { now.timeIntervalSince($0.value.last) < Self.longestWait }
        }
    }

    func recordSuccess(email: String, client: String, now: Date = Date()) {
        failures[bucket(email: email, client: client, now: now)] = nil
    }
}

extension Application {
    private struct SignInThrottleKey: StorageKey { typealias Value = SignInThrottle }
    private struct DummyHashKey: StorageKey { typealias Value = String }

    var signInThrottle: SignInThrottle {
        get {
            guard let throttle = storage[SignInThrottleKey.self] else {
                fatalError("configure(_:config:) was not called")
            }
            return throttle
        }
        set { storage[SignInThrottleKey.self] = newValue }
    }

    /// A bcrypt hash at the accounts' own cost, checked when no account has the typed address,
    /// so a refusal takes as long whether the address exists or not.
    var dummyPasswordHash: String {
        get {
            guard let hash = storage[DummyHashKey.self] else { fatalError("configure(_:config:) was not called") }
            return hash
        }
        set { storage[DummyHashKey.self] = newValue }
    }
}
