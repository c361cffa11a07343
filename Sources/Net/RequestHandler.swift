import NIOCore
import NIOHTTP1

/// Reads requests from NIO's parser one at a time, answers each through the router, and writes the answer
/// as one encoded buffer (`ResponseEncoding`). Immediate routes are answered inside the read, on the event
/// loop; the others in a task, while requests the client pipelined behind it wait here, in order, and reading
/// pauses. The connection is kept unless the client asked to close it.
///
/// A body past the limit is answered 413 SYS_006 at once — from `Content-Length` before the body is read, or
/// as soon as a chunked body outgrows it — and a body the server has no room for (`BodyBudget`) 503 SYS_007;
/// either way the connection is closed, since the rest of the body will not be read. Bytes the parser cannot
/// read are answered 400 VAL_006 in their turn, and end the connection. It tells the connection's guard where
/// the request is, for its deadlines.
final class RequestHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// What the parser handed over while an answer was being made, kept for its turn.
    private enum Waiting {
        case part(HTTPServerRequestPart)
        case malformed(any Error)
    }

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

    /// A request is being answered by a task.
    private var answering = false
    /// Parts (and parser errors) that came during an answer, in order.
    private var waiting = CircularBuffer<Waiting>()
    /// Reading paused while requests wait; resumed once they are taken.
    private var readPaused = false
    /// The connection ends: nothing more is read or answered.
    private var ending = false
    /// `takeWaiting` is running (an answer it writes may call it again).
    private var takingWaiting = false

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
        let part = unwrapInboundIn(data)
        if answering || !waiting.isEmpty {
            waiting.append(.part(part))
        } else {
            handle(part, context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        if answering || !waiting.isEmpty {
            waiting.append(.malformed(error))
        } else {
            answerMalformed(error, context: context)
        }
    }

    /// The channel asks for more bytes: not while requests wait for their turn.
    func read(context: ChannelHandlerContext) {
        if waiting.isEmpty {
            context.read()
        } else {
            readPaused = true
        }
    }

    private func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        guard !ending else { return }
        switch part {
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
            if let response = router.handleNow(request) {
                write(response, to: requestHead, context: context)
                return
            }
            answering = true
            let router = router
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let inFlight = inFlight
            inFlight.count.add(1, ordering: .relaxed)
            Task {
                let response = await router.handle(request)
                loopBound.eventLoop.execute {
                    let (handler, context) = loopBound.value
                    handler.answering = false
                    handler.write(response, to: requestHead, context: context)
                    inFlight.count.subtract(1, ordering: .releasing)
                    handler.takeWaiting(context: context)
                }
            }
        }
    }

    /// Hands what waited to `handle`, in order, until an answer is being made again or nothing waits; then
    /// lets the channel read again.
    private func takeWaiting(context: ChannelHandlerContext) {
        guard !takingWaiting else { return }
        takingWaiting = true
        defer { takingWaiting = false }
        while !answering, let next = waiting.popFirst() {
            switch next {
            case .part(let part): handle(part, context: context)
            case .malformed(let error): answerMalformed(error, context: context)
            }
        }
        if waiting.isEmpty && readPaused && !ending {
            readPaused = false
            context.read()
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
        let version = head?.version ?? .http1_1
        let method = head?.method ?? .GET
        send(error.response, version: version, method: method, keepAlive: false, context: context)
    }

    /// Nothing after bytes that cannot be parsed can be trusted: they are answered 400 and the connection ends.
    private func answerMalformed(_ error: any Error, context: ChannelHandlerContext) {
        if !ending {
            let response = APIError(.badRequest, "VAL_006", "the request is not valid HTTP").response
            send(response, version: .http1_1, method: .GET, keepAlive: false, context: context)
        }
        context.fireErrorCaught(error)
    }

    private func write(_ response: HTTPResponse, to request: HTTPRequestHead, context: ChannelHandlerContext) {
        send(
            response, version: request.version, method: request.method, keepAlive: request.isKeepAlive, context: context
        )
    }

    private func send(
        _ response: HTTPResponse, version: HTTPVersion, method: HTTPMethod, keepAlive: Bool,
        context: ChannelHandlerContext
    ) {
        guard !ending else { return }
        releaseBody()
        // Before the answer is written: writing it may hand this handler the next pipelined request at once.
        connectionGuard.answerSent()
        let bytes: ByteBuffer
        do {
            bytes = try ResponseEncoding.encode(
                response, version: version, method: method, keepAlive: keepAlive,
                allocator: context.channel.allocator)
        } catch {
            router.options.logger.error("answer not sent: its header \(error.name) is not valid HTTP")
            bytes = ResponseEncoding.closing(APIError.internalError.response)
            ending = true
        }
        if keepAlive && !ending {
            context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
            return
        }
        ending = true
        waiting.removeAll()
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(bytes)).whenComplete { _ in channel.close(promise: nil) }
    }
}
