#if canImport(Glibc)
import Glibc
#endif

/// The device a log writes with, and why it was chosen.
package struct DeviceChoice: Sendable, CustomStringConvertible {
    /// `.uring` or `.pwrite`, never `.automatic`.
    package let backend: LogBackend
    package let reason: String

    package var description: String { "\(backend.rawValue) (\(reason))" }
}

/// Chooses the faster device for `LogBackend.automatic` by measuring both on this disk at open: a few commits
/// of one 4 KiB block each — a write and an `fdatasync`, as the log's workers issue them — in a scratch file of
/// the log's directory, alternating between the devices, the median of each compared. io_uring is the faster
/// on some kernels and disks and not on others (on this project's test machine `pwrite` is, since io_uring runs
/// the sync on a kernel worker); measuring is the only way to know.
enum DeviceProbe {
    static let fileName = "wal-probe.tmp"
    static let rounds = 16

    /// The device `backend` stands for in `directory`: itself unless `.automatic`, else the faster by measurement.
    static func choose(_ backend: LogBackend, directory: String, directIO: Bool) -> DeviceChoice {
        switch backend {
        case .uring, .pwrite:
            return DeviceChoice(backend: backend, reason: "configured")
        case .automatic:
            break
        }
        let uring: UringDevice
        do { uring = try UringDevice() } catch {
            return DeviceChoice(
                backend: .pwrite, reason: "io_uring is not available: \(String(cString: strerror(error.errno)))")
        }
        let path = directory + "/" + fileName
        defer { unlink(path) }
        do throws(WALError) {
            let (uringMedian, pwriteMedian) = try measure(
                uring: uring, pwrite: PwriteDevice(), path: path, directIO: directIO)
            let figures =
                "median commit: io_uring \(microseconds(uringMedian)) µs, pwrite \(microseconds(pwriteMedian)) µs "
                + "over \(rounds) probes"
            return DeviceChoice(backend: uringMedian < pwriteMedian ? .uring : .pwrite, reason: figures)
        } catch {
            return DeviceChoice(
                backend: .pwrite, reason: "the probe failed (\(error.message)); pwrite is the portable one")
        }
    }

    /// The median nanoseconds per commit of each device.
    private static func measure(
        uring: UringDevice, pwrite: PwriteDevice, path: String, directIO: Bool
    ) throws(WALError) -> (uring: UInt64, pwrite: UInt64) {
        let blocks = 16
        try PosixFile.createZeroFilled(path, size: blocks * AlignedBuffer.alignment, directIO: directIO)
        let (fd, _) = try PosixFile.openForWriting(path, directIO: directIO)
        defer { PosixFile.close(fd) }
        let block = AlignedBuffer(capacity: AlignedBuffer.alignment)
        block.base.initializeMemory(as: UInt8.self, repeating: 0x5A, count: AlignedBuffer.alignment)
        let bytes = block.bytes(0..<AlignedBuffer.alignment)
        var timings: (uring: [UInt64], pwrite: [UInt64]) = ([], [])
        // Round 0 warms both up and is not counted; the order alternates so that neither always goes first.
        for round in 0...rounds {
            let order: [any LogDevice] = round % 2 == 0 ? [uring, pwrite] : [pwrite, uring]
            for device in order {
                let start = MonotonicClock.nanoseconds()
                do {
                    try device.write(fd: fd, bytes: bytes, offset: (round % blocks) * bytes.count, sync: false)
                    try device.sync(fd: fd)
                } catch {
                    throw WALError.system(error.operation, path: path, errno: error.errno, fatal: false)
                }
                let elapsed = MonotonicClock.nanoseconds() - start
                guard round > 0 else { continue }
                if device === uring { timings.uring.append(elapsed) } else { timings.pwrite.append(elapsed) }
            }
        }
        return (median(timings.uring), median(timings.pwrite))
    }

    private static func median(_ values: [UInt64]) -> UInt64 { values.sorted()[values.count / 2] }

    private static func microseconds(_ nanoseconds: UInt64) -> Int { Int(nanoseconds / 1_000) }
}
