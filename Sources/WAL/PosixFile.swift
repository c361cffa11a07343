#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension WALError {
    /// The error for a failed system call on `path`. ENOSPC and EDQUOT say that the disk is full.
    static func system(_ operation: String, path: String, errno code: Int32, fatal: Bool = false) -> WALError {
        let reason = String(cString: strerror(code))
        if code == ENOSPC || code == EDQUOT {
            return WALError(
                .diskFull,
                "disk full (\(code == ENOSPC ? "ENOSPC" : "EDQUOT"): \(reason)) during \(operation); the log has stopped "
                    + "and acknowledges nothing more",
                file: path, errno: code)
        }
        if fatal {
            return WALError(
                .writeFailed,
                "\(operation) failed (\(reason)); the log has stopped and acknowledges nothing more",
                file: path, errno: code)
        }
        return WALError(.io, "\(operation) failed (\(reason))", file: path, errno: code)
    }
}

/// Thin, throwing wrappers over the POSIX file calls the log needs.
enum PosixFile {
    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o600) throws(WALError) -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno != EINTR { throw .system("open", path: path, errno: errno) }
        }
    }

    static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    /// Opens `path` for writing, with O_DIRECT when asked and the file system supports it (tmpfs and some
    /// others refuse it with EINVAL; the buffered path is used there). Returns whether O_DIRECT is on.
    static func openForWriting(
        _ path: String, directIO: Bool, create: Bool = false
    ) throws(WALError)
        -> (fd: Int32, direct: Bool)
    {
        let flags = O_WRONLY | (create ? O_CREAT | O_TRUNC : 0)
        if directIO {
            let fd = Glibc.open(path, flags | O_DIRECT | O_CLOEXEC, 0o600)
            if fd >= 0 { return (fd, true) }
            if errno != EINVAL { throw .system("open", path: path, errno: errno) }
        }
        return (try open(path, flags), false)
    }

    /// Makes the directory entry changes (create, rename, unlink) inside `path` durable.
    static func syncDirectory(_ path: String) throws(WALError) {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        if fsync(fd) != 0 { throw .system("fsync of directory", path: path, errno: errno, fatal: true) }
    }

    static func syncFile(_ fd: Int32, path: String) throws(WALError) {
        if fsync(fd) != 0 { throw .system("fsync", path: path, errno: errno, fatal: true) }
    }

    /// Writes all of `bytes` at `offset`, resuming after short writes and EINTR.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int, path: String) throws(WALError) {
        var done = 0
        while done < bytes.count {
            let written = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if written < 0 {
                if errno == EINTR { continue }
                throw .system("write", path: path, errno: errno, fatal: true)
            }
            done += written
        }
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// The names in directory `path`, without "." and "..".
    static func list(_ path: String) throws(WALError) -> [String] {
        guard let dir = opendir(path) else { throw .system("opendir", path: path, errno: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func size(of fd: Int32, path: String) throws(WALError) -> Int {
        var info = stat()
        if fstat(fd, &info) != 0 { throw .system("fstat", path: path, errno: errno) }
        return Int(info.st_size)
    }

    /// Creates `path` (replacing it) as `size` bytes of written zeros and makes it durable. Written zeros,
    /// not a sparse or merely fallocated file: later data writes then change no file metadata, so each
    /// `fdatasync` flushes data only (measured here: about twice the commits per second). With direct I/O
    /// the zeros go straight to the disk without filling the page cache.
    static func createZeroFilled(_ path: String, size: Int, directIO: Bool) throws(WALError) {
        let (fd, _) = try openForWriting(path, directIO: directIO, create: true)
        defer { close(fd) }
        let fallocated = posix_fallocate(fd, 0, off_t(size))
        if fallocated == ENOSPC || fallocated == EDQUOT {
            throw .system(
                "the preallocation of a \(size >> 20) MiB log segment (\(size) bytes needed)", path: path,
                errno: fallocated, fatal: true)
        }
        let chunk = AlignedBuffer(capacity: 1 << 20)
        var offset = 0
        while offset < size {
            let count = min(chunk.capacity, size - offset)
            try writeAll(fd, chunk.bytes(0..<count), at: offset, path: path)
            offset += count
        }
        try syncFile(fd, path: path)
    }
}

/// A file mapped read-only into memory, for recovery and inspection.
final class MappedFile {
    let path: String
    let bytes: UnsafeRawBufferPointer

    init(path: String) throws(WALError) {
        self.path = path
        let fd = try PosixFile.open(path, O_RDONLY)
        defer { PosixFile.close(fd) }
        let size = try PosixFile.size(of: fd, path: path)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), address != MAP_FAILED else {
            throw .system("mmap", path: path, errno: errno)
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}

/// `O_DIRECT`, which Glibc's Swift module does not export (it is behind `_GNU_SOURCE`). Values from the
/// kernel's `asm/fcntl.h` for each architecture.
#if arch(arm64)
let O_DIRECT: Int32 = 0o200000
#else
let O_DIRECT: Int32 = 0o40000
#endif
