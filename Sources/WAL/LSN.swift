/// A log sequence number: the position of a record in the log. The first record ever written has LSN 1,
/// and every record after it has the LSN of the one before plus one. LSN 0 means "nothing", as in
/// "replay everything after LSN 0".
public typealias LSN = UInt64
