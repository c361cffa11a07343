import Foundation
import NIOCore

/// `/health`, `/metrics` and the OpenAPI document: what operators and tools read. Health and metrics are
/// answered even after the log has failed, to say so.
extension Endpoints {
    func addSystemRoutes(to root: RouteGroup) {
        root.on(.GET, "/health", servedWhenOutOfService: true) { _, _ in health() }
        let document = OpenAPIDocument.json(version: version)
        root.get("/api/v1/openapi.json") { _, _ in .json(.ok, document) }
        if let metrics {
            root.on(.GET, "/metrics", servedWhenOutOfService: true) { _, _ in
                HTTPResponse(
                    status: .ok, headers: ["content-type": "text/plain; version=0.0.4"],
                    body: ByteBuffer(bytes: await metrics.scrape(engine)))
            }
        }
    }

    private func health() -> HTTPResponse {
        struct Answer: Encodable {
            let status: String
            let timestamp: String
            let version: String
            let durability: String
            let checks: [String: String]
            /// A cluster node's place in it (absent on a single node).
            let cluster: ClusterHealth?
        }
        let failure = engine.log.failure
        let answer = Answer(
            status: failure == nil ? "ok" : "unavailable",
            timestamp: iso8601(milliseconds: Int64(Date().timeIntervalSince1970 * 1000)),
            version: version, durability: engine.configuration.durability.description,
            checks: [
                "wal": failure.map { "failed: \($0.code)" } ?? "ok",
                "snapshot": engine.snapshotStatus.summary,
            ], cluster: cluster?.health)
        return .json(failure == nil ? .ok : .serviceUnavailable, JSONBody.encode(answer))
    }
}
