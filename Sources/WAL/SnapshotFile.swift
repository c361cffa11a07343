#if canImport(Glibc)
import Glibc
#endif

/// The layout of a snapshot file:
///
/// ```
/// [magic 8 "TSRASNP1"][format version u32][header size u32][lsn u64][payload length u64]
/// [payload crc32c u32][header crc32c u32 of the bytes before it][zeros to 64][payload …]
/// ```
/// The payload is whatever the engine encodes; this module only frames, checksums and places it.
enum SnapshotFile {
    static let headerSize = 64
    static let formatVersion: UInt32 = 1
    static let magic: [UInt8] = Array("TSRASNP1".utf8)
    static let prefix = "snapshot-"
    static let suffix = ".snap"

    static func fileName(lsn: LSN) -> String {
        let digits = String(lsn)
        return prefix + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + suffix
    }

    static func lsn(of fileName: String) -> LSN? {
        guard fileName.hasPrefix(prefix), fileName.hasSuffix(suffix) else { return nil }
        let digits = fileName.dropFirst(prefix.count).dropLast(suffix.count)
        return digits.count == 20 ? LSN(digits) : nil
    }

    static func header(lsn: LSN, payloadLength: Int, payloadCRC: UInt32) -> [UInt8] {
        var bytes = magic
        bytes.appendLE(formatVersion)
        bytes.appendLE(UInt32(headerSize))
        bytes.appendLE(lsn)
        bytes.appendLE(UInt64(payloadLength))
        bytes.appendLE(payloadCRC)
        bytes.appendLE(CRC32C.checksum(bytes))
        bytes.append(contentsOf: repeatElement(0, count: headerSize - bytes.count))
        return bytes
    }

    /// Validates the file at `path` and returns its LSN and payload, or the reason it is unusable.
    static func read(path: String) throws(WALError) -> (lsn: LSN, payload: [UInt8]) {
        let file = try MappedFile(path: path)
        let bytes = file.bytes
        func damaged(_ reason: String, offset: Int = 0) -> WALError {
            WALError(.snapshotDamaged, "snapshot \(reason)", file: path, offset: offset)
        }
        guard bytes.count >= headerSize else { throw damaged("is shorter than its header") }
        guard bytes.prefix(magic.count).elementsEqual(magic) else { throw damaged("has a bad magic number") }
        guard bytes.readLE(UInt32.self, at: 8) == formatVersion else { throw damaged("has an unknown format version") }
        guard bytes.readLE(UInt32.self, at: 36) == CRC32C.extend(0, UnsafeRawBufferPointer(rebasing: bytes[0..<36]))
        else { throw damaged("header checksum mismatch") }
        let lsn = bytes.readLE(UInt64.self, at: 16)
        let length = Int(bytes.readLE(UInt64.self, at: 24))
        guard bytes.count - headerSize == length else {
            throw damaged("payload is \(bytes.count - headerSize) bytes, header says \(length)", offset: headerSize)
        }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[headerSize...])
        guard CRC32C.extend(0, payload) == bytes.readLE(UInt32.self, at: 32) else {
            throw damaged("payload checksum mismatch", offset: headerSize)
        }
        return (lsn, Array(payload))
    }
}

/// Streams a snapshot's payload into its temporary file, checksumming as it goes.
package struct SnapshotWriter: ~Copyable {
    let fd: Int32
    let path: String
    /// Payload bytes written so far.
    package private(set) var length = 0
    private(set) var crc: UInt32 = 0
    private var buffer: [UInt8] = []
    private static let flushThreshold = 1 << 20

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
        buffer.reserveCapacity(Self.flushThreshold)
    }

    /// Appends bytes to the payload.
    package mutating func write(_ bytes: some Collection<UInt8>) throws(WALError) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.flushThreshold { try flush() }
    }

    mutating func flush() throws(WALError) {
        guard !buffer.isEmpty else { return }
        let (fd, path, offset) = (fd, path, SnapshotFile.headerSize + length)
        crc = buffer.withUnsafeBytes { CRC32C.extend(crc, $0) }
        try buffer.withBytes { (bytes) throws(WALError) in try PosixFile.writeAll(fd, bytes, at: offset, path: path) }
        length += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }
}
