import Crypto
import Foundation
import Vapor

/// Our own CSS and JavaScript, and the vendor files pages load, under URLs that carry a hash of
/// their content (issue #15): a browser may then keep them for a year, and a new release is
/// fetched at once because its URLs differ.
struct StaticAssets: Sendable {
    /// The first 10 hex digits of a SHA-256 over every file, in path order.
    let version: String
    /// Each file's gzip bytes and type by URL path, made once: a phone on a slow line gets the
    /// compressed file and no request pays for compressing it again.
    var gzipped: [String: (type: String, bytes: [UInt8])] = [:]

    /// The files that make up the version: `Public/static` and the vendor files pages load.
    static func load(publicDirectory: String) throws -> StaticAssets {
        let root = URL(fileURLWithPath: publicDirectory).appendingPathComponent("static")
        var paths: [String] = []
        if let walker = FileManager.default.enumerator(atPath: root.path) {
            for case let path as String in walker where path.hasSuffix(".css") || path.hasSuffix(".js") {
                paths.append(root.appendingPathComponent(path).path)
            }
        }
        paths.sort()
        // URL path → file.
        var files = paths.map { ("/static/" + String($0.dropFirst(root.path.count + 1)), $0) }
        files += vendorFiles.compactMap { file in
            let parts = file.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2, let folder = VendorFilesController.folders[parts[0]] else { return nil }
            return ("/vendor/" + file, folder + "/" + parts[1])
        }
        var hash = SHA256()
        var gzipped: [String: (type: String, bytes: [UInt8])] = [:]
        for (url, path) in files {
            hash.update(data: Data(path.utf8))
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            hash.update(data: data)
            let type = url.hasSuffix(".css") ? "text/css; charset=utf-8" : "application/javascript; charset=utf-8"
            if let bytes = Gzip.compress(Array(data)) { gzipped[url] = (type, bytes) }
        }
        return StaticAssets(version: String(hash.finalize().hexString.prefix(10)), gzipped: gzipped)
    }

    /// The vendor files the layout loads, as `/vendor/` paths.
    static let vendorFiles = ["leaflet/leaflet.css", "leaflet/leaflet.min.js", "chart.js/chart.min.js"]
}

/// Our static files and the vendor files pages load: the kept gzip bytes for browsers that
/// take them, and `Cache-Control` of a year, never revalidated, when the URL carries the
/// current version (otherwise revalidated on every use).
struct StaticFilesMiddleware: AsyncMiddleware {
    let assets: StaticAssets

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let path = request.url.path
        guard path.hasPrefix("/static/") || path.hasPrefix("/vendor/") else {
            return try await next.respond(to: request)
        }
        let response: Response
        let acceptsGzip = request.headers[.acceptEncoding].contains { $0.lowercased().contains("gzip") }
        if let kept = assets.gzipped[path], acceptsGzip, request.method == .GET || request.method == .HEAD {
            response = Response(
                status: .ok,
                headers: ["Content-Type": kept.type, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"],
                body: .init(buffer: ByteBuffer(bytes: kept.bytes)))
            // Already compressed: the server must not compress it again.
            response.headers.responseCompression = .disable
        } else {
            response = try await next.respond(to: request)
        }
        guard response.status == .ok else { return response }
        let current = request.url.query?.split(separator: "&").contains { $0 == "v=" + assets.version } ?? false
        response.headers.replaceOrAdd(
            name: .cacheControl, value: current ? "public, max-age=31536000, immutable" : "no-cache")
        return response
    }
}

extension Application {
    private struct StaticAssetsKey: StorageKey { typealias Value = StaticAssets }

    /// Set once in `configure`.
    var staticAssets: StaticAssets {
        get { storage[StaticAssetsKey.self] ?? StaticAssets(version: "0") }
        set { storage[StaticAssetsKey.self] = newValue }
    }
}
