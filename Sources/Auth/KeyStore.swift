#if canImport(Glibc)
import Glibc
#endif

/// The server's secret keys, created in the data directory on first start (mode 0600) and read on every
/// later one: the access-token signing key and the refresh-rotation key.
public struct ServerKeys: Sendable {
    public let accessTokenKey: [UInt8]
    public let refreshRotationKey: [UInt8]

    /// Reads the keys from `directory`, creating missing ones.
    public static func loadOrCreate(directory: String) throws(KeyStoreError) -> ServerKeys {
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw KeyStoreError("cannot create \(directory): errno \(errno)")
        }
        return ServerKeys(accessTokenKey: try loadOrCreateKey(directory + "/access-hs256.key"),
                          refreshRotationKey: try loadOrCreateKey(directory + "/refresh-rotation.key"))
    }

    private static func loadOrCreateKey(_ path: String) throws(KeyStoreError) -> [UInt8] {
        let size = 32
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            defer { close(fd) }
            var key = [UInt8](repeating: 0, count: size)
            let count = key.withUnsafeMutableBytes { read(fd, $0.baseAddress, size) }
            guard count == size else { throw KeyStoreError("\(path) does not hold a \(size)-byte key") }
            return key
        }
        guard errno == ENOENT else { throw KeyStoreError("cannot read \(path): errno \(errno)") }
        var generator = SystemRandomNumberGenerator()
        let key = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let temporary = path + ".tmp"
        let out = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard out >= 0 else { throw KeyStoreError("cannot create \(temporary): errno \(errno)") }
        let written = key.withUnsafeBytes { write(out, $0.baseAddress, size) }
        let synced = fsync(out)
        close(out)
        guard written == size, synced == 0, rename(temporary, path) == 0 else {
            throw KeyStoreError("cannot write \(path): errno \(errno)")
        }
        let directory = String(path[..<path.lastIndex(of: "/")!])
        let dirFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 {
            fsync(dirFD)
            close(dirFD)
        }
        return key
    }
}

public struct KeyStoreError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
