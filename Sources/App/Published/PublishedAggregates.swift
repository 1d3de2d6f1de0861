/// What one set of filters selects, counted per public point and per city: the map's clusters,
/// its density layer and the incident list's totals are read from it. Kept per filter set and
/// updated by each change (``PublishedSet``), so a publication adds one report to it instead
/// of counting a million again.
struct PlaceCounts: Sendable {
    /// Per place number (``PlaceTable``): reports, and how many of them were stopped.
    var totals: [Int32] = []
    var prevented: [Int32] = []
    /// Per city code (``CityTable``): every matching report, and those with a pin.
    var cityReports: [Int32] = []
    var cityPinned: [Int32] = []

    init(places: Int, cities: Int) {
        totals = Array(repeating: 0, count: places)
        prevented = Array(repeating: 0, count: places)
        cityReports = Array(repeating: 0, count: cities)
        cityPinned = Array(repeating: 0, count: cities)
    }

    @inline(__always)
    mutating func add(_ record: PublishedRecord, _ sign: Int32) {
        let city = Int(record.city)
        if city >= cityReports.count {
            cityReports += Array(repeating: 0, count: city + 1 - cityReports.count)
            cityPinned += Array(repeating: 0, count: city + 1 - cityPinned.count)
        }
        cityReports[city] += sign
        guard record.place >= 0 else { return }
        cityPinned[city] += sign
        let place = Int(record.place)
        if place >= totals.count {
            totals += Array(repeating: 0, count: place + 1 - totals.count)
            prevented += Array(repeating: 0, count: place + 1 - prevented.count)
        }
        totals[place] += sign
        if record.prevented { prevented[place] += sign }
    }

    /// The points with at least one report, as the map's clusters read them.
    func places(in table: PlaceTable) -> [ClusterQueries.Place] {
        var result: [ClusterQueries.Place] = []
        for index in totals.indices where totals[index] > 0 {
            let point = table.points[index]
            result.append(
                ClusterQueries.Place(
                    latitude: point.latitude, longitude: point.longitude, total: Int(totals[index]),
                    prevented: Int(prevented[index])))
        }
        return result
    }

    /// Per city slug: every matching report, and those with a pin.
    func cities(in table: CityTable) -> [String: (reports: Int, pinned: Int)] {
        var result: [String: (reports: Int, pinned: Int)] = [:]
        for index in cityReports.indices where cityReports[index] > 0 {
            result[table.names[index]] = (Int(cityReports[index]), Int(cityPinned[index]))
        }
        return result
    }
}

/// Exact tallies (count and key sum, ``Disclosure/Tally``) of every answer of the reports one
/// set of filters selects: the statistics are assembled from it. Kept and updated like
/// ``PlaceCounts``.
struct AnswerTallies: Sendable {
    /// Slots per single-answer question: codes 0 (none) to 14, and 15 for an unrecognized value.
    static let stride = 16
    static let listSlots = 17
    /// Days from 2000-01-01 to 2059-12-31 in an array; any other day in ``otherDays``.
    static let firstDay = Int32(DayNumber.days(year: 2000, month: 1, day: 1))
    static let dayCount = DayNumber.days(year: 2060, month: 1, day: 1) - Int(firstDay)

    var matching = 0
    var single = Array(repeating: Disclosure.Tally.zero, count: PublishedAnswers.single.count * stride)
    /// Per bit, and in the last slot the reports with none.
    var kinds = Array(repeating: Disclosure.Tally.zero, count: listSlots)
    var toldWhom = Array(repeating: Disclosure.Tally.zero, count: listSlots)
    var days: [Disclosure.Tally] = []
    var otherDays: [Int32: Disclosure.Tally] = [:]
    /// Per city code, stopped then not stopped.
    var cities: [Disclosure.Tally] = []

    init() {}

    @inline(__always)
    mutating func add(_ record: PublishedRecord, _ sign: Int) {
        let tally = Disclosure.Tally(reports: sign, keys: Int64(sign) &* Int64(record.key))
        matching += sign
        for question in 0..<PublishedAnswers.single.count {
            let code = Int(record.codes[question])
            single[question * Self.stride + (code >= Self.stride ? Self.stride - 1 : code)] += tally
        }
        Self.addList(record.kinds, tally, to: &kinds)
        Self.addList(record.toldWhom, tally, to: &toldWhom)
        if record.day != PublishedRecord.noDay {
            let offset = Int(record.day) - Int(Self.firstDay)
            if offset >= 0 && offset < Self.dayCount {
                if days.isEmpty { days = Array(repeating: .zero, count: Self.dayCount) }
                days[offset] += tally
            } else {
                otherDays[record.day, default: .zero] += tally
            }
        }
        let needed = (Int(record.city) + 1) * 2
        if cities.count < needed { cities += Array(repeating: .zero, count: needed - cities.count) }
        cities[Int(record.city) * 2 + (record.prevented ? 0 : 1)] += tally
    }

    @inline(__always)
    private static func addList(_ bits: UInt16, _ tally: Disclosure.Tally, to slots: inout [Disclosure.Tally]) {
        if bits == 0 {
            slots[listSlots - 1] += tally
            return
        }
        var rest = bits
        while rest != 0 {
            let bit = rest.trailingZeroBitCount
            slots[bit] += tally
            rest &= rest - 1
        }
    }

    /// The tallies of one `reports` column keyed as the database's grouping would key them:
    /// the stored value, nil for none. List columns are keyed per value.
    func byValue(_ column: String) -> [String?: Disclosure.Tally] {
        var result: [String?: Disclosure.Tally] = [:]
        func put(_ key: String?, _ tally: Disclosure.Tally) {
            if tally.reports != 0 { result[key, default: .zero] += tally }
        }
        if let question = PublishedAnswers.single.firstIndex(where: { $0.column == column }) {
            let values = PublishedAnswers.single[question].values
            put(nil, single[question * Self.stride])
            for (index, value) in values.enumerated() { put(value, single[question * Self.stride + index + 1]) }
            put(PublishedAnswers.unrecognizedKey, single[question * Self.stride + Self.stride - 1])
            return result
        }
        switch column {
        case "kinds", "told_whom":
            let (values, slots) =
                column == "kinds" ? (PublishedAnswers.kinds, kinds) : (PublishedAnswers.toldWhom, toldWhom)
            for (index, value) in values.enumerated() { put(value, slots[index]) }
            put(nil, slots[Self.listSlots - 1])
        case "incident_date":
            for (offset, tally) in days.enumerated() where tally.reports != 0 {
                put(DayNumber.string(Self.firstDay + Int32(offset)), tally)
            }
            for (day, tally) in otherDays { put(DayNumber.string(day), tally) }
        default:
            break
        }
        return result
    }

    /// Per city slug, the stopped and the not stopped.
    func byCity(in table: CityTable) -> [String: (prevented: Disclosure.Tally, notPrevented: Disclosure.Tally)] {
        var result: [String: (prevented: Disclosure.Tally, notPrevented: Disclosure.Tally)] = [:]
        for city in 0..<(cities.count / 2) {
            let stopped = cities[city * 2]
            let notStopped = cities[city * 2 + 1]
            if stopped.reports != 0 || notStopped.reports != 0 {
                result[table.names[city]] = (stopped, notStopped)
            }
        }
        return result
    }
}
