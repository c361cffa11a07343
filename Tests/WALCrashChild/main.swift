import WAL

// A child process for the crash tests: opens (recovering) the log in the directory it is given, appends
// records from several concurrent producers, and after each acknowledgement writes the record's LSN on a
// line of the output file with one write(2), so that a line is there only if the append was acknowledged.
// The parent kills it with SIGKILL at a random moment and checks that every printed LSN was recovered.
//
// Usage: WALCrashChild <log directory> <uring|pwrite> <direct|buffered> <output file>
#if canImport(Glibc)
import Glibc
#endif

let arguments = CommandLine.arguments
guard arguments.count == 5, let backend = LogBackend(rawValue: arguments[2]) else {
    print("usage: WALCrashChild <log directory> <uring|pwrite> <direct|buffered> <output file>")
    exit(2)
}
let output = open(arguments[4], O_WRONLY | O_CREAT | O_APPEND, 0o644)
guard output >= 0 else {
    perror("open output")
    exit(2)
}

/// A payload that checks itself: its size and bytes follow from the producer and sequence it starts with.
func crashPayload(producer: Int, sequence: Int) -> [UInt8] {
    let size = 12 + (producer * 131 + sequence * 17) % 1500
    var bytes = [UInt8](repeating: 0, count: size)
    withUnsafeBytes(of: UInt32(producer).littleEndian) { bytes.replaceSubrange(0..<4, with: $0) }
    withUnsafeBytes(of: UInt32(sequence).littleEndian) { bytes.replaceSubrange(4..<8, with: $0) }
    for index in 8..<size { bytes[index] = UInt8(truncatingIfNeeded: index &* 13 &+ sequence &+ producer) }
    return bytes
}

var configuration = WALConfiguration(directory: arguments[1])
configuration.backend = backend
configuration.directIO = arguments[3] == "direct"
configuration.segmentSizeBytes = 256 << 10
let log = try WriteAheadLog.open(configuration)

let producers = 8
// Bounded: the child stops by itself if nobody kills it.
let recordsPerProducer = 20_000
await withTaskGroup(of: Void.self) { group in
    for producer in 0..<producers {
        group.addTask {
            for sequence in 0..<recordsPerProducer {
                guard
                    let lsn = try? await log.append(
                        type: 1, payload: crashPayload(producer: producer, sequence: sequence))
                else { return }
                let line = Array("\(lsn)\n".utf8)
                _ = line.withUnsafeBytes { write(output, $0.baseAddress, $0.count) }
            }
        }
    }
}
await log.close()
