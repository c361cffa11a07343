import ArgumentParser
import AsyncHTTPClient
import Auth
import Bytes
import Engine
import Foundation
import NIOCore
import NIOHTTP1

/// `tessera client create|list|delete`: OAuth clients from the command line — in a data directory while the
/// service is stopped (`--data`), or through a running service as a superuser (`--url`, `--email`, and the
/// password from `TESSERA_PASSWORD` or `--password`).
struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client", abstract: "Register, list and delete OAuth clients.",
        subcommands: [Create.self, List.self, Delete.self])

    /// Where the clients are: a data directory, or a running service.
    struct Target: ParsableArguments {
        @Option(help: "Data directory of a stopped service.") var data: String?
        @Option(help: "URL of a running service (http://host:port).") var url: String?
        @Option(help: "A superuser's email, with --url.") var email: String?
        @Option(help: "The superuser's password, with --url (default TESSERA_PASSWORD).")
        var password: String?

        /// The password given, or the environment's.
        var effectivePassword: String? { password ?? environment("TESSERA_PASSWORD") }

        func validate() throws {
            guard (data == nil) != (url == nil) else { throw ValidationError("give either --data or --url") }
            if url != nil && (email == nil || effectivePassword == nil) {
                throw ValidationError("--url needs --email and a password (--password or TESSERA_PASSWORD)")
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create", abstract: "Register a client; a confidential one's secret is printed once.")

        @OptionGroup var target: Target
        @Option(help: "The client's name, shown on consent.") var name: String
        @Option(help: "A redirect URI (repeat for several).") var redirectURI: [String]
        @Option(help: "public or confidential.") var type = "confidential"
        @Option(help: "Space-separated scopes.") var scopes = "openid profile email"

        func run() async throws {
            guard let kind = OAuthClient.Kind(name: type) else {
                throw ValidationError("--type: public or confidential")
            }
            let scopeList = scopes.split(separator: " ").map(String.init)
            if let data = target.data {
                try await Offline.with(data) { provider in
                    guard Set(scopeList).isSubset(of: provider.scopesSupported), !scopeList.isEmpty else {
                        throw ValidationError("--scopes among: " + provider.scopesSupported.joined(separator: " "))
                    }
                    guard !redirectURI.isEmpty, redirectURI.allSatisfy({ RedirectURI.kind(of: $0) != nil }) else {
                        throw ValidationError("--redirect-uri: https, or http to this machine, without a fragment")
                    }
                    let (client, secret) = try await provider.registerClient(
                        name: name, kind: kind, redirectURIs: redirectURI, scopes: scopeList)
                    say(Self.describe(id: client.id.uuidString.lowercased(), secret: secret))
                }
            } else {
                let body: [String: Any] = [
                    "client_name": name, "redirect_uris": redirectURI, "client_type": type, "scopes": scopeList,
                ]
                let answer = try await Online(target).send(.POST, "/api/v1/oauth/provider/clients", json: body)
                say(
                    Self.describe(id: answer["client_id"] as? String ?? "?", secret: answer["client_secret"] as? String)
                )
            }
        }

        static func describe(id: String, secret: String?) -> String {
            "client_id \(id)" + (secret.map { "\nclient_secret \($0)  (shown once: keep it now)" } ?? "")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the clients.")

        @OptionGroup var target: Target

        func run() async throws {
            if let data = target.data {
                try await Offline.with(data) { provider in
                    for client in provider.auth.engine.liveClients() {
                        say(
                            Self.line(
                                id: client.clientIdentifier, name: client.name, type: client.kind.name,
                                by: client.registration?.origin.name ?? "superuser", redirects: client.redirectURIs))
                    }
                }
            } else {
                let clients = try await Online(target).sendForList("/api/v1/oauth/provider/clients")
                for client in clients {
                    say(
                        Self.line(
                            id: client["client_id"] as? String ?? "?", name: client["client_name"] as? String ?? "",
                            type: client["client_type"] as? String ?? "", by: client["registered_by"] as? String ?? "",
                            redirects: client["redirect_uris"] as? [String] ?? []))
                }
            }
        }

        static func line(id: String, name: String, type: String, by: String, redirects: [String]) -> String {
            "\(id)  \(type)  registered by \(by)  \(name)  \(redirects.joined(separator: " "))"
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete", abstract: "Delete a client: every token issued to it stops working.")

        @OptionGroup var target: Target
        @Argument(help: "The client's id, or the URL of the metadata document a client is known by.")
        var clientID: String

        func run() async throws {
            let isDocument = ClientIDURL.looksLikeURL(clientID)
            let named = isDocument ? clientID : clientID.lowercased()
            guard isDocument || UUID(uuidString: clientID) != nil else {
                throw ValidationError("not a client id: \(clientID)")
            }
            if let data = target.data {
                try await Offline.with(data) { provider in
                    let engine = provider.auth.engine
                    let client =
                        isDocument
                        ? engine.liveClient(documentURL: named) : UUID(uuidString: named).flatMap(engine.liveClient)
                    guard let client else { throw ValidationError("no such client") }
                    do throws(EngineError) { try await engine.deleteClient(client.id) } catch {
                        throw ValidationError(error.message)
                    }
                }
            } else {
                let path = named.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(["-"]))!
                _ = try await Online(target).send(.DELETE, "/api/v1/oauth/provider/clients/\(path)")
            }
            say("deleted client \(named); its tokens are revoked")
        }
    }
}

/// The provider over a stopped service's data directory (the directory's lock refuses a running one).
enum Offline {
    static func with(_ data: String, _ body: (OAuthProvider) async throws -> Void) async throws {
        let engine: Engine
        do { engine = try Engine.open(EngineConfiguration(dataDirectory: data)) } catch {
            throw StartupFailure(
                "\((error as? EngineError)?.message ?? "\(error)") — with the service running, use --url")
        }
        do {
            let keys = try ServerKeys.loadOrCreate(
                directory: data + "/keys", creatingMissing: engine.startup.foundNothing)
            let auth = AuthService(engine: engine, keys: keys, hasher: PasswordHasher(cost: 4, threads: 1))
            let scopes = environment("TESSERA_OAUTH_SCOPES")?.split(separator: " ").map(String.init)
            try await body(
                OAuthProvider(auth: auth, scopesSupported: scopes ?? OAuthProvider.defaultScopes, consentURL: ""))
        } catch {
            await engine.close()
            throw error
        }
        await engine.close()
    }
}

/// A running service's superuser API, signed in with the target's credentials.
struct Online {
    let target: ClientCommand.Target

    init(_ target: ClientCommand.Target) { self.target = target }

    func send(_ method: HTTPMethod, _ path: String, json: [String: Any]? = nil) async throws -> [String: Any] {
        let data = try await exchange(method, path, json: json)
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }

    func sendForList(_ path: String) async throws -> [[String: Any]] {
        let data = try await exchange(.GET, path, json: nil)
        return (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] ?? []
    }

    private func exchange(_ method: HTTPMethod, _ path: String, json: [String: Any]?) async throws -> Data {
        let base = (target.url ?? "").withoutTrailingSlash
        let login = try await call(
            .POST, base + "/api/v1/auth/login",
            json: ["email": target.email ?? "", "password": target.effectivePassword ?? ""],
            token: nil)
        guard login.status == 200,
            let token = ((try? JSONSerialization.jsonObject(with: login.body)) as? [String: Any])?["access_token"]
                as? String
        else { throw StartupFailure("sign-in to \(base) failed (\(login.status))") }
        let answer = try await call(method, base + path, json: json, token: token)
        guard (200..<300).contains(answer.status) else {
            throw StartupFailure(
                "\(method.rawValue) \(path) answered \(answer.status): \(String(decoding: answer.body, as: UTF8.self))")
        }
        return answer.body
    }

    private func call(
        _ method: HTTPMethod, _ url: String, json: [String: Any]?, token: String?
    ) async throws
        -> (status: UInt, body: Data)
    {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
        if let json {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: Array(try JSONSerialization.data(withJSONObject: json))))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (response.status.code, Data(body.readableBytesView))
    }
}
