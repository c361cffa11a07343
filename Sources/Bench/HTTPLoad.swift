import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

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

/// Where the load goes and how it is shaped.
struct LoadTarget: Sendable {
    var host = "127.0.0.1"
    var port: Int
    var connections: Int
    var seconds: Double
    /// Requests per second over all connections, sent at fixed times whether or not earlier answers have come
    /// back (open loop); nil: each connection sends its next request when the previous answer arrives.
    var rate: Double?
}

/// An HTTP/1.1 load generator on SwiftNIO with keep-alive connections.
///
/// Closed loop (no rate): each connection sends a request, waits for the answer, and sends the next, until the
/// deadline. Open loop (`rate`): each connection has its own schedule (`connections ÷ rate` apart, the
/// connections' schedules interleaved); a request whose time has come while the previous answer is still
/// awaited is sent as soon as that answer arrives, and its latency counts from its scheduled time, so that a
/// stalled server shows as latency instead of vanishing from the record (coordinated omission).
enum HTTPLoad {
    /// Runs the load. `next(connection, previousBody)` makes each request; a status outside 2xx counts as an
    /// error. `progress` counts answers; `answered` sees each answer's status and body.
    static func run(
        _ target: LoadTarget, group: any EventLoopGroup, progress: Progress? = nil,
        answered: (@Sendable (Int, [UInt8]) -> Void)? = nil,
        next: @escaping @Sendable (Int, [UInt8]?) -> LoadRequest
    ) async throws -> LoadResult {
        let start = monotonicNanoseconds()
        let deadline = start + UInt64(target.seconds * 1e9)
        let results = try await withThrowingTaskGroup(of: LoadResult.self) { tasks in
            for index in 0..<target.connections {
                let schedule = target.rate.map { rate -> LoadHandler.Schedule in
                    let interval = Double(target.connections) / rate * 1e9
                    return LoadHandler.Schedule(
                        first: start + UInt64(interval * Double(index) / Double(target.connections)),
                        interval: UInt64(max(1, interval)))
                }
                let handler = LoadHandler.Settings(
                    connection: index, host: target.host, deadline: deadline,
                    schedule: schedule, progress: progress, answered: answered, next: next)
                tasks.addTask {
                    let promise = group.next().makePromise(of: LoadResult.self)
                    let channel = try await ClientBootstrap(group: group)
                        .channelOption(.socketOption(.tcp_nodelay), value: 1)
                        .channelInitializer { channel in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHTTPClientHandlers()
                                try channel.pipeline.syncOperations.addHandler(LoadHandler(handler, done: promise))
                            }
                        }
                        .connect(host: target.host, port: target.port).get()
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

    /// Closed loop on loopback.
    static func run(
        port: Int, connections: Int, seconds: Double, group: any EventLoopGroup,
        next: @escaping @Sendable (Int, [UInt8]?) -> LoadRequest
    ) async throws -> LoadResult {
        try await run(LoadTarget(port: port, connections: connections, seconds: seconds), group: group, next: next)
    }

    /// Sends one request and returns the answer's status and body (for seeding a server through its API).
    static func once(
        _ request: LoadRequest, host: String, port: Int, group: any EventLoopGroup
    ) async throws
        -> (status: Int, body: [UInt8])
    {
        let answer = Mutex<(status: Int, body: [UInt8])>((0, []))
        let result = try await run(
            LoadTarget(host: host, port: port, connections: 1, seconds: 0), group: group,
            answered: { status, body in answer.withLock { $0 = (status, body) } },
            next: { _, _ in request })
        guard result.requests == 1 else { throw BenchError("\(request.path): no answer from \(host):\(port)") }
        return answer.withLock { $0 }
    }
}

/// Sends requests one after the other on one connection and records each answer's latency.
final class LoadHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    /// An open-loop connection's send times: `first`, then every `interval` nanoseconds.
    struct Schedule: Sendable {
        var first: UInt64
        var interval: UInt64
    }

    struct Settings: Sendable {
        let connection: Int
        let host: String
        let deadline: UInt64
        let schedule: Schedule?
        let progress: Progress?
        let answered: (@Sendable (Int, [UInt8]) -> Void)?
        let next: @Sendable (Int, [UInt8]?) -> LoadRequest
    }

    private let settings: Settings
    private let done: EventLoopPromise<LoadResult>
    private var result = LoadResult()
    /// When the request in flight was sent (closed loop) or was due (open loop): its latency counts from here.
    private var startedAt: UInt64 = 0
    /// Open loop: when the next request is due.
    private var nextDue: UInt64 = 0
    private var status = 0
    private var body: [UInt8] = []
    private var finished = false

    init(_ settings: Settings, done: EventLoopPromise<LoadResult>) {
        self.settings = settings
        self.done = done
    }

    func channelActive(context: ChannelHandlerContext) {
        if let schedule = settings.schedule {
            nextDue = schedule.first
            sendWhenDue(previous: nil, context: context)
        } else {
            startedAt = monotonicNanoseconds()
            send(settings.next(settings.connection, nil), context: context)
        }
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
            result.latency.record(nanoseconds: now - startedAt)
            result.requests += 1
            let succeeded = (200..<300).contains(status)
            if !succeeded { result.errors += 1 }
            settings.progress?.advance()
            settings.answered?(status, body)
            let previous = succeeded ? body : nil
            if settings.schedule != nil {
                sendWhenDue(previous: previous, context: context)
            } else if now >= settings.deadline {
                stop(context: context)
            } else {
                startedAt = now
                send(settings.next(settings.connection, previous), context: context)
            }
        }
    }

    /// Open loop: sends the next request at its due time (at once when it is overdue), or stops when it falls
    /// after the deadline.
    private func sendWhenDue(previous: [UInt8]?, context: ChannelHandlerContext) {
        guard let schedule = settings.schedule, nextDue < settings.deadline else {
            stop(context: context)
            return
        }
        let due = nextDue
        nextDue += schedule.interval
        let request = settings.next(settings.connection, previous)
        let now = monotonicNanoseconds()
        startedAt = due
        if now >= due {
            send(request, context: context)
        } else {
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .nanoseconds(Int64(due - now))) {
                let (handler, context) = loopBound.value
                handler.send(request, context: context)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) { finish() }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        result.errors += 1
        stop(context: context)
    }

    private func stop(context: ChannelHandlerContext) {
        finish()
        context.close(promise: nil)
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        done.succeed(result)
    }

    private func send(_ request: LoadRequest, context: ChannelHandlerContext) {
        guard !finished else { return }
        var headers = HTTPHeaders(request.headers)
        headers.add(name: "host", value: settings.host)
        headers.add(name: "content-length", value: String(request.body.count))
        context.write(
            wrapOutboundOut(
                .head(
                    HTTPRequestHead(
                        version: .http1_1, method: request.method, uri: request.path,
                        headers: headers))), promise: nil)
        if !request.body.isEmpty {
            context.write(
                wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: request.body)))),
                promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
