import Foundation

/// Kazakhstan has used one time zone, UTC+5, since 2024-03-01 (kz-help-facts §6).
enum KazakhstanTime {
    static let zone = TimeZone(secondsFromGMT: 5 * 3600)!

    static func today(now: Date = Date()) -> String { dayString(now) }

    /// The time with minutes and seconds dropped. Report times are stored like this so that
    /// they cannot be matched against a proxy's access log (SPEC §6); the zone's offset is a
    /// whole number of hours, so the hour is the same in UTC and in Kazakhstan.
    static func toTheHour(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 3600).rounded(.down) * 3600)
    }

    static func dayString(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }

    /// Noon, Kazakhstan time, of a day written `YYYY-MM-DD`; nil for anything else.
    static func noon(ofDay text: String) -> Date? {
        guard isValidDay(text) else { return nil }
        let parts = text.split(separator: "-").compactMap { Int($0) }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2], hour: 12))
    }

    /// Whether `text` is a real calendar day written `YYYY-MM-DD`.
    static func isValidDay(_ text: String) -> Bool {
        let pieces = text.split(separator: "-", omittingEmptySubsequences: false)
        guard pieces.count == 3, pieces[0].count == 4, pieces[1].count == 2, pieces[2].count == 2,
            pieces.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let year = Int(pieces[0]), let month = Int(pieces[1]), let day = Int(pieces[2]),
            (1...12).contains(month), day >= 1
        else { return false }
        let isLeap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths = [31, isLeap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= lengths[month - 1]
    }

    /// The last day, `YYYY-MM-DD`, of a valid `YYYY-MM`.
    static func lastDay(ofMonth month: String) -> String {
        for day in ["31", "30", "29"] where isValidDay(month + "-" + day) { return month + "-" + day }
        return month + "-28"
    }
}

/// Kazakhstan's bounding box (SPEC §2).
enum KazakhstanBounds {
    static let latitude = 40.5...55.5
    static let longitude = 46.4...87.4

    static func contains(latitude: Double, longitude: Double) -> Bool {
        latitude.isFinite && longitude.isFinite && Self.latitude.contains(latitude)
            && Self.longitude.contains(longitude)
    }
}
