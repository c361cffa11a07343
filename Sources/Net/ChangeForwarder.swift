import AsyncHTTPClient
import Engine
import NIOCore
import NIOHTTP1

extension ChangeForwarder {
    /// The client address a peer node vouches for in `request`, when the request carries the nodes' secret.
    static func vouchedClient(_ request: HTTPRequest, cluster: any ClusterMembership) -> String? {
        guard let presented = request.headers.first(name: forwardedMark),
            let client = request.headers.first(name: clientHeader),
            (1...64).contains(client.utf8.count), client.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }),
            constantTimeEqual(Array(presented.utf8), Array(cluster.forwardingSecret.utf8))
        else { return nil }
        return client
    }

    private static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count, !a.isEmpty else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    /// Waits until `cluster` applied `lsn`, or `applyWait` passed (a follower cut off from PostgreSQL answers
    /// anyway: the change was made).
    static func waitUntilApplied(_ lsn: UInt64, by cluster: any ClusterMembership) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await cluster.waitUntilApplied(lsn) }
            group.addTask { try? await Task.sleep(for: applyWait) }
            await group.next()
            group.cancelAll()
        }
    }
}

/// A follower passes the changes that reach it to the leader and returns the leader's answer, so that clients
/// and load balancers need not know which node leads. The request goes as it came (method, path and query,
/// headers, body) plus `X-Forwarded-For` with the client's address; the answer comes back as the leader gave
/// it. A leader that cannot be reached is answered 503 SYS_007 with `Retry-After`, as when no node leads.
struct ChangeForwarder: Sendable {
    /// Headers that belong to one connection, not to the request (RFC 9110 §7.6.1), and the framing, which
    /// each side sets for itself.
    static let connectionHeaders: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host",
        "content-length",
    ]
    /// Bodies are held whole on both sides (`BodyBudget`); an answer larger than this is refused.
    static let answerLimitBytes = 16 << 20

    /// The nodes' own client: a leader that cannot be reached is given up on after a second of connecting (its
    /// death is then answered 503 at once, not after the whole request's time), and a request after 30 s.
    static let nodes: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(1)
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    let client: HTTPClient
    let timeout: TimeAmount

    init(client: HTTPClient = ChangeForwarder.nodes, timeout: TimeAmount = .seconds(30)) {
        self.client = client
        self.timeout = timeout
    }

    /// Marks a request one node forwarded to another: it is never forwarded again (a node that finds it does
    /// not lead any more answers 503 rather than pass it on, so a request cannot go round).
    static let forwardedMark = "x-tessera-forwarded"
    /// The client's address as the forwarding node found it; believed only beside the nodes' secret.
    static let clientHeader = "x-tessera-client"
    /// On the leader's answer to a forwarded request: its log's last LSN once the change was made, which the
    /// follower applies before it answers (so the client reads its own change from that node next).
    static let changeLSN = "x-tessera-lsn"
    /// How long a follower waits for a forwarded change to be applied here before it answers anyway.
    static let applyWait: Duration = .seconds(2)

    /// The leader's answer to `request`, which reached this node from `clientAddress`, once `cluster` applied the
    /// change here (at most `applyWait`); errors in `style`.
    func forward(
        _ request: HTTPRequest, from clientAddress: String, to leader: String, style: ErrorStyle,
        cluster: any ClusterMembership
    ) async -> HTTPResponse {
        var outgoing = HTTPClientRequest(url: leader + request.uri)
        outgoing.method = request.method
        for (name, value) in request.headers where !Self.connectionHeaders.contains(name.lowercased()) {
            outgoing.headers.add(name: name, value: value)
        }
        let forwardedFor = request.headers["x-forwarded-for"].joined(separator: ", ")
        outgoing.headers.replaceOrAdd(
            name: "x-forwarded-for", value: forwardedFor.isEmpty ? clientAddress : forwardedFor + ", " + clientAddress)
        outgoing.headers.replaceOrAdd(name: Self.forwardedMark, value: cluster.forwardingSecret)
        outgoing.headers.replaceOrAdd(name: Self.clientHeader, value: clientAddress)
        if request.body.readableBytes > 0 { outgoing.body = .bytes(request.body) }
        do {
            let answer = try await client.execute(outgoing, timeout: timeout)
            let body = try await answer.body.collect(upTo: Self.answerLimitBytes)
            var headers = HTTPHeaders()
            for (name, value) in answer.headers where !Self.connectionHeaders.contains(name.lowercased()) {
                headers.add(name: name, value: value)
            }
            if let lsn = headers.first(name: Self.changeLSN).flatMap(UInt64.init) {
                headers.remove(name: Self.changeLSN)
                await Self.waitUntilApplied(lsn, by: cluster)
            }
            return HTTPResponse(status: answer.status, headers: headers, body: body)
        } catch {
            return ErrorBoundary.answer(
                for: EngineError(.notLeader, "the cluster's leader could not be reached; retry shortly"), style: style,
                context: nil
            ).response
        }
    }
}
