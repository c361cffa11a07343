import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL server of its own for a test or a benchmark (never for serving): a data directory in a temporary folder, reached only through a
/// Unix socket in that folder (no TCP port, so no port to pick and none shared), trust authentication for the
/// `tessera` role. When the tests run as root the server runs as the
/// `postgres` user, since PostgreSQL refuses to run as root. `stop()` ends it and removes the folder.
package final class PrivatePostgres: Sendable {
    package struct Failure: Error, CustomStringConvertible {
        package let description: String
    }

    package let folder: String
    private let binaries: String
    private let asPostgresUser: Bool

    /// The role the tests connect as, and its database.
    package static let user = "tessera"
    package static let database = "postgres"

    package init() throws {
        binaries = try Self.findBinaries()
        var template = Array("/tmp/tessera-pg-XXXXXX".utf8CString)
        folder = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        asPostgresUser = geteuid() == 0
        if asPostgresUser {
            guard let account = getpwnam("postgres") else {
                throw Failure(description: "running as root, and there is no postgres user to run PostgreSQL as")
            }
            chown(folder, account.pointee.pw_uid, account.pointee.pw_gid)
        }
        try run(
            "initdb", ["-D", folder + "/data", "-U", Self.user, "--auth=trust", "-E", "UTF8", "--no-sync"])
        try start()
    }

    /// The server's socket.
    package var socketPath: String { folder + "/.s.PGSQL.5432" }

    /// Starts the server (again); returns once it accepts connections.
    package func start() throws {
        try run(
            "pg_ctl",
            [
                "-D", folder + "/data", "-l", folder + "/server.log", "-w", "-t", "60", "-o",
                "-c listen_addresses='' -c unix_socket_directories=\(folder)", "start",
            ])
    }

    /// Stops the server (fast shutdown: connections are cut, committed transactions kept); the folder stays.
    package func shutDown() throws {
        try run("pg_ctl", ["-D", folder + "/data", "-m", "fast", "-w", "-t", "60", "stop"])
    }

    /// Stops the server and removes its folder.
    package func stop() {
        try? shutDown()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Runs one of PostgreSQL's programs to its end, as the postgres user when the tests are root. Spawned and
    /// waited for directly: Foundation's `Process` did not always see `runuser` exit once `pg_ctl` had left a
    /// server running.
    func run(_ program: String, _ arguments: [String]) throws {
        let command =
            asPostgresUser
            ? ["/usr/sbin/runuser", "-u", "postgres", "--", binaries + "/" + program] + arguments
            : [binaries + "/" + program] + arguments
        let messagesPath = folder + "/\(program).messages"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, messagesPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var arguments = command.map { strdup($0) } + [nil]
        defer { for argument in arguments { free(argument) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, command[0], &actions, nil, &arguments, environ)
        guard spawned == 0 else { throw Failure(description: "cannot start \(command[0]): error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // Exited normally with status 0: the low seven bits (signal) are 0 and so is the exit code.
        guard status == 0 else {
            let text = (try? String(contentsOfFile: messagesPath, encoding: .utf8)) ?? ""
            throw Failure(description: "\(program) failed (wait status \(status)): \(text)")
        }
    }

    /// Where Debian installs the server's programs (the newest version), or the folder of `initdb` on the path.
    static func findBinaries() throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap(Int.init).sorted(by: >)
        for version in versions where FileManager.default.isExecutableFile(atPath: "\(root)/\(version)/bin/initdb") {
            return "\(root)/\(version)/bin"
        }
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        where FileManager.default.isExecutableFile(atPath: "\(folder)/initdb") {
            return String(folder)
        }
        throw Failure(description: "PostgreSQL's server is not installed (make deps installs Debian's postgresql)")
    }
}
