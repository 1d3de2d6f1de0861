import Fluent
import NIOConcurrencyHelpers
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import App

/// Issue #14: the map asks for its view only — pins where there are few incidents, red/blue
/// clusters where there are many — and the answer follows every publication and take-down.
@Suite struct ClusterTests {
    func clusters(_ app: Application, _ query: String) async throws -> ClusterView {
        let response = try await app.send(.GET, "/api/v1/incidents/clusters?" + query)
        #expect(response.status == .ok, "\(response.body.string)")
        return try response.content.decode(ClusterView.self)
    }

    @Test func aQuietViewGetsPinsWithoutWordsAndNothingUnpublished() async throws {
        try await withApp { app in
            let published = try await app.submitReport()
            try await app.publish(receipt: published)
            let stopped = try await app.submitReport(["prevented": true, "preventedBy": "bystander"])
            try await app.publish(receipt: stopped)
            _ = try await app.submitReport()  // pending
            let rejected = try await app.submitReport()
            let (moderator, _) = try await app.makeModerator(role: .moderator)
            try await ModerationService.reject(
                try await app.report(receipt: rejected), code: .spam, reason: nil, by: moderator, on: app.db)

            let response = try await app.send(.GET, "/api/v1/incidents/clusters?zoom=12&bbox=76.7,43.1,77.1,43.4")
            #expect(!response.body.string.contains("description") && !response.body.string.contains("Мужчина"))
            let view = try response.content.decode(ClusterView.self)
            #expect(view.total == 2 && view.clusters.isEmpty)
            #expect(
                Set(view.points.map(\.id))
                    == Set([
                        try await app.report(receipt: published).requireID(),
                        try await app.report(receipt: stopped).requireID(),
                    ]))
            #expect(view.points.filter(\.prevented).count == 1)
            // The pins are the public points, never the exact ones.
            let exact = try await app.report(receipt: published)
            #expect(view.points.allSatisfy { $0.latitude != exact.latitude || $0.longitude != exact.longitude })
            // Outside the box, nothing.
            #expect(try await clusters(app, "zoom=12&bbox=50,40,51,41").total == 0)
        }
    }

    @Test func aBusyViewGetsRedAndBlueClustersThatAddUp() async throws {
        try await withApp { app in
            let made = try await DemoData.make(count: 400, published: true, app: app, on: app.db, seed: 7)
            #expect(made == 400)
            let pinned = try await Report.query(on: app.db).filter(\.$publicLatitude != nil).all()
            let view = try await ClusterQueries.view(IncidentFilters(), zoom: 5, maxPoints: 50, app: app, on: app.db)
            #expect(view.points.isEmpty && !view.clusters.isEmpty)
            #expect(view.total == pinned.count && view.clusters.reduce(0) { $0 + $1.count } == pinned.count)
            #expect(view.clusters.reduce(0) { $0 + $1.prevented } == pinned.filter(\.prevented).count)
            for cluster in view.clusters {
                #expect(cluster.south <= cluster.latitude && cluster.latitude <= cluster.north)
                #expect(cluster.west <= cluster.longitude && cluster.longitude <= cluster.east)
            }
            // Closer in, the same incidents in more, smaller clusters.
            let closer = try await ClusterQueries.view(IncidentFilters(), zoom: 9, maxPoints: 50, app: app, on: app.db)
            #expect(closer.clusters.count > view.clusters.count)
            // A view gets the clusters whose centre it holds, and its total is theirs.
            var almaty = IncidentFilters()
            almaty.bbox = (minLon: 76.80, minLat: 43.15, maxLon: 77.05, maxLat: 43.35)
            let city = try await ClusterQueries.view(almaty, zoom: 9, maxPoints: 20, app: app, on: app.db)
            #expect(!city.clusters.isEmpty && city.clusters.count < closer.clusters.count)
            #expect(city.total == city.clusters.reduce(0) { $0 + $1.count })
            #expect(
                city.clusters.allSatisfy {
                    (43.15...43.35).contains($0.latitude) && (76.80...77.05).contains($0.longitude)
                })
            #expect(Set(city.clusters.map(\.latitude)).isSubset(of: Set(closer.clusters.map(\.latitude))))
            // At street level, pins on their own (the city's pins, up to 2,000).
            let street = try await ClusterQueries.view(IncidentFilters(), zoom: 14, app: app, on: app.db)
            #expect(street.clusters.isEmpty && street.points.count == pinned.count)
            // Filters narrow the clusters as they narrow the pins.
            var onlyStopped = IncidentFilters()
            onlyStopped.prevented = true
            let stopped = try await ClusterQueries.view(onlyStopped, zoom: 5, maxPoints: 50, app: app, on: app.db)
            #expect(stopped.total == pinned.filter(\.prevented).count)
            #expect(stopped.clusters.allSatisfy { $0.prevented == $0.count })
        }
    }

    /// Whether a view gets pins or clusters is decided from the kept cells' bounds; it must
    /// decide as a count of the places in the box would, and the hand-written JSON must say
    /// what the view holds.
    @Test func theCellsDecidePinsOrClustersAsAnExactCountWould() async throws {
        try await withApp { app in
            _ = try await DemoData.make(count: 600, published: true, app: app, on: app.db, seed: 11)
            let places = try await ClusterQueries.places(IncidentFilters(), app: app, on: app.db)
            var random = SplitMix(seed: 3)
            var sawPins = false
            var sawClusters = false
            for _ in 0..<80 {
                let zoom = 5 + Int(random.unit() * 12)
                // Boxes of many sizes around Almaty, where many of the incidents are.
                let latitude = 43.238 + (random.unit() - 0.5) * 0.1
                let longitude = 76.89 + (random.unit() - 0.5) * 0.14
                let height = random.unit() * 0.06
                let width = random.unit() * 0.08
                var filters = IncidentFilters()
                filters.bbox = (
                    minLon: longitude - width, minLat: latitude - height, maxLon: longitude + width,
                    maxLat: latitude + height
                )
                let exact = ClusterQueries.total(of: places, in: filters)
                let view = try await ClusterQueries.view(filters, zoom: zoom, maxPoints: 40, app: app, on: app.db)
                let pinLimit = zoom >= ClusterQueries.pinZoom ? 40 : min(ClusterQueries.sparse, 40)
                if exact <= pinLimit {
                    sawPins = true
                    #expect(view.clusters.isEmpty && view.total == exact && view.points.count == exact)
                } else {
                    // (A box much smaller than a cell may hold no cell's centre, so no cluster.)
                    sawClusters = true
                    #expect(view.points.isEmpty)
                }
                // The answer's JSON, written by hand, holds exactly the view.
                let bbox = [longitude - width, latitude - height, longitude + width, latitude + height]
                    .map { String($0) }.joined(separator: ",")
                let answered = try await clusters(app, "zoom=\(zoom)&bbox=\(bbox)")
                let expected = try await ClusterQueries.view(filters, zoom: zoom, app: app, on: app.db)
                #expect(answered.zoom == expected.zoom && answered.total == expected.total)
                #expect(answered.clusters == expected.clusters)
                #expect(Set(answered.points.map(\.id)) == Set(expected.points.map(\.id)))
                #expect(answered.points.count == expected.points.count)
            }
            #expect(sawPins && sawClusters)
        }
    }

    /// Issue #15: the home page carries the map's first view, as the API answers it, so a slow
    /// phone draws the map without waiting for another request.
    @Test func theHomePageCarriesTheMapsFirstView() async throws {
        try await withApp { app in
            _ = try await DemoData.make(count: 300, published: true, app: app, on: app.db, seed: 5)
            let html = try await app.send(.GET, "/?lang=en").body.string
            let attribute = try #require(html.firstMatch(of: /data-initial="([^"]*)"/)?.1)
            let json = String(attribute).replacingOccurrences(of: "&quot;", with: "\"")
                .replacingOccurrences(of: "&amp;", with: "&")
            let embedded = try JSONDecoder().decode(ClusterView.self, from: Data(json.utf8))
            let answered = try await clusters(app, "zoom=5")
            #expect(embedded.zoom == MapWebController.startZoom && embedded.total > 100)
            #expect(embedded.total == answered.total && embedded.clusters == answered.clusters)
            #expect(Set(embedded.points.map(\.id)) == Set(answered.points.map(\.id)))
        }
    }

    @Test func theViewFollowsEveryPublicationAndTakeDown() async throws {
        try await withApp { app in
            let first = try await app.submitReport()
            try await app.publish(receipt: first)
            #expect(try await clusters(app, "zoom=5").total == 1)
            let second = try await app.submitReport()
            try await app.publish(receipt: second)
            #expect(try await clusters(app, "zoom=5").total == 2)
            let (moderator, _) = try await app.makeModerator(role: .moderator)
            try await ModerationService.reject(
                try await app.report(receipt: first), code: .identifying_details, reason: nil, by: moderator,
                on: app.db)
            #expect(try await clusters(app, "zoom=5").total == 1)
            _ = try await app.send(.DELETE, "/api/v1/receipt", json: ["code": second])
            #expect(try await clusters(app, "zoom=5").total == 0)
        }
    }

    @Test func badViewsAreRefusedByName() async throws {
        try await withApp { app in
            for (query, field) in [
                ("", "zoom"), ("zoom=20", "zoom"), ("zoom=five", "zoom"), ("zoom=5&bbox=1,2,3", "bbox"),
                ("zoom=5&city=atlantis", "city"), ("zoom=-1&prevented=maybe", "prevented"),
            ] {
                let response = try await app.send(.GET, "/api/v1/incidents/clusters?" + query)
                #expect(response.status == .badRequest, "\(query)")
                let error = try response.content.decode(ErrorBody.self)
                #expect(error.error.fields?[field] != nil, "\(query): \(response.body.string)")
            }
        }
    }

    struct ErrorBody: Decodable {
        struct Inner: Decodable { var fields: [String: String]? }
        var error: Inner
    }
}

/// Issue #14: a view many ask for at once, right after a change, is counted once.
@Suite struct PublicViewCacheTests {
    @Test func manyAskingAtOnceMakeTheValueOnce() async throws {
        try await withApp { app in
            let cache = PublicViewCache<Int>()
            let made = ManagedAtomicCounter()
            let values = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await cache.value(for: "country", on: app.db) {
                            _ = made.increment()
                            try await Task.sleep(for: .milliseconds(100))
                            return 42
                        }
                    }
                }
                var all: [Int] = []
                for try await value in group { all.append(value) }
                return all
            }
            #expect(values == Array(repeating: 42, count: 20))
            #expect(made.increment() == 2, "made once, then counted here")
            // A change to the published set makes it anew.
            try await PublicChanges.bump(nil, on: app.db)
            _ = try await cache.value(for: "country", on: app.db) {
                _ = made.increment()
                return 43
            }
            #expect(made.increment() == 4)
        }
    }

    /// Another instance's change shows once the remembered version expires; this process's own
    /// changes show at once.
    @Test func anotherInstancesChangeShowsWithinTheVersionsLifetime() async throws {
        try await withApp { app in
            // This process's changes, as this test makes them: other tests run alongside.
            let own = NIOLockedValueBox(PublicChanges.Local())
            let published = PublishedSet(lifetime: .seconds(5)) { own.withLockedValue { $0 } }
            let cache = PublicViewCache<Int>(following: published)
            let made = ManagedAtomicCounter()
            func look() async throws -> Int {
                try await cache.value(for: "country", on: app.db) { made.increment() }
            }
            #expect(try await look() == 1)
            // The counter moves as another server would move it: in the database only.
            try await app.db.sql().raw("UPDATE public_changes SET version = version + 1").run()
            #expect(try await look() == 1, "still the remembered version")
            try await Task.sleep(for: .seconds(5.5))
            #expect(try await look() == 2, "read again once the lifetime ran out")
            try await app.db.sql().raw("UPDATE public_changes SET version = version + 1").run()
            let version = try await PublicChanges.current(on: app.db)
            own.withLockedValue { $0 = PublicChanges.Local(last: .now(), expected: version) }
            #expect(try await look() == 3, "this process's change shows at once")
        }
    }

    /// This process counts its change inside the transaction, before the commit: a reader in
    /// between reads the old version. Until the set has seen the version this process made,
    /// the counter is read on every request, so the commit shows on the next one.
    @Test func aReaderBetweenALocalChangeAndItsCommitDoesNotKeepTheOldView() async throws {
        try await withApp { app in
            let own = NIOLockedValueBox(PublicChanges.Local())
            let published = PublishedSet(lifetime: .seconds(30)) { own.withLockedValue { $0 } }
            let cache = PublicViewCache<Int>(following: published)
            let made = ManagedAtomicCounter()
            func look() async throws -> Int {
                try await cache.value(for: "country", on: app.db) { made.increment() }
            }
            #expect(try await look() == 1)
            // Counted, not yet committed: a reader now still reads the old version.
            let version = try await PublicChanges.current(on: app.db)
            own.withLockedValue { $0 = PublicChanges.Local(last: .now(), expected: version + 1) }
            #expect(try await look() == 1)
            // The commit.
            try await app.db.sql().raw("UPDATE public_changes SET version = version + 1").run()
            #expect(try await look() == 2, "the commit shows on the next request, not a lifetime later")
        }
    }

    /// Past its capacity the cache lets the least recently used value go, not all of them.
    @Test func aFloodOfRareKeysKeepsTheBusyOne() async throws {
        let cache = PublicViewCache<Int>(capacity: 4)
        let made = ManagedAtomicCounter()
        _ = try await cache.value(for: "busy", version: 1) { made.increment() }
        for rare in 0..<20 {
            _ = try await cache.value(for: "rare\(rare)", version: 1) { made.increment() }
            #expect(try await cache.value(for: "busy", version: 1) { made.increment() } == 1)
        }
        #expect(cache.count == 4)
    }
}
