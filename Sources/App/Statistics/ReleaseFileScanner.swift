import Foundation

/// Reads a stored release file (as ``ExportController/write(_:_:on:to:)`` wrote it) as its
/// records, each with the id of its report, and the text around them, so that a rebuild can
/// leave records out while copying every other byte as it was (issue #21). Fed a chunk at a
/// time; holds at most one chunk and one unfinished record.
///
/// CSV: the first line is the header; every later line is a record whose first field is the
/// report's id, and a line ends at a line feed outside quotes. GeoJSON: the text before the
/// first feature and from the end of the feature list on is kept; each feature is a record,
/// the commas between them are dropped (the writer puts them back between the records it
/// keeps); its id is the feature's `id`, the first key after `geometry` (keys are sorted).
struct ReleaseFileScanner {
    enum Piece: Equatable {
        case text(Data)
        /// A record and its report's id; nil if the id could not be read.
        case record(UUID?, Data)
    }

    let format: OpenDataFormat
    private var buffer: [UInt8] = []
    /// Bytes of `buffer` already scanned, and where the piece being read began.
    private var scanned = 0
    private var pieceStart = 0
    private var inQuotes = false
    private var headerDone = false
    // GeoJSON: nesting depth, string state, whether the list of features was closed.
    private var depth = 0
    private var inString = false
    private var escaped = false
    private var listClosed = false

    init(_ format: OpenDataFormat) { self.format = format }

    mutating func feed(_ data: Data) -> [Piece] {
        buffer.append(contentsOf: data)
        var pieces: [Piece] = []
        switch format {
        case .csv: scanCSV(&pieces)
        case .geoJSON: scanGeoJSON(&pieces)
        }
        buffer.removeFirst(pieceStart)
        scanned -= pieceStart
        pieceStart = 0
        return pieces
    }

    /// What is left at the end of the file: kept as text.
    mutating func finish() -> [Piece] {
        defer { (buffer, scanned, pieceStart) = ([], 0, 0) }
        return buffer.isEmpty ? [] : [.text(Data(buffer))]
    }

    private mutating func scanCSV(_ pieces: inout [Piece]) {
        let quote = UInt8(ascii: "\""), lineFeed = UInt8(ascii: "\n")
        while scanned < buffer.count {
            let byte = buffer[scanned]
            scanned += 1
            if byte == quote {
                inQuotes.toggle()
            } else if byte == lineFeed && !inQuotes {
                let line = Data(buffer[pieceStart..<scanned])
                if headerDone {
                    pieces.append(.record(Self.uuid(in: line, at: 0), line))
                } else {
                    pieces.append(.text(line))
                    headerDone = true
                }
                pieceStart = scanned
            }
        }
    }

    private mutating func scanGeoJSON(_ pieces: inout [Piece]) {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        while scanned < buffer.count && !listClosed {
            let byte = buffer[scanned]
            let at = scanned
            scanned += 1
            if inString {
                if escaped {
                    escaped = false
                } else if byte == backslash {
                    escaped = true
                } else if byte == quote {
                    inString = false
                }
                continue
            }
            switch byte {
            case quote:
                inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                if depth == 3 {
                    // A feature begins: before it, the opening text (first) or a comma (dropped).
                    if !headerDone {
                        pieces.append(.text(Data(buffer[pieceStart..<at])))
                        headerDone = true
                    }
                    pieceStart = at
                }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 2 {
                    let feature = Data(buffer[pieceStart..<scanned])
                    pieces.append(.record(Self.featureID(feature), feature))
                    pieceStart = scanned
                } else if depth == 1 {
                    // The list of features ends: everything from here on is kept as it is.
                    if !headerDone {
                        pieces.append(.text(Data(buffer[pieceStart..<at])))
                        headerDone = true
                    }
                    pieceStart = at
                    listClosed = true
                }
            default:
                break
            }
        }
        if listClosed { scanned = buffer.count }
    }

    private static let idKey = Array(#""id":""#.utf8)

    private static func featureID(_ feature: Data) -> UUID? {
        let bytes = [UInt8](feature)
        guard bytes.count > idKey.count else { return nil }
        for start in 0...(bytes.count - idKey.count) where bytes[start..<start + idKey.count].elementsEqual(idKey) {
            return uuid(in: Data(bytes), at: start + idKey.count)
        }
        return nil
    }

    private static func uuid(in data: Data, at offset: Int) -> UUID? {
        let start = data.startIndex + offset
        guard data.count >= offset + 36 else { return nil }
        return UUID(uuidString: String(decoding: data[start..<start + 36], as: UTF8.self))
    }
}
