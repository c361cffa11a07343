import CCRC32C

/// CRC32C (Castagnoli), the checksum of every record, segment header and snapshot.
public enum CRC32C {
    /// Extends `crc` over `bytes`; start from 0. Feeding data in pieces gives the same value as feeding it whole.
    public static func extend(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return tessera_crc32c_extend(crc, base, bytes.count)
    }

    /// The checksum of `bytes`.
    package static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        if let crc = bytes.withContiguousStorageIfAvailable({ extend(0, UnsafeRawBufferPointer($0)) }) {
            return crc
        }
        return Array(bytes).withUnsafeBytes { extend(0, $0) }
    }

    /// Extends `crc` over the eight little-endian bytes of `value`.
    package static func extend(_ crc: UInt32, littleEndian value: UInt64) -> UInt32 {
        withUnsafeBytes(of: value.littleEndian) { extend(crc, $0) }
    }

    /// Whether the CPU's CRC32C instruction is in use (otherwise a portable table is).
    package static var isHardwareAccelerated: Bool { tessera_crc32c_is_hardware() != 0 }
}
