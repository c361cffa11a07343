import WAL

#if canImport(Glibc)
import Glibc
#endif

/// The server's secret keys, created in the data directory on first start (mode 0600) and read on every
/// later one: the access-token signing key and the refresh-rotation key.
package struct ServerKeys: Sendable {
    package let accessTokenKey: [UInt8]
    package let refreshRotationKey: [UInt8]
    /// Key files a process killed while writing them left half written (`*.tmp`), removed when loading.
    package let removedTemporaryFiles: [String]

    /// The key files, in `directory`.
    package static func paths(in directory: String) -> [String] {
        [directory + "/access-hs256.key", directory + "/refresh-rotation.key"]
    }

    /// Reads the keys from `directory`, creating missing ones — only when `creatingMissing`: a data directory
    /// with state whose keys are gone would otherwise get new ones silently, and every token in circulation
    /// would stop working. Refused, the error names the missing files.
    package static func loadOrCreate(
        directory: String, creatingMissing: Bool = true
    ) throws(KeyStoreError) -> ServerKeys {
        let removed: [String]
        do {
            try Durable.makeDirectory(directory)
            removed = try Durable.removeTemporaryFiles(in: directory)
        } catch {
            throw KeyStoreError("cannot prepare \(directory): \(error.message)")
        }
        let missing = paths(in: directory).filter { access($0, F_OK) != 0 }
        if !creatingMissing && !missing.isEmpty {
            throw KeyStoreError(
                "the data directory holds state but not its key file(s) " + missing.joined(separator: ", ")
                    + "; restore them, or start with --new-keys to make new ones (every token issued so far "
                    + "stops working)")
        }
        let paths = paths(in: directory)
        return ServerKeys(
            accessTokenKey: try loadOrCreateKey(paths[0]), refreshRotationKey: try loadOrCreateKey(paths[1]),
            removedTemporaryFiles: removed)
    }

    private static func loadOrCreateKey(_ path: String) throws(KeyStoreError) -> [UInt8] {
        if access(path, F_OK) == 0 { return try KeyFile.read(path, size: 32) }
        guard errno == ENOENT else { throw KeyStoreError("cannot read \(path): errno \(errno)") }
        var generator = SystemRandomNumberGenerator()
        let key = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try KeyFile.write(key, to: path)
        return key
    }
}

/// Key files: read whole, written through a temporary file, fsync, rename and a sync of the directory (mode
/// 0600), so that neither a crash nor a power loss leaves half a key or loses one that signed a token.
enum KeyFile {
    static func read(_ path: String, size: Int) throws(KeyStoreError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw KeyStoreError("cannot read \(path): errno \(errno)") }
        defer { close(fd) }
        var key = [UInt8](repeating: 0, count: size)
        let count = key.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, size) }
        guard count == size else { throw KeyStoreError("\(path) does not hold a \(size)-byte key") }
        return key
    }

    /// The whole file, which must hold between 1 and `maxSize` bytes.
    static func read(_ path: String, maxSize: Int) throws(KeyStoreError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw KeyStoreError("cannot read \(path): errno \(errno)") }
        defer { close(fd) }
        var key = [UInt8](repeating: 0, count: maxSize + 1)
        var count = 0
        while count <= maxSize {
            let read = key.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, maxSize + 1 - count) }
            guard read > 0 else {
                guard read == 0 else { throw KeyStoreError("cannot read \(path): errno \(errno)") }
                break
            }
            count += read
        }
        guard count > 0, count <= maxSize else { throw KeyStoreError("\(path) does not hold a key") }
        return Array(key[..<count])
    }

    static func write(_ key: [UInt8], to path: String) throws(KeyStoreError) {
        do { try Durable.replaceFile(path, with: key) } catch {
            throw KeyStoreError("cannot write \(path): \(error.message)")
        }
    }
}

public struct KeyStoreError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
