#if canImport(Glibc)
import Glibc
#endif

/// The segment the log appends to. Used by whichever worker holds the write turn.
///
/// With direct I/O every write covers whole 4 KiB blocks: it starts at the block holding `writeOffset`,
/// rewriting the bytes already there (`tail`, kept in memory) and ends zero-padded at a block boundary. The
/// rewritten bytes are identical to what the disk holds, so a torn block write cannot corrupt them.
final class ActiveSegment {
    let fd: Int32
    let path: String
    let header: SegmentHeader
    /// Whether the file is open with O_DIRECT.
    let direct: Bool
    /// Where the next frame goes.
    var writeOffset: Int
    /// With direct I/O: the bytes of the last, partly filled block, from its start up to `writeOffset`.
    var tail: [UInt8]

    init(fd: Int32, path: String, header: SegmentHeader, direct: Bool, writeOffset: Int, tail: [UInt8] = []) {
        self.fd = fd
        self.path = path
        self.header = header
        self.direct = direct
        self.writeOffset = writeOffset
        self.tail = tail
    }

    var capacity: Int { Int(header.segmentSizeBytes) }
    var remaining: Int { capacity - writeOffset }

    /// Opens an existing segment to continue after its last valid record.
    static func reopen(
        path: String, header: SegmentHeader, endOffset: Int, directIO: Bool
    ) throws(WALError)
        -> ActiveSegment
    {
        let (fd, direct) = try PosixFile.openForWriting(path, directIO: directIO)
        var tail: [UInt8] = []
        let blockStart = AlignedBuffer.alignDown(endOffset)
        if direct && blockStart < endOffset {
            do throws(WALError) {
                let file = try MappedFile(path: path)
                tail = Array(file.bytes[blockStart..<endOffset])
            } catch {
                PosixFile.close(fd)
                throw error
            }
        }
        return ActiveSegment(fd: fd, path: path, header: header, direct: direct, writeOffset: endOffset, tail: tail)
    }

    func close() { PosixFile.close(fd) }
}
