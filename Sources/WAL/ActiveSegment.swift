#if canImport(Glibc)
import Glibc
#endif

/// The segment the writer appends to. Owned by the writer thread.
final class ActiveSegment {
    let fd: Int32
    let path: String
    let header: SegmentHeader
    /// Where the next frame goes.
    var writeOffset: Int

    init(fd: Int32, path: String, header: SegmentHeader, writeOffset: Int) {
        self.fd = fd
        self.path = path
        self.header = header
        self.writeOffset = writeOffset
    }

    var capacity: Int { Int(header.segmentSizeBytes) }
    var remaining: Int { capacity - writeOffset }

    /// Opens an existing segment to continue after its last valid record.
    static func reopen(path: String, header: SegmentHeader, endOffset: Int) throws(WALError) -> ActiveSegment {
        let fd = try PosixFile.open(path, O_WRONLY)
        return ActiveSegment(fd: fd, path: path, header: header, writeOffset: endOffset)
    }

    func close() { PosixFile.close(fd) }
}
