import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Requests being answered, so that a stopping server lets them finish.
final class InFlightRequests: Sendable {
    let count = Atomic<Int>(0)
}

/// The HTTP/1.1 server: `ConnectionGuard` (deadlines) in front of SwiftNIO's codec and pipelining handler,
/// then `RequestHandler`, which reads each request (within the body limits) and answers it through the
/// router. Every connection lives within `ConnectionLimits`.
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
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: false)
                    try channel.pipeline.syncOperations.addHandler(MalformedRequestHandler())
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

/// Reads one request at a time (NIO's pipelining handler queues the next), answers it, and keeps the
/// connection unless the client asked to close it. A body past the limit is answered 413 SYS_006 at once —
/// from `Content-Length` before the body is read, or as soon as a chunked body outgrows it — and a body the
/// server has no room for (`BodyBudget`) 503 SYS_007; either way the connection is closed, since the rest of
/// the body will not be read. It tells the connection's guard where the request is, for its deadlines.
final class RequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let router: Router
    private let bodyLimitBytes: Int
    private let bodies: BodyBudget
    private let connectionGuard: ConnectionGuard
    private let inFlight: InFlightRequests
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var refused = false
    /// What this request holds of the body budget, given back once it is answered.
    private var reservedBytes = 0

    init(
        router: Router, limits: ConnectionLimits, bodies: BodyBudget, connectionGuard: ConnectionGuard,
        inFlight: InFlightRequests
    ) {
        self.router = router
        self.bodyLimitBytes = limits.bodyLimitBytes
        self.bodies = bodies
        self.connectionGuard = connectionGuard
        self.inFlight = inFlight
    }

    func handlerRemoved(context: ChannelHandlerContext) { releaseBody() }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            connectionGuard.headArrived()
            head = requestHead
            body.clear()
            refused = false
            if let length = requestHead.headers.first(name: "content-length").flatMap(Int.init) {
                if length > bodyLimitBytes {
                    refuse(APIError.tooLarge, context: context)
                } else if !reserve(length) {
                    refuse(APIError.noRoomForBody, context: context)
                }
            }
        case .body(var chunk):
            guard !refused else { return }
            if body.readableBytes + chunk.readableBytes > bodyLimitBytes {
                refuse(APIError.tooLarge, context: context)
                return
            }
            // A body without a length reserves as it comes.
            if body.readableBytes + chunk.readableBytes > reservedBytes,
                !reserve(body.readableBytes + chunk.readableBytes - reservedBytes)
            {
                refuse(APIError.noRoomForBody, context: context)
                return
            }
            body.writeBuffer(&chunk)
        case .end:
            guard !refused, let requestHead = head else { return }
            connectionGuard.requestEnded()
            head = nil
            // The channel's address is read once per connection; the context's would ask the kernel each time.
            let request = HTTPRequest(head: requestHead, body: body, remoteAddress: context.channel.remoteAddress)
            let keepAlive = requestHead.isKeepAlive
            let version = requestHead.version
            if let response = router.handleNow(request) {
                write(response, version: version, keepAlive: keepAlive, context: context)
                return
            }
            let router = router
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let inFlight = inFlight
            inFlight.count.add(1, ordering: .relaxed)
            Task {
                let response = await router.handle(request)
                loopBound.eventLoop.execute {
                    let (handler, context) = loopBound.value
                    handler.write(response, version: version, keepAlive: keepAlive, context: context)
                    inFlight.count.subtract(1, ordering: .releasing)
                }
            }
        }
    }

    private func reserve(_ bytes: Int) -> Bool {
        guard bodies.reserve(bytes) else { return false }
        reservedBytes += bytes
        return true
    }

    private func releaseBody() {
        bodies.release(reservedBytes)
        reservedBytes = 0
    }

    private func refuse(_ error: APIError, context: ChannelHandlerContext) {
        refused = true
        write(error.response, version: head?.version ?? .http1_1, keepAlive: false, context: context)
    }

    private func write(_ response: HTTPResponse, version: HTTPVersion, keepAlive: Bool, context: ChannelHandlerContext)
    {
        releaseBody()
        // Before the end is written: writing it may hand this handler the next pipelined request at once.
        connectionGuard.answerSent()
        // Routes never set these headers themselves, so they are appended without a search.
        var headers = response.headers
        headers.add(contentsOf: HTTPResponse.securityHeaders)
        headers.add(
            name: "content-security-policy", value: response.contentSecurityPolicy ?? HTTPResponse.defaultPolicy)
        headers.add(name: "content-length", value: String(response.body.readableBytes))
        if !keepAlive { headers.add(name: "connection", value: "close") }
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: version, status: response.status, headers: headers))),
            promise: nil)
        if response.body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        }
        guard !keepAlive else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            return
        }
        let done = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
        let channel = context.channel
        done.futureResult.whenComplete { _ in channel.close(promise: nil) }
    }
}
