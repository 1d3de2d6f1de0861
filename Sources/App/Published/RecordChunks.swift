import Foundation

/// The published records in publication order, in chunks of a few thousand: a publication
/// copies one chunk (a snapshot a reader still holds keeps the old one), never the million.
struct RecordChunks: Sendable {
    private(set) var chunks: [[PublishedRecord]] = []
    private(set) var count = 0

    static let chunkSize = 4096

    init(sorted records: [PublishedRecord] = []) {
        var start = 0
        while start < records.count {
            let end = min(start + Self.chunkSize, records.count)
            chunks.append(Array(records[start..<end]))
            start = end
        }
        count = records.count
    }

    /// Inserts in publication order. New publications land in the last chunk.
    mutating func insert(_ record: PublishedRecord) {
        count += 1
        guard !chunks.isEmpty else {
            chunks = [[record]]
            return
        }
        // The first chunk whose last record comes after this one (or the last chunk).
        var low = 0
        var high = chunks.count - 1
        while low < high {
            let middle = (low + high) / 2
            if PublishedRecord.isBefore(record, chunks[middle][chunks[middle].count - 1]) {
                high = middle
            } else {
                low = middle + 1
            }
        }
        let position = chunks[low].partitionIndex { !PublishedRecord.isBefore($0, record) }
        chunks[low].insert(record, at: position)
        if chunks[low].count >= 2 * Self.chunkSize {
            let second = Array(chunks[low][Self.chunkSize...])
            chunks[low].removeSubrange(Self.chunkSize...)
            chunks.insert(second, at: low + 1)
        }
    }

    /// Removes the record with this id; nil if there was none. Rare (a moderator's decision),
    /// so a scan of the ids is fine.
    @discardableResult
    mutating func remove(id: UUID) -> PublishedRecord? {
        for chunk in chunks.indices {
            if let position = chunks[chunk].firstIndex(where: { $0.id == id }) {
                let record = chunks[chunk].remove(at: position)
                if chunks[chunk].isEmpty { chunks.remove(at: chunk) }
                count -= 1
                return record
            }
        }
        return nil
    }

    @inline(__always)
    func forEach(_ body: (PublishedRecord) -> Void) {
        for chunk in chunks {
            for record in chunk { body(record) }
        }
    }

    /// The `limit` newest records that pass `include`, newest first.
    func newest(_ limit: Int, where include: (PublishedRecord) -> Bool) -> [PublishedRecord] {
        guard limit > 0 else { return [] }
        var found: [PublishedRecord] = []
        for chunk in chunks.reversed() {
            for record in chunk.reversed() where include(record) {
                found.append(record)
                if found.count == limit { return found }
            }
        }
        return found
    }
}

extension Array {
    /// The first index whose element passes `predicate`, for a predicate false then true.
    fileprivate func partitionIndex(where predicate: (Element) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if predicate(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
