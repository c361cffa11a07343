#if canImport(Glibc)
import Glibc
#endif

/// The portable device: `pwrite` in a loop, then `fdatasync`.
final class PwriteDevice: LogDevice {
    let name = "pwrite"

    func write(fd: Int32, bytes: UnsafeRawBufferPointer, offset: Int, sync: Bool) throws(DeviceFailure) {
        var done = 0
        while done < bytes.count {
            let written = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if written < 0 {
                if errno == EINTR { continue }
                throw DeviceFailure(operation: "write", errno: errno)
            }
            if written == 0 { throw DeviceFailure(operation: "write", errno: EIO) }
            done += written
        }
        if sync { try self.sync(fd: fd) }
    }

    func sync(fd: Int32) throws(DeviceFailure) {
        while fdatasync(fd) != 0 {
            if errno != EINTR { throw DeviceFailure(operation: "fdatasync", errno: errno) }
        }
    }
}
