#if canImport(Glibc)
import Glibc
#endif

/// The disk's own ceiling for the log's work: one thread, `batch` records written as one contiguous `pwrite`
/// into a preallocated, zero-filled file, then `fdatasync`, in a loop. The file is reused from its start
/// when full, so the loop never pays for allocation: the best case a log could hope for.
struct RawDiskLoop {
    let path: String
    let fileSizeBytes: Int
    let recordSizeBytes: Int

    struct Result {
        var records = 0
        var seconds = 0.0
        var latency = LatencyHistogram()
    }

    func prepare() throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BenchError("cannot create \(path): errno \(errno)") }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0, count: 1 << 20)
        var offset = 0
        while offset < fileSizeBytes {
            guard chunk.withUnsafeBytes({ pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }) == chunk.count else {
                throw BenchError("cannot zero-fill \(path): errno \(errno)")
            }
            offset += chunk.count
        }
        guard fsync(fd) == 0 else { throw BenchError("fsync \(path): errno \(errno)") }
    }

    /// Runs the loop for `seconds`; every record of a commit counts the commit's duration as its latency.
    func run(batch: Int, seconds: Double) throws -> Result {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BenchError("cannot open \(path): errno \(errno)") }
        defer { close(fd) }
        let block = [UInt8](repeating: 0xA5, count: batch * recordSizeBytes)
        var result = Result()
        var offset = 0
        let start = monotonicNanoseconds()
        let end = start + UInt64(seconds * 1e9)
        var now = start
        while now < end {
            if offset + block.count > fileSizeBytes { offset = 0 }
            let written = block.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
            guard written == block.count, fdatasync(fd) == 0 else {
                throw BenchError("raw write failed: errno \(errno)")
            }
            offset += block.count
            let finished = monotonicNanoseconds()
            result.latency.record(nanoseconds: finished - now, count: batch)
            result.records += batch
            now = finished
        }
        result.seconds = Double(now - start) / 1e9
        return result
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
