import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// An OpenID Connect provider on this machine, over plain HTTP on an ephemeral port, with its own Ed25519 key:
/// discovery, JWKS, and a token endpoint that checks the client's secret, the code, its redirect URI and the
/// PKCE verifier, spends the code, and answers an ID token. Tests issue codes directly (standing in for the
/// provider's login page) and can make it misbehave.
final class LocalOpenIDProvider: Sendable {
    struct Grant: Sendable {
        let subject: String
        let email: String?
        let emailVerified: Bool
        let nonce: String
        let codeChallenge: String
        let redirectURI: String
    }

    /// What the token endpoint does wrong on purpose.
    enum Misbehavior: Sendable {
        case none
        /// Signs with a key it does not publish.
        case foreignKey
        /// Names another issuer in the ID token.
        case wrongIssuer
    }

    let clientID = "tessera-test-client"
    let clientSecret = "local-secret-\(UUID().uuidString)"
    let key = Curve25519.Signing.PrivateKey()
    let port: Int
    var issuer: String { "http://127.0.0.1:\(port)" }
    private let channel: any Channel
    private let codes = Mutex<[String: Grant]>([:])
    let misbehavior = Mutex<Misbehavior>(.none)
    /// How many times the JWKS document was fetched.
    let jwksFetches = Atomic<Int>(0)

    private init(port: Int, channel: any Channel) {
        self.port = port
        self.channel = channel
    }

    static func start() async throws -> LocalOpenIDProvider {
        let box = ProviderBox()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(box: box))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let provider = LocalOpenIDProvider(port: channel.localAddress!.port!, channel: channel)
        box.provider.withLock { $0 = provider }
        return provider
    }

    func stop() async { try? await channel.close() }

    /// A code for this person, as the provider's login page would send back to the redirect URI.
    func issueCode(_ grant: Grant) -> String {
        let code = UUID().uuidString
        codes.withLock { $0[code] = grant }
        return code
    }

    func answer(method: HTTPMethod, path: String, headers: HTTPHeaders, body: [UInt8]) -> (HTTPResponseStatus, [UInt8]) {
        switch (method, path) {
        case (.GET, "/.well-known/openid-configuration"):
            return (.ok, json(["issuer": issuer, "authorization_endpoint": issuer + "/authorize",
                               "token_endpoint": issuer + "/token", "jwks_uri": issuer + "/jwks"]))
        case (.GET, "/jwks"):
            jwksFetches.add(1, ordering: .relaxed)
            return (.ok, json(["keys": [["kty": "OKP", "crv": "Ed25519", "kid": "local-1",
                                         "x": Self.base64URL(Array(key.publicKey.rawRepresentation))]]]))
        case (.POST, "/token"):
            return token(headers: headers, body: body)
        default:
            return (.notFound, json(["error": "not_found"]))
        }
    }

    private func token(headers: HTTPHeaders, body: [UInt8]) -> (HTTPResponseStatus, [UInt8]) {
        let expected = "Basic " + Data("\(clientID):\(clientSecret)".utf8).base64EncodedString()
        guard headers.first(name: "authorization") == expected else { return (.unauthorized, json(["error": "invalid_client"])) }
        var form: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? "" }
            if parts.count == 2 { form[parts[0]] = parts[1] }
        }
        guard form["grant_type"] == "authorization_code", let code = form["code"],
              let grant = codes.withLock({ $0.removeValue(forKey: code) }),
              form["redirect_uri"] == grant.redirectURI, let verifier = form["code_verifier"],
              Self.base64URL(Array(SHA256.hash(data: Data(verifier.utf8)))) == grant.codeChallenge
        else { return (.badRequest, json(["error": "invalid_grant"])) }
        let now = Int(Date().timeIntervalSince1970)
        var claims: [String: Any] = ["iss": misbehavior.withLock { $0 } == .wrongIssuer ? "http://evil.example" : issuer,
                                     "sub": grant.subject, "aud": clientID, "iat": now, "exp": now + 300,
                                     "nonce": grant.nonce, "email_verified": grant.emailVerified, "name": "Local Person"]
        if let email = grant.email { claims["email"] = email }
        let signer = misbehavior.withLock { $0 } == .foreignKey ? Curve25519.Signing.PrivateKey() : key
        return (.ok, json(["access_token": "provider-access-token", "token_type": "Bearer", "expires_in": 3600,
                           "id_token": Self.idToken(claims, key: signer)]))
    }

    static func idToken(_ claims: [String: Any], key: Curve25519.Signing.PrivateKey) -> String {
        let header = base64URL(Array(try! JSONSerialization.data(withJSONObject: ["alg": "EdDSA", "kid": "local-1"])))
        let payload = base64URL(Array(try! JSONSerialization.data(withJSONObject: claims)))
        let signature = try! key.signature(for: Data((header + "." + payload).utf8))
        return header + "." + payload + "." + base64URL(Array(signature))
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private func json(_ object: Any) -> [UInt8] { Array(try! JSONSerialization.data(withJSONObject: object)) }
}

/// The provider, set once the server is bound (the handlers are made before).
final class ProviderBox: Sendable {
    let provider = Mutex<LocalOpenIDProvider?>(nil)
}

/// Reads a whole request and answers it through the provider.
private final class Handler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let box: ProviderBox
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(box: ProviderBox) { self.box = box }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body = []
        case .body(let chunk):
            body += chunk.readableBytesView
        case .end:
            guard let head, let provider = box.provider.withLock({ $0 }) else { return }
            let path = String(head.uri.split(separator: "?", maxSplits: 1).first ?? "")
            let (status, answer) = provider.answer(method: head.method, path: path, headers: head.headers, body: body)
            var headers = HTTPHeaders([("content-type", "application/json"), ("content-length", String(answer.count))])
            if !head.isKeepAlive { headers.add(name: "connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
                          promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: answer)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
