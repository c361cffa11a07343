import CLiburing

#if canImport(Glibc)
import Glibc
#endif

/// The io_uring device: one write linked to one `fdatasync`, submitted together and reaped together, so a
/// commit costs one system call. A short write cancels the linked sync; the rest is then resubmitted.
final class UringDevice: LogDevice {
    let name = "uring"
    private var ring = io_uring()

    private static let writeTag: UInt64 = 1
    private static let syncTag: UInt64 = 2

    init() throws(DeviceFailure) {
        let result = io_uring_queue_init(8, &ring, 0)
        if result < 0 { throw DeviceFailure(operation: "io_uring_queue_init", errno: -result) }
    }

    deinit { io_uring_queue_exit(&ring) }

    func write(fd: Int32, bytes: UnsafeRawBufferPointer, offset: Int, sync: Bool) throws(DeviceFailure) {
        var done = 0
        while done < bytes.count {
            let remaining = bytes.count - done
            let writeEntry = nextEntry()
            io_uring_prep_write(
                writeEntry, fd, bytes.baseAddress! + done, UInt32(min(remaining, Int(Int32.max))),
                UInt64(offset + done))
            writeEntry.pointee.user_data = Self.writeTag
            if sync {
                writeEntry.pointee.flags |= tessera_iosqe_io_link()
                prepareSync(fd: fd)
            }
            let (written, syncResult) = try submit(expecting: sync ? 2 : 1)
            if written < 0 { throw DeviceFailure(operation: "write", errno: -written) }
            if written == 0 { throw DeviceFailure(operation: "write", errno: EIO) }
            done += Int(written)
            if done == bytes.count, sync, let syncResult, syncResult < 0 {
                throw DeviceFailure(operation: "fdatasync", errno: -syncResult)
            }
            // A short write: the linked sync was cancelled; the loop writes the rest and syncs again.
        }
        if bytes.isEmpty && sync { try self.sync(fd: fd) }
    }

    func sync(fd: Int32) throws(DeviceFailure) {
        prepareSync(fd: fd)
        let (_, result) = try submit(expecting: 1)
        if let result, result < 0 { throw DeviceFailure(operation: "fdatasync", errno: -result) }
    }

    private func prepareSync(fd: Int32) {
        let entry = nextEntry()
        io_uring_prep_fsync(entry, fd, UInt32(IORING_FSYNC_DATASYNC))
        entry.pointee.user_data = Self.syncTag
    }

    private func nextEntry() -> UnsafeMutablePointer<io_uring_sqe> {
        // The ring has 8 entries and a commit uses at most 2, all reaped before the next commit.
        guard let entry = io_uring_get_sqe(&ring) else { preconditionFailure("io_uring submission queue full") }
        return entry
    }

    /// Submits what is prepared, waits for `count` completions, and returns the write's and the sync's results.
    private func submit(expecting count: Int) throws(DeviceFailure) -> (write: Int32, sync: Int32?) {
        var submitted = io_uring_submit_and_wait(&ring, UInt32(count))
        while submitted == -EINTR { submitted = io_uring_submit_and_wait(&ring, UInt32(count)) }
        if submitted < 0 { throw DeviceFailure(operation: "io_uring_submit", errno: -submitted) }
        var writeResult: Int32 = 0
        var syncResult: Int32?
        for _ in 0..<count {
            var completion: UnsafeMutablePointer<io_uring_cqe>?
            var waited = io_uring_wait_cqe(&ring, &completion)
            while waited == -EINTR { waited = io_uring_wait_cqe(&ring, &completion) }
            guard waited == 0, let completion else { throw DeviceFailure(operation: "io_uring_wait", errno: -waited) }
            if completion.pointee.user_data == Self.writeTag {
                writeResult = completion.pointee.res
            } else {
                syncResult = completion.pointee.res
            }
            io_uring_cqe_seen(&ring, completion)
        }
        return (writeResult, syncResult)
    }
}
