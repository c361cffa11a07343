import NIOCore
import NIOHTTP1
import NIOPosix

/// One request of a load run: what to send, given the previous answer's body on this connection.
struct LoadRequest: Sendable {
    var method: HTTPMethod = .POST
    var path: String
    var body: [UInt8]
    var headers: [(String, String)] = [("content-type", "application/json")]
}

/// What a load run measured.
struct LoadResult: Sendable {
    var requests = 0
    var errors = 0
    var seconds = 0.0
    var latency = LatencyHistogram()

    var rate: Double { seconds == 0 ? 0 : Double(requests) / seconds }

    mutating func merge(_ other: LoadResult) {
        requests += other.requests
        errors += other.errors
        latency.merge(other.latency)
    }
}

/// A closed-loop HTTP/1.1 load generator on SwiftNIO: each connection sends a request, waits for the answer,
/// and sends the next (keep-alive), until the deadline.
enum HTTPLoad {
    /// Runs `connections` connections for `seconds`. `next(connection, previousBody)` makes each request;
    /// a status outside 2xx counts as an error.
    static func run(
        port: Int, connections: Int, seconds: Double, group: any EventLoopGroup,
        next: @escaping @Sendable (Int, [UInt8]?) -> LoadRequest
    ) async throws -> LoadResult {
        let deadline = monotonicNanoseconds() + UInt64(seconds * 1e9)
        let start = monotonicNanoseconds()
        let results = try await withThrowingTaskGroup(of: LoadResult.self) { tasks in
            for index in 0..<connections {
                tasks.addTask {
                    let promise = group.next().makePromise(of: LoadResult.self)
                    let channel = try await ClientBootstrap(group: group)
                        .channelOption(.socketOption(.tcp_nodelay), value: 1)
                        .channelInitializer { channel in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHTTPClientHandlers()
                                try channel.pipeline.syncOperations.addHandler(
                                    LoadHandler(connection: index, deadline: deadline, next: next, done: promise))
                            }
                        }
                        .connect(host: "127.0.0.1", port: port).get()
                    let result = try await promise.futureResult.get()
                    try? await channel.close()
                    return result
                }
            }
            return try await tasks.reduce(into: LoadResult()) { $0.merge($1) }
        }
        var total = results
        total.seconds = Double(monotonicNanoseconds() - start) / 1e9
        return total
    }
}

/// Sends requests one after the other on one connection and records each answer's latency.
final class LoadHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let connection: Int
    private let deadline: UInt64
    private let next: @Sendable (Int, [UInt8]?) -> LoadRequest
    private let done: EventLoopPromise<LoadResult>
    private var result = LoadResult()
    private var sentAt: UInt64 = 0
    private var status = 0
    private var body: [UInt8] = []
    private var finished = false

    init(connection: Int, deadline: UInt64, next: @escaping @Sendable (Int, [UInt8]?) -> LoadRequest,
         done: EventLoopPromise<LoadResult>) {
        self.connection = connection
        self.deadline = deadline
        self.next = next
        self.done = done
    }

    func channelActive(context: ChannelHandlerContext) {
        send(next(connection, nil), context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            body.removeAll(keepingCapacity: true)
        case .body(let buffer):
            body.append(contentsOf: buffer.readableBytesView)
        case .end:
            let now = monotonicNanoseconds()
            result.latency.record(nanoseconds: now - sentAt)
            result.requests += 1
            if !(200..<300).contains(status) { result.errors += 1 }
            if now >= deadline {
                finish()
                context.close(promise: nil)
            } else {
                send(next(connection, (200..<300).contains(status) ? body : nil), context: context)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) { finish() }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        result.errors += 1
        finish()
        context.close(promise: nil)
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        done.succeed(result)
    }

    private func send(_ request: LoadRequest, context: ChannelHandlerContext) {
        var headers = HTTPHeaders(request.headers)
        headers.add(name: "host", value: "127.0.0.1")
        headers.add(name: "content-length", value: String(request.body.count))
        sentAt = monotonicNanoseconds()
        context.write(wrapOutboundOut(.head(HTTPRequestHead(version: .http1_1, method: request.method, uri: request.path,
                                                            headers: headers))), promise: nil)
        if !request.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: request.body)))),
                          promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
