#if canImport(Glibc)
import Glibc
#endif

/// A failed system call, as a log device reports it.
package struct DeviceFailure: Error, Sendable, Hashable {
    /// "write" or "fdatasync".
    package let operation: String
    /// The operating system's error number.
    package let errno: Int32

    package init(operation: String, errno: Int32) {
        self.operation = operation
        self.errno = errno
    }
}

/// How the group-commit writer puts bytes on disk. The seam where tests inject torn writes, fsync failures and
/// a full disk. A device is created on, and used only by, one worker thread of the log.
package protocol LogDevice: AnyObject {
    /// A short name for logs and benchmarks ("uring", "pwrite").
    var name: String { get }

    /// Writes all of `bytes` to `fd` at `offset` (resuming after short writes) and, when `sync` is true,
    /// makes them durable with `fdatasync` before returning. Either everything succeeded or it throws.
    func write(fd: Int32, bytes: UnsafeRawBufferPointer, offset: Int, sync: Bool) throws(DeviceFailure)

    /// `fdatasync(fd)`.
    func sync(fd: Int32) throws(DeviceFailure)
}

/// Which device the log uses.
package enum LogBackend: String, Sendable, CaseIterable {
    /// Whichever of the two is faster on this disk, measured when the log opens (`pwrite` when the kernel does
    /// not allow io_uring, as containers often do not).
    case automatic
    /// io_uring; opening the log fails when it is not available.
    case uring
    /// `pwrite` + `fdatasync`.
    case pwrite

    /// The backend named by `TESSERA_WAL_BACKEND` (`uring`, `pwrite`, `automatic`), or `.automatic`.
    package static func fromEnvironment() -> LogBackend {
        guard let value = getenv("TESSERA_WAL_BACKEND") else { return .automatic }
        return LogBackend(rawValue: String(cString: value)) ?? .automatic
    }

    /// Creates the device; called on the worker thread that will use it.
    func makeDevice() throws(WALError) -> any LogDevice {
        switch self {
        case .pwrite:
            return PwriteDevice()
        case .uring:
            do { return try UringDevice() } catch {
                throw WALError(
                    .invalidConfiguration,
                    "io_uring is not available (\(String(cString: strerror(error.errno))))",
                    errno: error.errno)
            }
        case .automatic:
            return (try? UringDevice()) ?? PwriteDevice()
        }
    }
}
