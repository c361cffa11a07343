import Foundation
import Testing

@testable import WAL

/// A log device and write path: every parameterized log test runs with each.
struct DeviceSetup: Sendable, CustomTestStringConvertible {
    let backend: LogBackend
    let directIO: Bool

    var testDescription: String { "\(backend.rawValue)\(directIO ? "+direct" : "+buffered")" }
}

/// Both devices, each with direct and buffered writes.
let allDevices: [DeviceSetup] = [
    DeviceSetup(backend: .pwrite, directIO: true), DeviceSetup(backend: .uring, directIO: true),
    DeviceSetup(backend: .pwrite, directIO: false), DeviceSetup(backend: .uring, directIO: false),
]

/// A fresh directory under the system's temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init(_ label: String = "wal") {
        var template = Array("\(NSTemporaryDirectory())/tessera-\(label)-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { buffer in
            guard let created = mkdtemp(buffer.baseAddress!) else { preconditionFailure("mkdtemp failed") }
            return String(cString: created)
        }
    }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// A small segment size so that tests cross segment boundaries quickly.
func testConfiguration(
    _ directory: TemporaryDirectory, backend: LogBackend, directIO: Bool = true,
    segmentSizeBytes: Int = 1 << 20
) -> WALConfiguration {
    var configuration = WALConfiguration(directory: directory.path)
    configuration.backend = backend
    configuration.directIO = directIO
    configuration.segmentSizeBytes = segmentSizeBytes
    return configuration
}

/// A record as the tests compare them.
struct StoredRecord: Equatable, CustomStringConvertible {
    let lsn: LSN
    let type: UInt16
    let payload: [UInt8]

    var description: String { "#\(lsn) type \(type) \(payload.count) bytes" }
}

/// Opens the log, collecting every replayed record.
func openCollecting(_ configuration: WALConfiguration, after: LSN = 0) throws -> (WriteAheadLog, [StoredRecord]) {
    var records: [StoredRecord] = []
    let log = try WriteAheadLog.open(configuration, after: after) { record in
        records.append(StoredRecord(lsn: record.lsn, type: record.type, payload: Array(record.payload)))
    }
    return (log, records)
}

/// A deterministic payload for record number `index`: its size varies, its bytes depend on the index.
func payload(for index: Int, size: Int) -> [UInt8] {
    (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index &* 7) }
}

/// The segment files of a directory, oldest first.
func segmentPaths(_ directory: TemporaryDirectory) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory.path)
        .filter { SegmentName.firstLSN(of: $0) != nil }
        .sorted()
        .map { directory.file($0) }
}
