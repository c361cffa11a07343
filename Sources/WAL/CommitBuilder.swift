/// One write of a commit: a range of the staging buffer, written to one segment at one offset.
struct CommitPiece: Sendable {
    let fd: Int32
    let path: String
    let range: Range<Int>
    let fileOffset: Int
    /// `fdatasync` after the write.
    let sync: Bool
    /// The segment is full: close its descriptor once this piece is written and synced.
    let closesSegment: Bool
}

/// A laid-out commit: the pieces the writer writes in order.
struct Commit {
    let buffer: AlignedBuffer
    let pieces: [CommitPiece]
    let records: Int
    let bytes: Int

    /// Whether a piece closes a full segment (whose descriptor no sync may then be using).
    var retiresSegment: Bool { pieces.contains { $0.closesSegment } }
}

/// Lays out a commit in a staging buffer: frames copied in and sealed with the epoch of the segment they land
/// in, one piece per segment. Used by the worker that holds the log's write turn.
///
/// With direct I/O a piece starts at a block boundary of the buffer with the segment's partial last block
/// (its `tail`) and ends zero-padded to a block boundary, so that the write covers whole blocks.
final class CommitBuilder {
    let buffer: AlignedBuffer
    private(set) var records = 0
    private(set) var bytes = 0
    private var pieces: [CommitPiece] = []
    /// The end of what is laid out in `buffer`.
    private var used = 0
    private var open: (segment: ActiveSegment, start: Int, fileOffset: Int)?

    init(buffer: AlignedBuffer) { self.buffer = buffer }

    /// Starts the next commit in the same buffer, keeping the capacity of what the last one used: the
    /// previous `Commit` must no longer be in use.
    func reset() {
        records = 0
        bytes = 0
        pieces.removeAll(keepingCapacity: true)
        used = 0
        open = nil
    }

    var isEmpty: Bool { records == 0 }

    /// Adds the frames of `batch` (LSNs from `firstLSN`), moving to a new segment (from `rotate`) whenever
    /// a frame does not fit in the current one.
    func append(
        _ batch: inout [UInt8], firstLSN: LSN, segment: inout ActiveSegment,
        rotate: (LSN) throws(WALError) -> ActiveSegment
    ) throws(WALError) {
        var failure: WALError?
        batch.withUnsafeBytes { frames in
            var offset = 0
            var lsn = firstLSN
            while offset < frames.count {
                let frameSize = RecordFrame.alignUp(Int(frames.readLE(UInt32.self, at: offset)))
                if segment.writeOffset + frameSize > segment.capacity {
                    retire(segment)
                    do throws(WALError) { segment = try rotate(lsn) } catch {
                        failure = error
                        return
                    }
                }
                if open == nil { openPiece(segment) }
                buffer.grow(to: used + frameSize + AlignedBuffer.alignment, keeping: used)
                let destination = buffer.base + used
                destination.copyMemory(from: frames.baseAddress! + offset, byteCount: frameSize)
                RecordFrame.seal(
                    UnsafeMutableRawBufferPointer(start: destination, count: frameSize),
                    epoch: segment.header.epoch)
                used += frameSize
                segment.writeOffset += frameSize
                offset += frameSize
                records += 1
                bytes += frameSize
                lsn += 1
            }
        }
        if let failure { throw failure }
    }

    /// Closes the layout and returns the commit. Its last piece is not synced: the log's syncs run beside
    /// the writes.
    func finish() -> Commit {
        closePiece(sync: false, closesSegment: false)
        return Commit(buffer: buffer, pieces: pieces, records: records, bytes: bytes)
    }

    /// Ends the full `segment`: its last piece (or, when this commit wrote nothing to it, an empty one) is
    /// synced and closes its descriptor.
    private func retire(_ segment: ActiveSegment) {
        if open != nil {
            closePiece(sync: true, closesSegment: true)
        } else {
            pieces.append(
                CommitPiece(
                    fd: segment.fd, path: segment.path, range: used..<used,
                    fileOffset: segment.writeOffset, sync: true, closesSegment: true))
        }
    }

    private func openPiece(_ segment: ActiveSegment) {
        if segment.direct {
            let start = AlignedBuffer.alignUp(used)
            let tailCount = segment.tail.count
            buffer.grow(to: start + tailCount + AlignedBuffer.alignment, keeping: used)
            segment.tail.withUnsafeBytes { tail in
                if tailCount > 0 { (buffer.base + start).copyMemory(from: tail.baseAddress!, byteCount: tailCount) }
            }
            open = (segment, start, AlignedBuffer.alignDown(segment.writeOffset))
            used = start + tailCount
        } else {
            open = (segment, used, segment.writeOffset)
        }
    }

    private func closePiece(sync: Bool, closesSegment: Bool) {
        guard let (segment, start, fileOffset) = open else { return }
        open = nil
        var end = used
        if segment.direct {
            end = start + AlignedBuffer.alignUp(used - start)
            (buffer.base + used).initializeMemory(as: UInt8.self, repeating: 0, count: end - used)
            let tailStart = start + AlignedBuffer.alignDown(used - start)
            segment.tail = Array(buffer.bytes(tailStart..<used))
        }
        pieces.append(
            CommitPiece(
                fd: segment.fd, path: segment.path, range: start..<end, fileOffset: fileOffset,
                sync: sync || closesSegment, closesSegment: closesSegment))
        used = end
    }
}
