import NIOCore
import NIOHTTP1

/// Answers a request the HTTP parser cannot read with 400 and the contract's envelope (VAL_006) — unless an
/// answer is already being written, which a second one would corrupt — and closes the connection.
final class MalformedRequestHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Between the head and the end of an answer.
    private var answering = false

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        if !answering {
            let response = APIError(.badRequest, "VAL_006", "the request is not valid HTTP").response
            var headers = response.headers
            for (name, value) in response.securityHeaders { headers.replaceOrAdd(name: name, value: value) }
            headers.replaceOrAdd(name: "content-length", value: String(response.body.readableBytes))
            headers.replaceOrAdd(name: "connection", value: "close")
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .badRequest, headers: headers))),
                promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
        // Nothing after a request that cannot be parsed can be trusted: the connection ends.
        context.close(promise: nil)
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.code >= 200: answering = true
        case .end: answering = false
        default: break
        }
        context.write(data, promise: promise)
    }
}
