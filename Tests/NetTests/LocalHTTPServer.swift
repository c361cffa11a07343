import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A request as a local test provider sees it.
struct LocalRequest: Sendable {
    let method: HTTPMethod
    let path: String
    let query: [String: String]
    let headers: HTTPHeaders
    let body: [UInt8]

    /// The body as a form (`a=1&b=2`).
    var form: [String: String] { Self.parse(String(decoding: body, as: UTF8.self)) }

    static func parse(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                .map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            if parts.count == 2, fields[parts[0]] == nil { fields[parts[0]] = parts[1] }
        }
        return fields
    }
}

/// What a local test provider answers: a status, extra headers (`location`) and a JSON body.
struct LocalAnswer: Sendable {
    var status: HTTPResponseStatus
    var headers: [(String, String)] = []
    var body: [UInt8] = []

    static func json(_ status: HTTPResponseStatus, _ object: Any) -> LocalAnswer {
        LocalAnswer(status: status, body: Array(try! JSONSerialization.data(withJSONObject: object)))
    }

    static func redirect(to location: String) -> LocalAnswer {
        LocalAnswer(status: .found, headers: [("location", location)])
    }
}

/// HTTP/1.1 on 127.0.0.1 and an ephemeral port, answering each whole request through `answer`: the transport
/// of the test suite's stand-ins for Google, GitHub and other providers.
final class LocalHTTPServer: Sendable {
    let port: Int
    private let channel: any Channel

    private init(port: Int, channel: any Channel) {
        self.port = port
        self.channel = channel
    }

    static func start(_ answer: @escaping @Sendable (LocalRequest) -> LocalAnswer) async throws -> LocalHTTPServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(answer: answer))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return LocalHTTPServer(port: channel.localAddress!.port!, channel: channel)
    }

    func stop() async { try? await channel.close() }
}

/// Reads a whole request and writes the answer.
private final class Handler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let answer: @Sendable (LocalRequest) -> LocalAnswer
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(answer: @escaping @Sendable (LocalRequest) -> LocalAnswer) { self.answer = answer }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body = []
        case .body(let chunk):
            body += chunk.readableBytesView
        case .end:
            guard let head else { return }
            let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            let request = LocalRequest(
                method: head.method, path: String(parts[0]),
                query: parts.count > 1 ? LocalRequest.parse(String(parts[1])) : [:],
                headers: head.headers, body: body)
            let reply = answer(request)
            var headers = HTTPHeaders([
                ("content-type", "application/json"), ("content-length", String(reply.body.count)),
            ])
            headers.add(contentsOf: reply.headers)
            if !head.isKeepAlive { headers.add(name: "connection", value: "close") }
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: reply.status, headers: headers))),
                promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: reply.body)))), promise: nil)
            let keepAlive = head.isKeepAlive
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                if !keepAlive { channel.close(promise: nil) }
            }
        }
    }
}
