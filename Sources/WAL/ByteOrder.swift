/// Little-endian reads and writes at byte offsets, the only byte order of Tessera's files.
extension UnsafeRawBufferPointer {
    func readLE<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

extension UnsafeMutableRawBufferPointer {
    func writeLE<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
    }
}

extension Array where Element == UInt8 {
    /// Appends `value` as little-endian bytes.
    mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` for a body that throws `WALError` (the standard one only rethrows untyped).
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws(WALError) -> R) throws(WALError) -> R {
        var result: Result<R, WALError>?
        withUnsafeBytes { bytes in result = Result { () throws(WALError) in try body(bytes) } }
        return try result!.get()
    }
}
