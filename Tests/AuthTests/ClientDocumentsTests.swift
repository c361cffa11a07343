import Engine
import Foundation
import Synchronization
import Testing

@testable import Auth

/// A fetcher that holds every fetch until released, counting them: concurrency without sleeps.
final class HeldFetcher: ClientDocumentFetcher {
    private let state = Mutex<(count: Int, waiting: [CheckedContinuation<Void, Never>], open: Bool)>((0, [], false))

    var count: Int { state.withLock { $0.count } }

    func release() {
        let waiting = state.withLock { state in
            state.open = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    func fetch(_ url: String, maxBytes: Int) async throws(ClientDocumentFetchError) -> FetchedClientDocument {
        await withCheckedContinuation { continuation in
            let go = state.withLock { state in
                state.count += 1
                if !state.open { state.waiting.append(continuation) }
                return state.open
            }
            if go { continuation.resume() }
        }
        return FetchedClientDocument(status: 200, contentType: "application/json", cacheControl: nil, body: [])
    }
}

@Suite("Client ID metadata documents: the URL's shape, the cache's lifetime and bounds, one fetch per URL at a time")
struct ClientDocumentsTests {
    static func described(_ name: String) -> NewOAuthClient {
        NewOAuthClient(name: name, kind: .public, redirectURIs: [], scopes: [], secretDigest: nil)
    }

    @Test("a client_id URL is https with a host and a path, without query, fragment, user or dot segments")
    func urlShape() {
        #expect(ClientIDURL.problem(with: "https://tool.example/client.json") == nil)
        #expect(ClientIDURL.problem(with: "https://tool.example:8443/a/b") == nil)
        for bad in [
            "http://tool.example/c", "HTTPS://tool.example/c", "https:///c", "https://tool.example",
            "https://tool.example/", "https://tool.example/c?x=1", "https://tool.example/c#f",
            "https://u:p@tool.example/c", "https://tool.example/./c", "https://tool.example/a/../c",
            "https://tool.example/a/%2e%2e/c", "https://tool.example/a b",
            "https://tool.example/" + String(repeating: "a", count: 2000),
        ] {
            #expect(ClientIDURL.problem(with: bad) != nil, "\(bad)")
        }
    }

    @Test("Cache-Control: max-age within the bound, no-store and no-cache keep nothing, nothing said keeps the default")
    func lifetime() {
        func seconds(_ header: String?) -> Int64 {
            ClientDocumentCache.lifetimeSeconds(cacheControl: header, defaultSeconds: 600, maxSeconds: 86_400)
        }
        #expect(seconds(nil) == 600)
        #expect(seconds("public, max-age=120") == 120)
        #expect(seconds("max-age=\"30\"") == 30)
        #expect(seconds("max-age=99999999") == 86_400)
        #expect(seconds("no-store") == 0)
        #expect(seconds("max-age=60, no-cache") == 0)
        #expect(seconds("max-age=-1") == 0)
        #expect(seconds("max-age=soon") == 0)
        #expect(seconds("private") == 600)
    }

    @Test("a full cache drops expired entries first, then the least recently used")
    func bounded() {
        var cache = ClientDocumentCache(capacity: 2)
        cache.store(Self.described("a"), at: "a", lifetimeMilliseconds: 1_000, nowMilliseconds: 0)
        cache.store(Self.described("b"), at: "b", lifetimeMilliseconds: 10_000, nowMilliseconds: 0)
        cache.store(Self.described("c"), at: "c", lifetimeMilliseconds: 10_000, nowMilliseconds: 2_000)
        #expect(cache.client(at: "a", nowMilliseconds: 2_000) == nil, "expired, dropped first")
        #expect(cache.client(at: "b", nowMilliseconds: 2_000)?.name == "b")
        cache.store(Self.described("d"), at: "d", lifetimeMilliseconds: 10_000, nowMilliseconds: 2_000)
        #expect(cache.count == 2)
        #expect(cache.client(at: "c", nowMilliseconds: 2_000) == nil, "the least recently used went")
        #expect(cache.client(at: "b", nowMilliseconds: 2_000)?.name == "b")
        #expect(cache.client(at: "b", nowMilliseconds: 10_000) == nil, "and entries expire")
        cache.store(Self.described("e"), at: "e", lifetimeMilliseconds: 0, nowMilliseconds: 0)
        #expect(cache.client(at: "e", nowMilliseconds: 0) == nil, "a lifetime of 0 keeps nothing")
    }

    @Test("sixteen requests for one URL at once share one fetch; past the bound of fetches under way, 503")
    func oneFetchPerURL() async throws {
        let fetcher = HeldFetcher()
        var settings = ClientDocuments.Settings()
        settings.maxFetchesUnderWay = 2
        let documents = ClientDocuments(
            fetcher: fetcher, settings: settings, clock: ManualClock(milliseconds: 0))
        let describe: ClientDocuments.Describe = { _ in Self.described("tool") }
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<16 {
                group.addTask { try await documents.client(at: "https://a.example/c", describe: describe).name }
            }
            group.addTask { try await documents.client(at: "https://b.example/c", describe: describe).name }
            // Progress, not time: both fetches have started (bounded, whatever the machine's load).
            var spins = 0
            while fetcher.count < 2 && spins < 100_000 {
                await Task.yield()
                spins += 1
            }
            #expect(fetcher.count == 2)
            do {
                _ = try await documents.client(at: "https://c.example/c", describe: describe)
                Issue.record("a third URL while two fetches are under way should be refused")
            } catch let error as OAuthError {
                #expect(error.status == 503)
            }
            fetcher.release()
            var names: [String] = []
            for try await name in group { names.append(name) }
            #expect(names.count == 17 && names.allSatisfy { $0 == "tool" })
        }
        #expect(fetcher.count == 2, "one fetch per URL")
        #expect(documents.cachedCount == 2)
    }
}
