import Testing

@testable import WAL

#if canImport(Glibc)
import Glibc
#endif

@Suite("The automatic log device is the faster one, measured at open")
struct DeviceProbeTests {
    @Test("automatic picks the device with the lower median commit, says both figures, and leaves no probe file")
    func automaticMeasures() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try WriteAheadLog.open(testConfiguration(directory, backend: .automatic))
        let choice = log.device
        #expect(choice.backend != .automatic)
        if (try? UringDevice()) != nil {
            // "median commit: io_uring <u> µs, pwrite <p> µs over 16 probes"
            let figures = choice.reason.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            try #require(figures.count == 3, "the reason gives both medians: \(choice.reason)")
            let (uring, pwrite) = (figures[0], figures[1])
            if uring != pwrite { #expect(choice.backend == (uring < pwrite ? .uring : .pwrite), "\(choice)") }
        } else {
            #expect(choice.backend == .pwrite)
            #expect(choice.reason.contains("io_uring is not available"))
        }
        #expect(!PosixFile.exists(directory.path + "/" + DeviceProbe.fileName))
        // The log works with the device chosen.
        try await log.append(type: 1, payload: [1, 2, 3])
        await log.close()
    }

    @Test("a configured device is used as configured, without a probe", arguments: [LogBackend.pwrite, .uring])
    func configuredIsKept(backend: LogBackend) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try WriteAheadLog.open(testConfiguration(directory, backend: backend))
        #expect(log.device.backend == backend)
        #expect(log.device.reason == "configured")
        await log.close()
    }
}
