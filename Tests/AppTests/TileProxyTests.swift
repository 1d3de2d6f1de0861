import Testing
import Vapor
import VaporTesting

@testable import App

/// Map tiles come through our server; the tile server learns nothing about the visitor.
@Suite struct TileProxyTests {
    /// A 1×1 PNG, as a tile server would send.
    static let png = Data(
        base64Encoded:
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==")!

    static func tileServer(_ app: Application) {
        app.get(":z", ":x", ":y") { _ in
            Response(status: .ok, headers: ["Content-Type": "image/png"], body: .init(data: TileProxyTests.png))
        }
    }

    let visitor: HTTPHeaders = [
        "User-Agent": "SentinelVisitorAgent/9.9", "X-Forwarded-For": "203.0.113.77", "Cookie": "lang=kk; secret=1",
        "Referer": "https://dauys.example/report", "Accept-Language": "kk",
    ]

    @Test func tilesAreFetchedOnceWithOurHeadersOnlyAndCached() async throws {
        try await withStandIn(Self.tileServer) { upstream in
            try await withApp({ $0.tileURL = upstream.baseURL + "/{z}/{x}/{y}.png" }) { app in
                for _ in 0..<3 {
                    let response = try await app.send(.GET, "/tiles/12/2900/1500.png", headers: visitor)
                    #expect(response.status == .ok)
                    #expect(response.headers.contentType == .png)
                    #expect(Data(buffer: response.body) == Self.png)
                }
                let requests = upstream.requests
                #expect(requests.map(\.path) == ["/12/2900/1500.png"])
                let sent = try #require(requests.first).headers
                #expect(sent.first(name: .userAgent)?.hasPrefix("Dauys-tile-proxy/") == true)
                for name in ["X-Forwarded-For", "Forwarded", "X-Real-IP", "Cookie", "Referer", "Accept-Language"] {
                    #expect(!sent.contains(name: name), "\(name) reached the tile server")
                }
                let everything = sent.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
                #expect(!everything.contains("Sentinel") && !everything.contains("203.0.113.77"))
            }
        }
    }

    @Test func impossibleTilesAreRefusedWithoutAskingUpstream() async throws {
        try await withStandIn(Self.tileServer) { upstream in
            try await withApp({ $0.tileURL = upstream.baseURL + "/{z}/{x}/{y}.png" }) { app in
                for path in [
                    "/tiles/20/0/0.png", "/tiles/3/8/0.png", "/tiles/3/0/-1.png", "/tiles/a/b/c.png",
                    "/tiles/3/1/1.jpg", "/tiles/03/1/1.png",
                ] {
                    let response = try await app.send(.GET, path)
                    #expect(response.status == .notFound, "\(path)")
                }
                #expect(upstream.requests.isEmpty)
            }
        }
    }

    @Test func aFailingTileServerGivesAClearError() async throws {
        try await withStandIn({ $0.get(":z", ":x", ":y") { _ in Response(status: .serviceUnavailable) } }) { upstream in
            try await withApp({ $0.tileURL = upstream.baseURL + "/{z}/{x}/{y}.png" }) { app in
                let response = try await app.send(.GET, "/tiles/1/0/0.png")
                #expect(response.status == .badGateway)
                #expect(response.body.string.contains(app.translations.text("error_tile", .ru)))
            }
        }
    }

    @Test func theCacheStaysWithinItsBound() async throws {
        try await withStandIn(Self.tileServer) { upstream in
            try await withApp({
                $0.tileURL = upstream.baseURL + "/{z}/{x}/{y}.png"
                $0.tileCacheBytes = Self.png.count * 10
            }) { app in
                for x in 0..<30 {
                    let response = try await app.send(.GET, "/tiles/10/\(x)/0.png")
                    #expect(response.status == .ok)
                }
                #expect(await app.tileCache.bytesOnDisk() <= Self.png.count * 10)
            }
        }
    }

    @Test func pagesLoadTilesOnlyFromOurServer() async throws {
        try await withApp { app in
            for page in ["/", "/report"] {
                let response = try await app.send(.GET, page)
                #expect(response.body.string.contains("data-tiles=\"/tiles/{z}/{x}/{y}.png\""))
                let policy = try #require(response.headers.first(name: "Content-Security-Policy"))
                #expect(!policy.contains("http"), "the policy names another origin: \(policy)")
            }
        }
    }
}
