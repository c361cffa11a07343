import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Requests being answered, so that a stopping server lets them finish.
final class InFlightRequests: Sendable {
    let count = Atomic<Int>(0)
}

/// The HTTP/1.1 server: `ConnectionGuard` (deadlines) in front of SwiftNIO's request parser, then
/// `RequestHandler`, which reads each request (within the body limits), answers it through the router and
/// writes the answer as one buffer. Every connection lives within `ConnectionLimits`.
package final class HTTPServer: Sendable {
    package let host: String
    package let port: Int
    package let limits: ConnectionLimits
    let channel: any Channel
    let group: MultiThreadedEventLoopGroup
    let inFlight: InFlightRequests
    let connections: ConnectionCount
    let bodies: BodyBudget

    /// Binds and starts serving. `port` 0 picks a free port (see `port`).
    package static func start(
        host: String, port: Int, router: Router, limits: ConnectionLimits = ConnectionLimits(),
        threads: Int = System.coreCount
    ) async throws -> HTTPServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let inFlight = InFlightRequests()
        let connections = ConnectionCount(limit: limits.maxConnections)
        let bodies = BodyBudget(limitBytes: limits.bufferedBodyLimitBytes)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // Out of descriptors (EMFILE, ENFILE), accepting again at once would spin: wait a little first.
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptPause())
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard connections.admit() else {
                        try channel.pipeline.syncOperations.addHandler(RefusingHandler())
                        return
                    }
                    channel.closeFuture.whenComplete { _ in connections.closed() }
                    let connectionGuard = ConnectionGuard(limits: limits)
                    try channel.pipeline.syncOperations.addHandler(connectionGuard)
                    // NIO's parser reads every request; answers are encoded by `RequestHandler` itself.
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
                    try channel.pipeline.syncOperations.addHandler(
                        RequestHandler(
                            router: router, limits: limits, bodies: bodies, connectionGuard: connectionGuard,
                            inFlight: inFlight))
                }
            }
        do {
            let channel = try await bootstrap.bind(host: host, port: port).get()
            return HTTPServer(
                host: host, port: channel.localAddress?.port ?? port, limits: limits, channel: channel,
                group: group, inFlight: inFlight, connections: connections, bodies: bodies)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// Connections open now.
    package var openConnections: Int { connections.current }

    /// Bytes of request bodies held now, across every connection.
    package var bufferedBodyBytes: Int { bodies.reservedBytes }

    private init(
        host: String, port: Int, limits: ConnectionLimits, channel: any Channel,
        group: MultiThreadedEventLoopGroup, inFlight: InFlightRequests, connections: ConnectionCount,
        bodies: BodyBudget
    ) {
        self.host = host
        self.port = port
        self.limits = limits
        self.connections = connections
        self.bodies = bodies
        self.channel = channel
        self.group = group
        self.inFlight = inFlight
    }

    /// Stops accepting connections, lets the requests being answered finish (up to `drainSeconds`), then
    /// closes every connection and stops the event loops.
    package func stop(drainSeconds: Double = 10) async {
        try? await channel.close()
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(Int(drainSeconds * 1000)))
        while inFlight.count.load(ordering: .acquiring) > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        try? await group.shutdownGracefully()
    }
}
