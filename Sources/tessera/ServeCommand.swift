import ArgumentParser
import Auth
import Engine
import Foundation
import Logging
import Net
import ServiceLifecycle
import Social
import WAL

#if canImport(Glibc)
import Glibc
#endif

/// `tessera serve`: the service. Every option also reads a `TESSERA_*` environment variable.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve the HTTP API from a data directory (created when missing).")

    @Option(help: "Address to listen on (TESSERA_HOST).") var host = environment("TESSERA_HOST") ?? "127.0.0.1"
    @Option(help: "Port (TESSERA_PORT).") var port = Int(environment("TESSERA_PORT") ?? "") ?? 8000
    @Option(help: "Data directory (TESSERA_DATA).") var data = environment("TESSERA_DATA") ?? "./tessera-data"
    @Option(help: "sync, batch:<ms> or none (TESSERA_DURABILITY).")
    var durability = environment("TESSERA_DURABILITY") ?? "sync"
    @Option(help: "Shard count (TESSERA_SHARDS).") var shards = Int(environment("TESSERA_SHARDS") ?? "") ?? 16
    @Option(help: "bcrypt cost, 4–31 (TESSERA_BCRYPT_COST).")
    var bcryptCost = Int(environment("TESSERA_BCRYPT_COST") ?? "") ?? 12
    @Option(help: "Write a snapshot after this many logged records (TESSERA_SNAPSHOT_EVERY_RECORDS).")
    var snapshotEveryRecords = UInt64(environment("TESSERA_SNAPSHOT_EVERY_RECORDS") ?? "") ?? 500_000
    @Option(help: "Base URL of the front end that password-reset mails link to (TESSERA_FRONTEND_URL).")
    var frontendURL = environment("TESSERA_FRONTEND_URL") ?? "http://localhost:3000"
    @Option(help: "Comma-separated proxy addresses whose X-Forwarded-For is believed (TESSERA_TRUSTED_PROXIES).")
    var trustedProxies = environment("TESSERA_TRUSTED_PROXIES") ?? ""
    @Option(help: "on or off: GET /metrics in the Prometheus format (TESSERA_METRICS).")
    var metrics = environment("TESSERA_METRICS") ?? "on"
    @Option(help: "Snapshots to keep, at least 2 (TESSERA_KEEP_SNAPSHOTS).")
    var keepSnapshots = Int(environment("TESSERA_KEEP_SNAPSHOTS") ?? "") ?? 2
    @Option(help: "Log to keep: since-oldest-snapshot or all (TESSERA_KEEP_LOG).")
    var keepLog = environment("TESSERA_KEEP_LOG") ?? "since-oldest-snapshot"
    @Option(help: "on or off: the contract's per-client rate limits (TESSERA_RATE_LIMIT; off for benchmarks).")
    var rateLimit = environment("TESSERA_RATE_LIMIT") ?? "on"
    @Option(help: "Issuer URL of tokens and OAuth metadata (TESSERA_ISSUER; default http://<host>:<port>).")
    var issuer = environment("TESSERA_ISSUER") ?? ""
    @Option(help: "Access-token signing: hs256 or eddsa (TESSERA_SIGNING; eddsa publishes /.well-known/jwks.json).")
    var signing = environment("TESSERA_SIGNING") ?? "hs256"
    @Option(help: "With eddsa, a new signing key after this many days (TESSERA_ROTATE_SIGNING_KEY_DAYS).")
    var rotateSigningKeyDays = Int(environment("TESSERA_ROTATE_SIGNING_KEY_DAYS") ?? "") ?? 30
    @Option(help: "The page that asks a user for consent (TESSERA_CONSENT_URL; default <frontend-url>/oauth/consent).")
    var consentURL = environment("TESSERA_CONSENT_URL") ?? ""  // empty: Tessera's own consent page
    @Option(help: "Space-separated scopes OAuth clients may be registered with (TESSERA_OAUTH_SCOPES).")
    var oauthScopes = environment("TESSERA_OAUTH_SCOPES") ?? OAuthProvider.defaultScopes.joined(separator: " ")
    @Option(help: "strict or truncate: what to do with a damaged log (TESSERA_RECOVER).")
    var recover = RecoveryPolicy(rawValue: environment("TESSERA_RECOVER") ?? "") ?? .strict
    @Option(
        help:
            "on or off: a social sign-in may link to or make a user by an email its provider has not verified (TESSERA_SOCIAL_TRUST_UNVERIFIED_EMAILS)."
    )
    var socialTrustUnverifiedEmails = environment("TESSERA_SOCIAL_TRUST_UNVERIFIED_EMAILS") ?? "off"

    @Option(
        help:
            "Seconds during which a rotated-out refresh token presented again gets the same new pair instead of ending the session (TESSERA_REFRESH_GRACE_SECONDS)."
    )
    var refreshGraceSeconds = Double(environment("TESSERA_REFRESH_GRACE_SECONDS") ?? "") ?? 10
    @Option(
        help:
            "Comma-separated browser origins allowed to call the API from scripts, e.g. https://app.example (TESSERA_CORS_ORIGINS; default none)."
    )
    var corsOrigins = environment("TESSERA_CORS_ORIGINS") ?? ""
    @Option(
        help:
            "Strict-Transport-Security max-age in seconds on every answer, 0 for none (TESSERA_HSTS_MAX_AGE_SECONDS; set it when Tessera is reached over HTTPS)."
    )
    var hstsMaxAgeSeconds = Int(environment("TESSERA_HSTS_MAX_AGE_SECONDS") ?? "") ?? 0
    @Flag(
        help:
            "Make new key files when a data directory with state has lost them (every token issued so far stops working)."
    )
    var newKeys = false
    @Flag(
        help:
            "Start a data directory that has served although its log or snapshots are gone, with what is left (acknowledged changes are lost)."
    )
    var acceptLostState = false
    @Option(
        help:
            "Comma-separated resource URIs tokens may be for (RFC 8707 resource); default: any https URI, or http to this machine (TESSERA_RESOURCES)."
    )
    var resources = environment("TESSERA_RESOURCES") ?? ""
    @Option(
        help:
            "Hours after which a client that registered itself anonymously and was never used (no consent, grant or token) is deleted (TESSERA_UNUSED_CLIENT_HOURS)."
    )
    var unusedClientHours = Double(environment("TESSERA_UNUSED_CLIENT_HOURS") ?? "") ?? 24
    @Option(
        help:
            "open, token or off: whether OAuth clients may register themselves (RFC 7591): anyone, with an initial access token, or not (TESSERA_CLIENT_REGISTRATION)."
    )
    var clientRegistration = environment("TESSERA_CLIENT_REGISTRATION") ?? "open"
    @Option(
        help:
            "Clients registered anonymously kept at once; past it, registration answers 503 (TESSERA_MAX_ANONYMOUS_CLIENTS)."
    )
    var maxAnonymousClients = Int(environment("TESSERA_MAX_ANONYMOUS_CLIENTS") ?? "") ?? 1000
    @Option(
        help:
            "on or off: whether a client may name itself by the https URL of its client ID metadata document, which Tessera then fetches (TESSERA_CLIENT_ID_METADATA_DOCUMENTS)."
    )
    var clientIDMetadataDocuments = environment("TESSERA_CLIENT_ID_METADATA_DOCUMENTS") ?? "on"
    @Flag(
        help:
            "Let requests to URLs clients chose (client ID metadata documents, back-channel logout) reach loopback and private addresses too. For development and tests only: on a server strangers reach, it lets them make Tessera call its own network."
    )
    var outboundPrivateAddresses = false
    @Option(
        help:
            "A PEM file of CA certificates trusted for outgoing HTTPS besides the system's: social login providers and client ID metadata documents (TESSERA_OUTBOUND_CA_FILE)."
    )
    var outboundCAFile = environment("TESSERA_OUTBOUND_CA_FILE") ?? ""
    @Option(
        help:
            "Size of each log segment file in bytes, a multiple of 4096 from 256 KiB to 4 GiB (TESSERA_SEGMENT_SIZE_BYTES)."
    )
    var segmentSizeBytes = Int(environment("TESSERA_SEGMENT_SIZE_BYTES") ?? "") ?? 64 << 20
    @Option(
        help:
            "trace, debug, info, notice, warning, error or critical: the least severe line written to standard error; debug adds a line per request (TESSERA_LOG_LEVEL)."
    )
    var logLevel = environment("TESSERA_LOG_LEVEL") ?? "info"
    @Option(help: "Seconds a connection may wait for its next request (TESSERA_IDLE_TIMEOUT_SECONDS).")
    var idleTimeoutSeconds = Double(environment("TESSERA_IDLE_TIMEOUT_SECONDS") ?? "") ?? 60
    @Option(
        help: "Seconds a request's head may take to arrive, from its first byte (TESSERA_REQUEST_HEAD_TIMEOUT_SECONDS)."
    )
    var requestHeadTimeoutSeconds = Double(environment("TESSERA_REQUEST_HEAD_TIMEOUT_SECONDS") ?? "") ?? 10
    @Option(help: "Seconds a request's body may take to arrive, after its head (TESSERA_REQUEST_BODY_TIMEOUT_SECONDS).")
    var requestBodyTimeoutSeconds = Double(environment("TESSERA_REQUEST_BODY_TIMEOUT_SECONDS") ?? "") ?? 30
    @Option(help: "Connections open at once; 0: what the open-files limit leaves room for (TESSERA_MAX_CONNECTIONS).")
    var maxConnections = Int(environment("TESSERA_MAX_CONNECTIONS") ?? "") ?? 0
    @Option(help: "Largest request body in bytes (TESSERA_BODY_LIMIT_BYTES).")
    var bodyLimitBytes = Int(environment("TESSERA_BODY_LIMIT_BYTES") ?? "") ?? 1 << 20
    @Option(help: "Request bodies held at once, in bytes, across every connection (TESSERA_BUFFERED_BODY_LIMIT_BYTES).")
    var bufferedBodyLimitBytes = Int(environment("TESSERA_BUFFERED_BODY_LIMIT_BYTES") ?? "") ?? 64 << 20

    @OptionGroup(title: "Cluster") var clusterOptions: ClusterOptions

    func validate() throws {
        if clusterOptions.isClustered && issuer.isEmpty {
            throw ValidationError(
                "--issuer: required with --cluster (every node issues and checks tokens under the same issuer)")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError(
                "--log-level: one of " + Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))
        }
        for (name, seconds) in [
            ("--idle-timeout-seconds", idleTimeoutSeconds),
            ("--request-head-timeout-seconds", requestHeadTimeoutSeconds),
            ("--request-body-timeout-seconds", requestBodyTimeoutSeconds),
        ] {
            guard seconds > 0 && seconds <= 86_400 else { throw ValidationError("\(name): more than 0, at most 86400") }
        }
        guard maxConnections >= 0 else { throw ValidationError("--max-connections: 0 (automatic) or more") }
        for origin in corsOriginList where !CORSPolicy.isOrigin(origin) {
            throw ValidationError("--cors-origins: \(origin) is not an origin (scheme://host[:port], no path)")
        }
        guard hstsMaxAgeSeconds >= 0 else { throw ValidationError("--hsts-max-age-seconds: 0 or more") }
        guard (0...300).contains(refreshGraceSeconds) else {
            throw ValidationError("--refresh-grace-seconds: 0 to 300")
        }
        guard bodyLimitBytes >= 1024 else { throw ValidationError("--body-limit-bytes: at least 1024") }
        guard bufferedBodyLimitBytes >= bodyLimitBytes else {
            throw ValidationError("--buffered-body-limit-bytes: at least --body-limit-bytes")
        }
        guard Durability(parsing: durability) != nil else {
            throw ValidationError("--durability: sync, batch:<ms> or none")
        }
        guard (1...1024).contains(shards) else { throw ValidationError("--shards: 1 to 1024") }
        guard ClientRegistrationPolicy(rawValue: clientRegistration) != nil else {
            throw ValidationError("--client-registration: open, token or off")
        }
        guard maxAnonymousClients >= 0 else { throw ValidationError("--max-anonymous-clients: 0 or more") }
        guard clientIDMetadataDocuments == "on" || clientIDMetadataDocuments == "off" else {
            throw ValidationError("--client-id-metadata-documents: on or off")
        }
        if !outboundCAFile.isEmpty {
            guard OutboundTLS.isCertificateFile(outboundCAFile) else {
                throw ValidationError(
                    "--outbound-ca-file: \(outboundCAFile) is not a readable PEM file of certificates")
            }
        }
        guard unusedClientHours > 0 && unusedClientHours <= 24 * 366 else {
            throw ValidationError("--unused-client-hours: more than 0, at most 8784 (a year)")
        }
        for resource in resourceList where RedirectURI.kind(of: resource) == nil {
            throw ValidationError(
                "--resources: \(resource) is not an https URI (or http to this machine) without a fragment")
        }
        guard (256 << 10...1 << 32).contains(segmentSizeBytes), segmentSizeBytes % 4096 == 0 else {
            throw ValidationError(
                "--segment-size-bytes: a multiple of 4096 from 262144 (256 KiB) to 4294967296 (4 GiB)")
        }
        guard (4...31).contains(bcryptCost) else { throw ValidationError("--bcrypt-cost: 4 to 31") }
        guard (0...65535).contains(port) else { throw ValidationError("--port: 0 to 65535") }
        guard ["on", "off"].contains(rateLimit) else { throw ValidationError("--rate-limit: on or off") }
        guard ["on", "off"].contains(metrics) else { throw ValidationError("--metrics: on or off") }
        guard ["on", "off"].contains(socialTrustUnverifiedEmails) else {
            throw ValidationError("--social-trust-unverified-emails: on or off")
        }
        do { _ = try SocialProviderConfiguration.fromEnvironment(ProcessInfo.processInfo.environment) } catch {
            throw ValidationError("social login: \(error)")
        }
        guard ["hs256", "eddsa"].contains(signing) else { throw ValidationError("--signing: hs256 or eddsa") }
        guard rotateSigningKeyDays >= 1 else { throw ValidationError("--rotate-signing-key-days: at least 1") }
        guard !oauthScopes.split(separator: " ").isEmpty else { throw ValidationError("--oauth-scopes: at least one") }
        guard keepSnapshots >= 2 else { throw ValidationError("--keep-snapshots: at least 2") }
        guard ["since-oldest-snapshot", "all"].contains(keepLog) else {
            throw ValidationError("--keep-log: since-oldest-snapshot or all")
        }
    }

    /// Social login with the providers the environment configures (API.md), or nil when it configures none;
    /// and the HTTP client they share, to shut down when the server stops.
    private func socialLogin(_ auth: AuthService) throws -> (SocialLogin?, ProviderHTTPClient?) {
        let configurations = try SocialProviderConfiguration.fromEnvironment(ProcessInfo.processInfo.environment)
        guard !configurations.isEmpty else { return (nil, nil) }
        let http = ProviderHTTPClient(extraTrustRootsFile: outboundCAFile.isEmpty ? nil : outboundCAFile)
        let providers = configurations.map { SocialLogin.makeProvider($0, http: http) }
        return (
            SocialLogin(auth: auth, providers: providers, trustUnverifiedEmails: socialTrustUnverifiedEmails == "on"),
            http
        )
    }

    /// HTTPS to URLs clients chose, with the outgoing trust roots and the address rule.
    private var guardedHTTP: GuardedHTTPClient {
        var settings = GuardedHTTPClient.Settings()
        settings.allowPrivateAddresses = outboundPrivateAddresses
        settings.extraTrustRootsFile = outboundCAFile.isEmpty ? nil : outboundCAFile
        return GuardedHTTPClient(settings: settings)
    }

    /// Client ID metadata documents, unless turned off.
    private func clientDocuments(clock: any EngineClock) -> ClientDocuments? {
        guard clientIDMetadataDocuments == "on" else { return nil }
        return ClientDocuments(fetcher: guardedHTTP, clock: clock)
    }

    private var resourceList: [String] {
        resources.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    private var corsOriginList: [String] {
        corsOrigins.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The connection limits of the options; without `--max-connections`, the cap leaves room under the
    /// open-files limit for the log, snapshots and outgoing connections.
    private func connectionLimits(openFiles: OpenFilesLimit) -> ConnectionLimits {
        var limits = ConnectionLimits()
        limits.idleTimeoutSeconds = idleTimeoutSeconds
        limits.headTimeoutSeconds = requestHeadTimeoutSeconds
        limits.bodyTimeoutSeconds = requestBodyTimeoutSeconds
        limits.bodyLimitBytes = bodyLimitBytes
        limits.bufferedBodyLimitBytes = bufferedBodyLimitBytes
        limits.maxConnections = maxConnections > 0 ? maxConnections : openFiles.connectionsItLeavesRoomFor
        return limits
    }

    func run() async throws {
        let openFiles = OpenFilesLimit.raised()
        let logLevel = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
        let logger = Logger(label: "tessera")
        var configuration = EngineConfiguration(dataDirectory: data)
        configuration.durability = Durability(parsing: durability)!
        configuration.shardCount = shards
        configuration.refreshGraceMilliseconds = Int64(refreshGraceSeconds * 1000)
        configuration.recovery = recover
        configuration.snapshotEveryRecords = max(1, snapshotEveryRecords)
        configuration.keptSnapshots = keepSnapshots
        configuration.logRetention = keepLog == "all" ? .everything : .sinceOldestSnapshot
        configuration.segmentSizeBytes = segmentSizeBytes
        configuration.acceptLostState = acceptLostState
        configuration.unusedAnonymousClientMilliseconds = Int64(unusedClientHours * 3_600_000)
        let member =
            clusterOptions.isClustered
            ? try await ClusterMember(options: clusterOptions, dataDirectory: data, logger: logger) : nil
        member?.configure(&configuration)
        let engine: Engine
        do { engine = try Engine.open(configuration) } catch {
            member?.shutdown()
            // An operating error, said as it is (no usage text).
            throw StartupFailure((error as? EngineError)?.message ?? "\(error)")
        }
        logger.info("recovered \(engine.startup.summary)")
        logger.info("log device \(engine.log.device)")
        if engine.startup.identityCreated {
            let instance = engine.identity.instanceID.uuidString.lowercased()
            logger.info(
                "\(data)/IDENTITY written (instance \(instance)): from now on this directory is known to have served, and a start without its log is refused"
            )
        }
        if let mode = engine.startup.looseDirectoryMode {
            let octal = String(mode, radix: 8)
            logger.warning(
                "\(data) has mode \(octal): others may read its log and snapshots (password hashes, emails); run chmod 700 \(data)"
            )
        }
        var forwardingSecret = ""
        if let member {
            forwardingSecret = try await member.prepareKeys(directory: data + "/keys", logger: logger) {
                _ = try ServerKeys.loadOrCreate(
                    directory: data + "/keys", creatingMissing: engine.startup.foundNothing || newKeys)
                // Every ring now, so that the cluster has them all before any follower needs one.
                _ = try IDTokenKeys(
                    directory: data + "/keys", rotationSeconds: Int64(rotateSigningKeyDays) * 86_400,
                    retentionSeconds: 3600
                ).jwks(nowSeconds: engine.clock.nowMilliseconds() / 1000)
            }
        }
        let keys: ServerKeys
        do {
            keys = try ServerKeys.loadOrCreate(
                directory: data + "/keys",
                creatingMissing: engine.startup.foundNothing || newKeys)
        } catch {
            await engine.close()
            throw StartupFailure(error.description)
        }
        if !keys.removedTemporaryFiles.isEmpty {
            logger.info("removed the half-written key file(s) \(keys.removedTemporaryFiles.joined(separator: ", "))")
        }
        let hasher = PasswordHasher(cost: UInt8(bcryptCost), threads: max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let tokenLifetime: Int64 = 15 * 60
        var keyRing: SigningKeyRing?
        if signing == "eddsa" {
            keyRing = try SigningKeyRing(
                directory: data + "/keys/ed25519", nowSeconds: engine.clock.nowMilliseconds() / 1000,
                rotationSeconds: Int64(rotateSigningKeyDays) * 86_400,
                retentionSeconds: tokenLifetime)
        }
        let auth = AuthService(
            engine: engine, keys: keys, hasher: hasher, issuer: issuer.isEmpty ? "http://\(host):\(port)" : issuer,
            accessTokenLifetimeSeconds: tokenLifetime, signing: keyRing.map { .eddsa($0) })
        // A cluster's node follows until it leads: the first superuser is made by the first leader of a new cluster.
        if member == nil { try await createFirstSuperuser(auth, logger: logger) }
        let node = member?.node(engine: engine, address: advertisedAddress, logger: logger)
        let reset = PasswordResetService(
            auth: auth, outbox: JSONLinesOutbox(path: data + "/outbox.jsonl"),
            frontendURL: frontendURL)
        let proxies = Set(
            trustedProxies.split(separator: ",").map { String($0.filter { !$0.isWhitespace }) }.filter { !$0.isEmpty })
        let idTokenKeys = IDTokenKeys(
            directory: data + "/keys", rotationSeconds: Int64(rotateSigningKeyDays) * 86_400,
            retentionSeconds: max(tokenLifetime, 3600), accessTokenRing: keyRing)
        let provider = OAuthProvider(
            auth: auth, scopesSupported: oauthScopes.split(separator: " ").map(String.init),
            consentURL: consentURL,
            resourcePolicy: ResourcePolicy(allowed: resourceList.isEmpty ? nil : resourceList),
            documents: clientDocuments(clock: engine.clock), idTokenKeys: idTokenKeys)
        BackchannelLogout(provider: provider, delivery: guardedHTTP, report: { logger.info("\($0)") }).start()
        let (social, providerHTTP) = try socialLogin(auth)
        let api = API(
            auth: auth, passwordReset: reset, rateLimiter: rateLimit == "on" ? RateLimiter() : nil,
            trustedProxies: proxies, metrics: metrics == "on" ? ServiceMetrics() : nil, provider: provider,
            social: social, cors: corsOriginList.isEmpty ? nil : CORSPolicy(allowedOrigins: Set(corsOriginList)),
            hstsMaxAgeSeconds: hstsMaxAgeSeconds > 0 ? hstsMaxAgeSeconds : nil,
            registration: RegistrationSettings(
                policy: ClientRegistrationPolicy(rawValue: clientRegistration)!,
                maxAnonymousClients: maxAnonymousClients),
            cluster: node.map { NodeMembership(node: $0, forwardingSecret: forwardingSecret) },
            logger: Logger(label: "tessera.http"))
        let limits = connectionLimits(openFiles: openFiles)
        if limits.maxConnections > openFiles.connectionsItLeavesRoomFor {
            logger.warning(
                "--max-connections \(limits.maxConnections) is more than the open-files limit (\(openFiles.soft)) leaves room for; past it, new connections wait until others close, and the log may find no descriptor to open its next file"
            )
        }
        let server = try await HTTPServer.start(host: host, port: port, router: api.router, limits: limits)
        let socialSummary =
            social.map { ", social login with " + $0.providers.map(\.configuration.name).joined(separator: ", ") } ?? ""
        let serving: String =
            "serving on http://\(host):\(server.port) from \(data), durability \(configuration.durability), "
            + "\(shards) shards, log device \(engine.log.device.backend.rawValue), rate limits \(rateLimit), "
            + "\(openFiles.summary), at most \(limits.maxConnections) connections" + socialSummary
        logger.notice("\(serving)")
        let clusterOutcome = ClusterService.Outcome()
        // First in the group: shut down last, so that the lease is released once requests and maintenance are done.
        let clusterServices =
            member.flatMap { member in
                node.map { node in
                    member.services(
                        node: node, engine: engine, keysDirectory: data + "/keys", rings: idTokenKeys,
                        outcome: clusterOutcome, logger: logger,
                        whenLeadingNewCluster: {
                            try? await createFirstSuperuser(auth, logger: logger, inNewCluster: true)
                        })
                }
            } ?? []
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: clusterServices + [
                    .init(
                        service: MaintenanceService(
                            engine: engine, keys: idTokenKeys, logger: logger,
                            rotatesKeys: { node?.isLeader ?? true }),
                        failureTerminationBehavior: .gracefullyShutdownGroup),
                    // Last: shut down first, so that requests in flight finish while maintenance still runs.
                    .init(service: HTTPService(server: server)),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: Logger(label: "tessera.lifecycle")))
        var logFailure: String?
        do { try await group.run() } catch let error as MaintenanceService.LogFailed {
            logFailure = error.description
        } catch {
            // A service that failed shut the group down, and its error (or the group's) comes here: the stop below
            // says why and skips the snapshot; a cluster node's failure is said as its own.
            if clusterOutcome.failure == nil { logFailure = engine.log.failure.map { "\($0)" } ?? "\(error)" }
        }
        logger.info("shutting down")
        await providerHTTP?.shutdown()
        if clusterOutcome.restarts {
            // What this node's memory holds past the cluster's log was never acknowledged: no snapshot of it.
            await engine.close()
            member?.shutdown()
            logger.notice("restarting to follow again")
            let failure = restartAsFollower()
            throw StartupFailure("could not restart as a follower: \(String(cString: strerror(failure)))")
        }
        if let failure = clusterOutcome.failure {
            logger.error("the node stopped following the cluster (\(failure)); exiting without a snapshot")
            await engine.close()
            member?.shutdown()
            throw ExitCode(1)
        }
        if let reason = logFailure ?? engine.log.failure.map({ "\($0)" }) {
            // A failed write or fsync is fatal (DESIGN.md): nothing more is acknowledged, and a restart recovers
            // from what the log holds.
            logger.error("the log failed (\(reason)); exiting without a snapshot")
            await engine.close()
            throw ExitCode(1)
        }
        if let member {
            // A node's snapshot holds only what the cluster committed: none when that could not be confirmed.
            do {
                let checkpoint = try await engine.checkpoint()
                logger.info("snapshot at LSN \(checkpoint.lsn) written")
            } catch {
                logger.warning("no snapshot at the stop: \(error)")
            }
            await engine.close()
            member.shutdown()
            logger.info("stopped")
            return
        }
        let checkpoint = try await engine.checkpoint()
        await engine.close()
        logger.info("snapshot at LSN \(checkpoint.lsn) written; stopped")
    }

    /// The base URL other nodes of a cluster reach this one at.
    private var advertisedAddress: String {
        clusterOptions.advertise.isEmpty ? "http://\(host):\(port)" : clusterOptions.advertise
    }

    /// On the first start of an empty data directory, `TESSERA_FIRST_SUPERUSER_EMAIL` and `_PASSWORD` create a
    /// superuser — and never again: a first superuser deleted later stays deleted. In a cluster, the first
    /// leader of an empty cluster log creates it (`inNewCluster`).
    private func createFirstSuperuser(_ auth: AuthService, logger: Logger, inNewCluster: Bool = false) async throws {
        guard let email = environment("TESSERA_FIRST_SUPERUSER_EMAIL"),
            let password = environment("TESSERA_FIRST_SUPERUSER_PASSWORD")
        else { return }
        guard auth.engine.startup.foundNothing || inNewCluster else {
            logger.info("TESSERA_FIRST_SUPERUSER_* ignored: the data directory is not new")
            return
        }
        do {
            _ = try await auth.createUser(email: email, password: password, firstName: "Admin", isSuperuser: true)
            logger.info("created the first superuser \(email)")
        } catch {
            // A log that failed says why (a disk too small names ENOSPC and the size it needed).
            let reason = auth.engine.log.failure.map(\.description) ?? error.message
            if inNewCluster {
                logger.error("the first superuser could not be created: \(reason)")
                return
            }
            await auth.engine.close()
            throw StartupFailure("the first superuser could not be created: \(reason)")
        }
    }
}

/// Why `serve` could not start, said as it is (no usage text: the options were fine).
struct StartupFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func environment(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
}

/// Writes a line to standard output at once (not held in a buffer while stdout is a file or a pipe).
func say(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
}
