/// The header at the start of every segment file.
///
/// ```
/// [magic 8 "TSRAWAL1"][format version u32][header size u32][epoch u64][first lsn u64]
/// [segment size u64][crc32c u32 of the bytes before it]
/// ```
/// followed by zeros up to `size`, where the first record starts. The epoch is random per segment file:
/// it seeds every record checksum, so bytes a recycled file kept from an earlier life never validate.
package struct SegmentHeader: Sendable, Hashable {
    /// Bytes reserved for the header; records start here, on a page boundary.
    package static let size = 4096
    /// The current format.
    package static let formatVersion: UInt32 = 1
    static let magic: [UInt8] = Array("TSRAWAL1".utf8)
    static let encodedSize = 44

    package let epoch: UInt64
    package let firstLSN: LSN
    package let segmentSizeBytes: UInt64

    package init(epoch: UInt64, firstLSN: LSN, segmentSizeBytes: UInt64) {
        self.epoch = epoch
        self.firstLSN = firstLSN
        self.segmentSizeBytes = segmentSizeBytes
    }

    /// The `size` bytes of the header block.
    func encoded() -> [UInt8] {
        var bytes = Self.magic
        bytes.appendLE(Self.formatVersion)
        bytes.appendLE(UInt32(Self.size))
        bytes.appendLE(epoch)
        bytes.appendLE(firstLSN)
        bytes.appendLE(segmentSizeBytes)
        bytes.appendLE(CRC32C.checksum(bytes))
        bytes.append(contentsOf: repeatElement(0, count: Self.size - bytes.count))
        return bytes
    }

    /// Why a header did not decode.
    enum Defect: String, Error {
        case missing = "header missing (file shorter than a header)"
        case magic = "not a Tessera log segment (bad magic)"
        case version = "unknown segment format version"
        case checksum = "segment header checksum mismatch"
    }

    /// Decodes the header at the start of `file`.
    static func decode(_ file: UnsafeRawBufferPointer) -> Result<SegmentHeader, Defect> {
        guard file.count >= size else { return .failure(.missing) }
        guard file.prefix(magic.count).elementsEqual(magic) else { return .failure(.magic) }
        guard file.readLE(UInt32.self, at: 8) == formatVersion, file.readLE(UInt32.self, at: 12) == UInt32(size)
        else { return .failure(.version) }
        let stored = file.readLE(UInt32.self, at: 40)
        guard stored == CRC32C.extend(0, UnsafeRawBufferPointer(rebasing: file[0..<40])) else {
            return .failure(.checksum)
        }
        return .success(
            SegmentHeader(
                epoch: file.readLE(UInt64.self, at: 16),
                firstLSN: file.readLE(UInt64.self, at: 24),
                segmentSizeBytes: file.readLE(UInt64.self, at: 32)
            )
        )
    }
}

/// Segment file names: `wal-<first LSN, 20 digits>.log`, so that names sort in log order.
package enum SegmentName {
    static let prefix = "wal-"
    static let suffix = ".log"

    /// The file name of the segment whose first record has `firstLSN`.
    package static func fileName(firstLSN: LSN) -> String {
        let digits = String(firstLSN)
        return prefix + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + suffix
    }

    /// The first LSN named by `fileName`, or nil when it is not a segment's name.
    package static func firstLSN(of fileName: String) -> LSN? {
        guard fileName.hasPrefix(prefix), fileName.hasSuffix(suffix) else { return nil }
        let digits = fileName.dropFirst(prefix.count).dropLast(suffix.count)
        guard digits.count == 20 else { return nil }
        return LSN(digits)
    }
}
