#if canImport(Glibc)
import Glibc
#endif

/// The process's open-files limit (`RLIMIT_NOFILE`), raised at start from its soft value to the hard one:
/// every connection is a descriptor, and the usual soft limit of 1,024 would cap the server far below what
/// the machine allows.
struct OpenFilesLimit: Sendable, Hashable {
    /// The soft limit before it was raised, and now.
    let before: Int
    let soft: Int

    /// Descriptors kept for the log, snapshots, key files and connections to providers.
    static let reservedDescriptors = 256

    /// Raises the soft limit to the hard one (as far as the kernel lets it), and says where it ended.
    static func raised() -> OpenFilesLimit {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            return OpenFilesLimit(before: 1024, soft: 1024)
        }
        let before = Int(clamping: limit.rlim_cur)
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return OpenFilesLimit(before: before, soft: Int(clamping: limit.rlim_cur))
    }

    /// The connection cap that leaves the reserved descriptors free (at least 16, at most 65,536).
    var connectionsItLeavesRoomFor: Int { min(65_536, max(16, soft - Self.reservedDescriptors)) }

    /// `open files 1024 → 524288` for the start-up line.
    var summary: String { before == soft ? "open files \(soft)" : "open files \(before) → \(soft)" }
}
