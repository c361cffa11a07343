package import Engine
import Synchronization

/// Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document): a client whose `client_id` is
/// an `https` URL is described by the JSON document at that URL. This fetches each document (through the
/// fetcher, which guards the network side), has it checked, and keeps the client it describes for as long as
/// the answer's cache headers allow, within bounds. Concurrent requests for one URL share one fetch; the number
/// of fetches under way at once is bounded too, since anyone can name any URL.
package final class ClientDocuments: Sendable {
    /// The bounds: how large a document, how long and how many are kept, how many fetches run at once.
    package struct Settings: Sendable {
        /// The draft recommends 5 KB.
        package var maxDocumentBytes = 5 * 1024
        /// How long an answer without cache headers is kept.
        package var defaultCacheSeconds: Int64 = 600
        /// The longest an answer is kept, whatever it says.
        package var maxCacheSeconds: Int64 = 86_400
        package var capacity = 1_000
        package var maxFetchesUnderWay = 64

        package init() {}
    }

    /// Turns a fetched answer into the client it describes, or says why it cannot.
    package typealias Describe = @Sendable (FetchedClientDocument) throws(OAuthError) -> NewOAuthClient

    private struct State {
        var cache: ClientDocumentCache
        var underWay: [String: Task<Result<NewOAuthClient, OAuthError>, Never>] = [:]
    }

    let fetcher: any ClientDocumentFetcher
    let settings: Settings
    let clock: any EngineClock
    private let state: Mutex<State>

    package init(fetcher: any ClientDocumentFetcher, settings: Settings = Settings(), clock: any EngineClock) {
        self.fetcher = fetcher
        self.settings = settings
        self.clock = clock
        state = Mutex(State(cache: ClientDocumentCache(capacity: settings.capacity)))
    }

    /// The client the document at `url` describes: from the cache while it is fresh, else fetched and described.
    /// Failures are not kept: the next request tries again.
    package func client(at url: String, describe: @escaping Describe) async throws(OAuthError) -> NewOAuthClient {
        let now = clock.nowMilliseconds()
        enum Next {
            case known(NewOAuthClient)
            case wait(Task<Result<NewOAuthClient, OAuthError>, Never>)
            case busy
        }
        let next = state.withLock { state -> Next in
            if let known = state.cache.client(at: url, nowMilliseconds: now) { return .known(known) }
            if let running = state.underWay[url] { return .wait(running) }
            guard state.underWay.count < settings.maxFetchesUnderWay else { return .busy }
            let task = Task { await self.fetch(url, describe: describe) }
            state.underWay[url] = task
            return .wait(task)
        }
        switch next {
        case .known(let client): return client
        case .wait(let task): return try await task.value.get()
        case .busy:
            throw OAuthError(
                "temporarily_unavailable", "too many client metadata documents are being fetched; try again",
                status: 503)
        }
    }

    /// How many documents are kept now.
    package var cachedCount: Int { state.withLock { $0.cache.count } }

    private func fetch(_ url: String, describe: Describe) async -> Result<NewOAuthClient, OAuthError> {
        let result: Result<NewOAuthClient, OAuthError>
        var lifetimeSeconds: Int64 = 0
        do {
            let fetched = try await fetcher.fetch(url, maxBytes: settings.maxDocumentBytes)
            result = .success(try describe(fetched))
            lifetimeSeconds = ClientDocumentCache.lifetimeSeconds(
                cacheControl: fetched.cacheControl, defaultSeconds: settings.defaultCacheSeconds,
                maxSeconds: settings.maxCacheSeconds)
        } catch let error as ClientDocumentFetchError {
            result = .failure(ClientDocuments.refusal(url, error.reason))
        } catch let error as OAuthError {
            result = .failure(error)
        } catch {
            result = .failure(ClientDocuments.refusal(url, "could not be fetched"))
        }
        let now = clock.nowMilliseconds()
        state.withLock { state in
            state.underWay[url] = nil
            if case .success(let client) = result {
                state.cache.store(client, at: url, lifetimeMilliseconds: lifetimeSeconds * 1000, nowMilliseconds: now)
            }
        }
        return result
    }

    /// The error for a document that cannot describe a client: `invalid_client`, naming the document and why.
    package static func refusal(_ url: String, _ reason: String) -> OAuthError {
        OAuthError("invalid_client", "the client's metadata document at \(url.prefix(300)) \(reason)")
    }
}
