import ArgumentParser
import Foundation
import NIOSSL
import PostgresNIO

/// `tessera serve`'s cluster options: with `--cluster`, the node joins the cluster whose log PostgreSQL holds.
struct ClusterOptions: ParsableArguments {
    @Option(
        help:
            "postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require][&host=/socket/folder]: join the cluster whose log this PostgreSQL database holds (TESSERA_CLUSTER)."
    )
    var cluster = environment("TESSERA_CLUSTER") ?? ""
    @Option(help: "This node's name in the cluster, unique among its nodes (TESSERA_NODE; default the host name).")
    var node = environment("TESSERA_NODE") ?? ProcessInfo.processInfo.hostName
    @Option(
        help:
            "The base URL other nodes reach this one at, to forward changes while it leads (TESSERA_ADVERTISE; default http://<host>:<port>)."
    )
    var advertise = environment("TESSERA_ADVERTISE") ?? ""
    @Option(
        help:
            "Milliseconds a leader's lease lasts unless renewed (every third of it); a follower takes over after it (TESSERA_LEASE_MILLISECONDS)."
    )
    var leaseMilliseconds = Int(environment("TESSERA_LEASE_MILLISECONDS") ?? "") ?? 5000

    var isClustered: Bool { !cluster.isEmpty }

    func validate() throws {
        guard isClustered else { return }
        _ = try postgresConfiguration()
        guard !node.isEmpty, node.utf8.count <= 200 else { throw ValidationError("--node: 1 to 200 bytes") }
        guard (300...600_000).contains(leaseMilliseconds) else {
            throw ValidationError("--lease-milliseconds: 300 to 600000")
        }
        if !advertise.isEmpty {
            guard let url = URL(string: advertise), ["http", "https"].contains(url.scheme), url.host != nil,
                url.query == nil, url.path.isEmpty || url.path == "/"
            else { throw ValidationError("--advertise: a base URL such as http://10.0.0.7:8000") }
        }
    }

    /// The client configuration `--cluster` names.
    func postgresConfiguration() throws -> PostgresClient.Configuration {
        try Self.postgresConfiguration(cluster)
    }

    /// The client configuration a `postgres://` URL names; a libpq-style `host=` query names a Unix socket folder.
    static func postgresConfiguration(_ cluster: String) throws -> PostgresClient.Configuration {
        guard let url = URLComponents(string: cluster), ["postgres", "postgresql"].contains(url.scheme),
            let user = url.user, !user.isEmpty
        else {
            throw ValidationError("--cluster: postgres://user[:password]@host[:port]/database")
        }
        let database = url.path.hasPrefix("/") && url.path.count > 1 ? String(url.path.dropFirst()) : user
        let query = Dictionary(
            (url.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
        var configuration: PostgresClient.Configuration
        if let folder = query["host"], folder.hasPrefix("/") {
            let port = url.port ?? 5432
            configuration = .init(
                unixSocketPath: "\(folder)/.s.PGSQL.\(port)", username: user, password: url.password,
                database: database)
        } else {
            guard let host = url.host, !host.isEmpty else { throw ValidationError("--cluster: the host is missing") }
            let tls: PostgresClient.Configuration.TLS
            switch query["sslmode"] ?? "prefer" {
            case "disable": tls = .disable
            case "prefer": tls = .prefer(.makeClientConfiguration())
            case "require", "verify-full": tls = .require(.makeClientConfiguration())
            default: throw ValidationError("--cluster: sslmode is disable, prefer or require")
            }
            configuration = .init(
                host: host, port: url.port ?? 5432, username: user, password: url.password, database: database,
                tls: tls)
        }
        // A node must learn quickly that PostgreSQL is unreachable: the leader's commits give up after 3 s anyway.
        configuration.options.connectTimeout = .seconds(3)
        return configuration
    }
}
