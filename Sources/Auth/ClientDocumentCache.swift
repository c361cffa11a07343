import Engine

/// The client ID metadata documents fetched lately, checked and turned into the client they describe, each
/// until its answer's cache lifetime ends; at most `capacity`, the least recently used going first. A plain
/// value: its owner locks it and does the I/O.
struct ClientDocumentCache {
    private struct Entry {
        let client: NewOAuthClient
        let expiresAtMilliseconds: Int64
        var lastUse: UInt64
    }

    let capacity: Int
    private var entries: [String: Entry] = [:]
    private var uses: UInt64 = 0

    init(capacity: Int) { self.capacity = capacity }

    var count: Int { entries.count }

    /// The client the document at `url` described, while its cache lifetime lasts.
    mutating func client(at url: String, nowMilliseconds: Int64) -> NewOAuthClient? {
        guard var entry = entries[url] else { return nil }
        guard nowMilliseconds < entry.expiresAtMilliseconds else {
            entries[url] = nil
            return nil
        }
        uses += 1
        entry.lastUse = uses
        entries[url] = entry
        return entry.client
    }

    /// Keeps `client` for `lifetimeMilliseconds` (nothing is kept for 0).
    mutating func store(_ client: NewOAuthClient, at url: String, lifetimeMilliseconds: Int64, nowMilliseconds: Int64) {
        guard lifetimeMilliseconds > 0, capacity > 0 else { return }
        if entries[url] == nil && entries.count >= capacity {
            // Expired entries go first; otherwise the least recently used. A scan, but only when full.
            let victim =
                entries.first { $0.value.expiresAtMilliseconds <= nowMilliseconds }?.key
                ?? entries.min { $0.value.lastUse < $1.value.lastUse }?.key
            if let victim { entries[victim] = nil }
        }
        uses += 1
        entries[url] = Entry(
            client: client, expiresAtMilliseconds: nowMilliseconds + lifetimeMilliseconds, lastUse: uses)
    }

    /// How long an answer with this `Cache-Control` may be kept: `no-store` and `no-cache` keep it for no time,
    /// `max-age` for that long, nothing said for `defaultSeconds`; never more than `maxSeconds`.
    static func lifetimeSeconds(cacheControl: String?, defaultSeconds: Int64, maxSeconds: Int64) -> Int64 {
        guard let cacheControl else { return min(defaultSeconds, maxSeconds) }
        var maxAge: Int64?
        for directive in cacheControl.split(separator: ",") {
            let parts = directive.split(separator: "=", maxSplits: 1)
            let name = parts[0].trimmingBlanks().lowercased()
            switch name {
            case "no-store", "no-cache": return 0
            case "max-age" where parts.count == 2:
                let value = parts[1].trimmingBlanks().trimmingQuotes()
                guard let seconds = Int64(value), seconds >= 0 else { return 0 }
                maxAge = seconds
            default: continue
            }
        }
        return min(maxAge ?? defaultSeconds, maxSeconds)
    }
}

extension Substring {
    fileprivate func trimmingBlanks() -> Substring {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !blank($0) }), let last = lastIndex(where: { !blank($0) }) else {
            return ""
        }
        return self[first...last]
    }

    fileprivate func trimmingQuotes() -> Substring {
        count >= 2 && first == "\"" && last == "\"" ? dropFirst().dropLast() : self
    }
}
