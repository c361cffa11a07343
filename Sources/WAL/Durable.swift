#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The one rule for directory entries, for everything Tessera keeps in its data directory.
///
/// A power loss drops what the kernel has not written back: file contents not yet synced, and just as much a
/// directory entry — a new file or directory, a rename, an unlink — whose directory was not synced after the
/// change. So every change of a directory entry that matters goes through here, and returns only once the
/// directory holding it was `fsync`ed: nothing that depends on the entry is acknowledged before it is durable.
/// File contents are the caller's to sync (before a rename, the file itself).
package enum Durable {
    /// Creates the directory `path` (mode 0700: the log, snapshots and keys hold password hashes, emails and
    /// secrets) and makes its entry durable. Nothing is synced when it exists already.
    package static func makeDirectory(_ path: String) throws(WALError) {
        if mkdir(path, 0o700) == 0 {
            try syncDirectory(parent(of: path))
        } else if errno != EEXIST {
            throw .system("mkdir", path: path, errno: errno)
        }
    }

    /// Creates `path` and any missing parent, as `mkdir -p` does (the last component 0700, parents 0755), and
    /// makes every entry it created durable. Throws `ENOTDIR` when `path` exists and is not a directory.
    package static func makeDirectories(_ path: String) throws(WALError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        let components = path.split(separator: "/")
        for (index, component) in components.enumerated() {
            prefix += component
            if mkdir(prefix, index == components.count - 1 ? 0o700 : 0o755) == 0 {
                try syncDirectory(parent(of: prefix))
            } else if errno != EEXIST {
                throw .system("mkdir", path: prefix, errno: errno)
            }
            prefix += "/"
        }
        var status = stat()
        guard stat(path, &status) == 0 else { throw .system("stat", path: path, errno: errno) }
        guard status.st_mode & S_IFMT == S_IFDIR else { throw .system("mkdir", path: path, errno: ENOTDIR) }
    }

    /// Opens `path` with `flags`, creating it (mode 0600) when it is missing; a file it created has its entry
    /// made durable before this returns.
    package static func openCreating(_ path: String, flags: Int32) throws(WALError) -> Int32 {
        while true {
            let existing = Glibc.open(path, flags | O_CLOEXEC)
            if existing >= 0 { return existing }
            guard errno == ENOENT else {
                if errno == EINTR { continue }
                throw .system("open", path: path, errno: errno)
            }
            let created = Glibc.open(path, flags | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if created >= 0 {
                do throws(WALError) { try syncDirectory(parent(of: path)) } catch {
                    Glibc.close(created)
                    throw error
                }
                return created
            }
            // Made by someone else in between (EEXIST), or interrupted: open it as it is now.
            guard errno == EEXIST || errno == EINTR else { throw .system("create", path: path, errno: errno) }
        }
    }

    /// Renames `from` to `to` and makes the change durable (both directories, when they differ).
    package static func rename(_ from: String, _ to: String) throws(WALError) {
        if Glibc.rename(from, to) != 0 { throw .system("rename to \(to)", path: from, errno: errno) }
        let target = parent(of: to)
        try syncDirectory(target)
        let source = parent(of: from)
        if source != target { try syncDirectory(source) }
    }

    /// Unlinks every path of `paths` (a missing one is no error), then makes the removals durable, one sync
    /// per directory concerned.
    package static func remove(_ paths: some Sequence<String>) throws(WALError) {
        var directories: [String] = []
        for path in paths {
            if unlink(path) != 0 && errno != ENOENT { throw .system("unlink", path: path, errno: errno) }
            let directory = parent(of: path)
            if !directories.contains(directory) { directories.append(directory) }
        }
        for directory in directories { try syncDirectory(directory) }
    }

    /// Replaces `path` with `bytes` so that a crash or power loss leaves either the old file or the whole new
    /// one: written to `<path>.tmp` (mode 0600), synced, renamed over `path`, the directory synced.
    package static func replaceFile(_ path: String, with bytes: [UInt8]) throws(WALError) {
        let temporary = path + temporarySuffix
        let fd = try PosixFile.open(temporary, O_WRONLY | O_CREAT | O_TRUNC)
        do throws(WALError) {
            try bytes.withBytes { (raw) throws(WALError) in try PosixFile.writeAll(fd, raw, at: 0, path: temporary) }
            try PosixFile.syncFile(fd, path: temporary)
        } catch {
            PosixFile.close(fd)
            _ = unlink(temporary)
            throw error
        }
        PosixFile.close(fd)
        try rename(temporary, path)
    }

    /// Removes the temporary files (`*.tmp`) a process killed while writing left in `directory`, and returns
    /// their names (for the start-up log). A missing directory holds none.
    package static func removeTemporaryFiles(in directory: String) throws(WALError) -> [String] {
        guard PosixFile.exists(directory) else { return [] }
        let stale = try PosixFile.list(directory).filter { $0.hasSuffix(temporarySuffix) }.sorted()
        if !stale.isEmpty { try remove(stale.map { directory + "/" + $0 }) }
        return stale
    }

    /// Makes the entry changes (create, rename, unlink) inside the directory `path` durable.
    package static func syncDirectory(_ path: String) throws(WALError) {
        try PosixFile.syncDirectory(path)
    }

    /// What names a file being written before it is renamed into place.
    package static let temporarySuffix = ".tmp"

    /// The directory holding `path` ("." for a bare name, "/" for a name at the root).
    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
