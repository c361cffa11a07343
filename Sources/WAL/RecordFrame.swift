/// The on-disk frame of one record:
///
/// ```
/// [length u32][crc32c u32][lsn u64][type u16][payload …][zero padding to a multiple of 8]
/// ```
///
/// All integers are little-endian. `length` counts the header and the payload, not the padding, so it is
/// never 0: a 0 where a length belongs marks the zero-filled end of a segment. The checksum covers the
/// segment's epoch, the length field, and everything from the LSN to the end of the payload, so a record left
/// in a recycled file by an earlier epoch never validates.
package enum RecordFrame {
    /// Bytes before the payload.
    package static let headerSize = 18
    /// Frames start at multiples of this.
    package static let alignment = 8
    /// The largest payload a record may carry (16 MiB less the header).
    package static let maxPayloadSize = 16 << 20 - headerSize

    static let lengthOffset = 0
    static let crcOffset = 4
    static let lsnOffset = 8
    static let typeOffset = 16

    /// The bytes a record with `payloadCount` bytes of payload occupies, padding included.
    package static func frameSize(payloadCount: Int) -> Int {
        alignUp(headerSize + payloadCount)
    }

    static func alignUp(_ value: Int) -> Int { (value + alignment - 1) & ~(alignment - 1) }

    /// Appends a frame whose checksum field is still zero; `seal` fills it in once the segment is known.
    static func append(lsn: LSN, type: UInt16, payload: UnsafeRawBufferPointer, to buffer: inout [UInt8]) {
        let length = headerSize + payload.count
        buffer.appendLE(UInt32(length))
        buffer.appendLE(UInt32(0))
        buffer.appendLE(lsn)
        buffer.appendLE(type)
        buffer.append(contentsOf: payload)
        let padding = alignUp(length) - length
        if padding > 0 { buffer.append(contentsOf: repeatElement(0, count: padding)) }
    }

    /// The checksum of the frame that starts `frame`, whose length field reads `length`, under `epoch`.
    static func checksum(of frame: UnsafeRawBufferPointer, length: Int, epoch: UInt64) -> UInt32 {
        var crc = CRC32C.extend(0, littleEndian: epoch)
        crc = CRC32C.extend(crc, UnsafeRawBufferPointer(rebasing: frame[0..<4]))
        return CRC32C.extend(crc, UnsafeRawBufferPointer(rebasing: frame[lsnOffset..<length]))
    }

    /// Writes the checksum of the frame at the start of `frame` for a segment with `epoch`.
    static func seal(_ frame: UnsafeMutableRawBufferPointer, epoch: UInt64) {
        let readable = UnsafeRawBufferPointer(frame)
        let length = Int(readable.readLE(UInt32.self, at: lengthOffset))
        frame.writeLE(checksum(of: readable, length: length, epoch: epoch), at: crcOffset)
    }
}

/// A record as read back from the log. `payload` is borrowed from the file mapping and valid only during
/// the call that hands it out; copy it (`Array(record.payload)`) to keep it.
package struct WALRecordView {
    package let lsn: LSN
    package let type: UInt16
    package let payload: UnsafeRawBufferPointer
}

/// Why a frame did not validate.
enum FrameDefect: String, Sendable {
    /// The length field is below the header size or runs past the end of the segment.
    case truncated = "truncated record"
    /// The checksum does not match.
    case checksum = "checksum mismatch"
    /// The LSN is not the one after the previous record.
    case lsnGap = "LSN gap"
}

/// The outcome of reading one frame at an offset.
enum FrameRead {
    /// Zero bytes where a length belongs: the written part of the segment ends here.
    case end
    case record(WALRecordView, frameSize: Int)
    case defect(FrameDefect)
}

extension RecordFrame {
    /// Reads the frame at `offset` of `segment`, expecting LSN `expected`.
    static func read(
        _ segment: UnsafeRawBufferPointer, at offset: Int, epoch: UInt64, expected: LSN
    ) -> FrameRead {
        guard segment.count - offset >= 4 else { return .end }
        let length = Int(segment.readLE(UInt32.self, at: offset + lengthOffset))
        if length == 0 { return .end }
        guard length >= headerSize, length <= segment.count - offset, length - headerSize <= maxPayloadSize else {
            return .defect(.truncated)
        }
        let frame = UnsafeRawBufferPointer(rebasing: segment[offset..<offset + length])
        guard frame.readLE(UInt32.self, at: crcOffset) == checksum(of: frame, length: length, epoch: epoch) else {
            return .defect(.checksum)
        }
        let lsn = frame.readLE(UInt64.self, at: lsnOffset)
        guard lsn == expected else { return .defect(.lsnGap) }
        let record = WALRecordView(
            lsn: lsn,
            type: frame.readLE(UInt16.self, at: typeOffset),
            payload: UnsafeRawBufferPointer(rebasing: frame[headerSize..<length])
        )
        return .record(record, frameSize: min(alignUp(length), segment.count - offset))
    }

    /// Whether a frame at `offset` validates under `epoch` with an LSN above `after`, whatever LSN exactly.
    /// Used to tell damage (valid records follow) from a torn tail (nothing valid follows).
    static func isValidFrame(_ segment: UnsafeRawBufferPointer, at offset: Int, epoch: UInt64, after: LSN) -> Bool {
        guard segment.count - offset >= headerSize else { return false }
        let length = Int(segment.readLE(UInt32.self, at: offset + lengthOffset))
        guard length >= headerSize, length <= segment.count - offset else { return false }
        let lsn = segment.readLE(UInt64.self, at: offset + lsnOffset)
        guard lsn > after, lsn - after < 1 << 40 else { return false }
        let frame = UnsafeRawBufferPointer(rebasing: segment[offset..<offset + length])
        return frame.readLE(UInt32.self, at: crcOffset) == checksum(of: frame, length: length, epoch: epoch)
    }
}
