import Auth
import Engine
import Logging
import Net
import ServiceLifecycle

/// The HTTP server as a service of `serve`'s group: it serves until a graceful shutdown (SIGTERM, SIGINT, or
/// another service failing), then stops accepting, lets the requests being answered finish, and closes.
struct HTTPService: Service {
    let server: HTTPServer

    func run() async throws {
        // Returns at a graceful shutdown; throws when the group cancels instead. Either way the server stops.
        try? await gracefulShutdown()
        await server.stop()
    }
}

/// Snapshots, session purges and signing-key rotation, until a graceful shutdown. It ends on its own only when
/// the log has failed, and then throws: the group shuts the server down, and `serve` exits without a snapshot.
struct MaintenanceService: Service {
    let engine: Engine
    /// Every signing key ring in use (ID tokens', and the access tokens' EdDSA ring when configured).
    let keys: IDTokenKeys
    let logger: Logger
    /// Whether this process rotates the signing keys: a single node always, a cluster's leader only.
    var rotatesKeys: @Sendable () -> Bool = { true }

    /// The log failed: nothing more is acknowledged, and a restart recovers from what the log holds.
    struct LogFailed: Error, CustomStringConvertible {
        let description: String
    }

    func run() async throws {
        let engine = engine, keys = keys, logger = logger, rotatesKeys = rotatesKeys
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                // A replaced key verifies until its tokens have expired.
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(3600))
                        if rotatesKeys(),
                            (try? keys.rotateIfDue(nowSeconds: engine.clock.nowMilliseconds() / 1000)) == true
                        {
                            logger.info("a new signing key signs from now on")
                        }
                    }
                }
                await engine.runMaintenance { logger.info("\($0)") }
                group.cancelAll()
            }
        }
        if let failure = engine.log.failure { throw LogFailed(description: "\(failure)") }
    }
}
