import NIOCore

/// The first handler of every connection: it sees the raw bytes, keeps the connection's `ConnectionDeadline`
/// (which `RequestHandler` moves along as requests are parsed and answered), checks it every
/// `checkInterval`, and ends a connection whose phase ran out of time — idle ones silently, slow requests
/// with 408 (REQUEST_TIMEOUT, in the contract's envelope).
final class ConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private var deadline: ConnectionDeadline
    private let checkInterval: TimeAmount
    private var check: RepeatedTask?

    init(limits: ConnectionLimits) {
        deadline = ConnectionDeadline(limits: limits, nowNanoseconds: Self.now())
        checkInterval = .nanoseconds(limits.checkIntervalNanoseconds)
    }

    /// The monotonic clock the deadlines are kept on.
    static func now() -> Int64 { Int64(truncatingIfNeeded: NIODeadline.now().uptimeNanoseconds) }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        check = context.eventLoop.scheduleRepeatedTask(initialDelay: checkInterval, delay: checkInterval) { _ in
            let (handler, context) = loopBound.value
            handler.checkDeadline(context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        check?.cancel()
        check = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        check?.cancel()
        check = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // The clock is read only when the bytes begin a request.
        if deadline.phase == .waiting { deadline.bytesArrived(nowNanoseconds: Self.now()) }
        context.fireChannelRead(data)
    }

    /// The parser read a request's head.
    func headArrived() { deadline.headArrived(nowNanoseconds: Self.now()) }

    /// The request's body ended: the answer is being made.
    func requestEnded() { deadline.requestEnded() }

    /// The answer is written: the idle timeout starts.
    func answerSent() { deadline.answerSent(nowNanoseconds: Self.now()) }

    private func checkDeadline(context: ChannelHandlerContext) {
        guard deadline.hasExpired(nowNanoseconds: Self.now()) else { return }
        check?.cancel()
        check = nil
        switch deadline.phase {
        case .waiting, .answering:
            context.close(promise: nil)
        case .readingHead, .readingBody:
            // No answer is under way (the request is not whole), so one can be written below the codec.
            let refusal = APIError(.requestTimeout, "VAL_006", "the request took too long to arrive").response
            context.writeAndFlush(NIOAny(ResponseEncoding.closing(refusal)), promise: nil)
            context.close(promise: nil)
        }
    }
}

/// Answers a connection over the cap 503 and closes it, reading (and dropping) what the client sends
/// meanwhile so that the kernel does not reset the connection before the answer is read.
final class RefusingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private static let answer = ResponseEncoding.closing(
        APIError(.serviceUnavailable, "SYS_007", "too many connections; try again").response)

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        context.writeAndFlush(NIOAny(Self.answer)).whenComplete { _ in
            channel.close(mode: .output, promise: nil)
        }
        // Whatever the client does, the connection ends soon.
        context.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .some(.inputClosed) = event as? ChannelEvent { context.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}
