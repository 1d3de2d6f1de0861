import Vapor

/// Map tiles through our own server (SPEC rule 2): the visitor's browser only ever talks to
/// us, and the upstream tile server only ever sees our server, never anything about the visitor.
///
/// Tiles are cached on disk under `<data>/tiles/z/x/y.png`, fresh for 30 days, and the cache is
/// trimmed (oldest files first) when it grows past its size bound.
struct TileProxyController {
    /// What the map scripts load tiles from: always our own server.
    static let template = "/tiles/{z}/{x}/{y}.png"

    struct TileAddress: Equatable {
        var z: Int
        var x: Int
        var y: Int

        /// Parses `z`, `x` and `y.png`; nil for anything that is not a real tile.
        init?(z rawZ: String?, x rawX: String?, file: String?) {
            guard let rawZ, let rawX, let file, file.hasSuffix(".png") else { return nil }
            let rawY = String(file.dropLast(4))
            // Plain decimal numbers only, so one tile has one URL and one cache file.
            guard let z = Int(rawZ), let x = Int(rawX), let y = Int(rawY),
                String(z) == rawZ, String(x) == rawX, String(y) == rawY, (0...19).contains(z)
            else { return nil }
            let count = 1 << z
            guard (0..<count).contains(x), (0..<count).contains(y) else { return nil }
            self.z = z
            self.x = x
            self.y = y
        }

        func upstreamURL(template: String) -> String {
            let subdomain = ["a", "b", "c"][(x + y) % 3]
            return template.replacingOccurrences(of: "{z}", with: String(z))
                .replacingOccurrences(of: "{x}", with: String(x)).replacingOccurrences(of: "{y}", with: String(y))
                .replacingOccurrences(of: "{s}", with: subdomain)
        }
    }

    @Sendable func tile(req: Request) async throws -> Response {
        guard
            let address = TileAddress(
                z: req.parameters.get("z"), x: req.parameters.get("x"), file: req.parameters.get("file"))
        else { throw AppError.notFound }
        let data = try await req.application.tileCache.tile(address, client: req.client, logger: req.logger)
        let response = Response(status: .ok, body: .init(data: data))
        response.headers.contentType = .png
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=86400")
        return response
    }
}

/// The disk cache of tiles, shared by all requests of one server.
actor TileCache {
    let directory: String
    let maxBytes: Int
    let upstream: String
    let userAgent: String
    static let freshFor: TimeInterval = 30 * 24 * 3600

    private var knownBytes: Int?

    init(directory: String, maxBytes: Int, upstream: String, userAgent: String) {
        self.directory = directory
        self.maxBytes = maxBytes
        self.upstream = upstream
        self.userAgent = userAgent
    }

    private func path(_ address: TileProxyController.TileAddress) -> String {
        "\(directory)/\(address.z)/\(address.x)/\(address.y).png"
    }

    func tile(_ address: TileProxyController.TileAddress, client: any Client, logger: Logger) async throws -> Data {
        let file = path(address)
        let manager = FileManager.default
        let cached = manager.contents(atPath: file)
        if let cached, let modified = (try? manager.attributesOfItem(atPath: file))?[.modificationDate] as? Date,
            Date().timeIntervalSince(modified) < Self.freshFor
        {
            return cached
        }
        do {
            let fresh = try await fetch(address, client: client)
            try store(fresh, at: file)
            return fresh
        } catch {
            logger.warning(
                "tile upstream failed", metadata: ["errorType": .string(String(describing: type(of: error)))])
            // A stale tile is better than a hole in the map.
            if let cached { return cached }
            throw AppError(status: .badGateway, code: "tile_unavailable", messageKey: "error_tile")
        }
    }

    /// Asks the upstream server with our own headers only: no cookie, no referrer, no address
    /// and no user agent of the visitor ever leave this server.
    private func fetch(_ address: TileProxyController.TileAddress, client: any Client) async throws -> Data {
        var headers = HTTPHeaders()
        headers.add(name: .userAgent, value: userAgent)
        headers.add(name: .accept, value: "image/png")
        let response = try await client.get(URI(string: address.upstreamURL(template: upstream)), headers: headers) {
            $0.timeout = .seconds(15)
        }
        guard response.status == .ok, var body = response.body, body.readableBytes > 0, body.readableBytes < 2_000_000,
            let bytes = body.readData(length: body.readableBytes)
        else {
            throw Abort(.badGateway)
        }
        return bytes
    }

    private func store(_ data: Data, at file: String) throws {
        let manager = FileManager.default
        try PrivateFiles.makeDirectory(directory)
        try PrivateFiles.makeDirectory((file as NSString).deletingLastPathComponent)
        let previous = (try? manager.attributesOfItem(atPath: file))?[.size] as? Int ?? 0
        try PrivateFiles.write(data, to: file)
        let total = (knownBytes ?? currentBytes()) + data.count - previous
        knownBytes = total
        if total > maxBytes { trim() }
    }

    /// Every tile file with its size and age.
    private func files() -> [(path: String, size: Int, modified: Date)] {
        let manager = FileManager.default
        guard let enumerator = manager.enumerator(atPath: directory) else { return [] }
        var result: [(String, Int, Date)] = []
        for case let relative as String in enumerator where relative.hasSuffix(".png") {
            let full = directory + "/" + relative
            guard let attributes = try? manager.attributesOfItem(atPath: full) else { continue }
            result.append(
                (full, attributes[.size] as? Int ?? 0, attributes[.modificationDate] as? Date ?? .distantPast))
        }
        return result
    }

    private func currentBytes() -> Int { files().reduce(0) { $0 + $1.size } }

    /// Deletes the oldest tiles until the cache is back under 90 % of its bound.
    private func trim() {
        var all = files().sorted { $0.modified < $1.modified }
        var total = all.reduce(0) { $0 + $1.size }
        let target = maxBytes * 9 / 10
        while total > target, !all.isEmpty {
            let oldest = all.removeFirst()
            try? FileManager.default.removeItem(atPath: oldest.path)
            total -= oldest.size
        }
        knownBytes = total
    }

    /// For tests: the bytes the cache holds on disk now.
    func bytesOnDisk() -> Int { currentBytes() }
}

extension Application {
    private struct TileCacheKey: StorageKey { typealias Value = TileCache }

    var tileCache: TileCache {
        get {
            guard let cache = storage[TileCacheKey.self] else { fatalError("configure(_:config:) was not called") }
            return cache
        }
        set { storage[TileCacheKey.self] = newValue }
    }
}
