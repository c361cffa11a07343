import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A second ceiling, past SwiftNIO's own: nginx (Debian's `nginx-light`) answering every request with the same
/// body (`return 200`), as many workers as Tessera has event loops. Started only when `/usr/sbin/nginx` is
/// installed; its configuration, pid and logs live in a temporary folder, and it is stopped after the run.
final class NginxCeiling: Sendable {
    static let binary = "/usr/sbin/nginx"

    let port: Int
    private let process: Process
    private let folder: String

    /// Nginx answering `body`, or nil when nginx is not installed or the body cannot be said in its `return`.
    static func start(workers: Int, body: String) throws -> NginxCeiling? {
        guard FileManager.default.isExecutableFile(atPath: binary), !body.contains("$"), !body.contains("'"),
            !body.contains("\\")
        else { return nil }
        var template = Array("\(NSTemporaryDirectory())/tessera-nginx-XXXXXX".utf8CString)
        let folder = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        let port = try freePort()
        let configuration = """
            daemon off;
            master_process on;
            worker_processes \(workers);
            pid \(folder)/nginx.pid;
            error_log \(folder)/error.log warn;
            events { worker_connections 4096; }
            http {
                access_log off;
                client_body_temp_path \(folder)/body;
                proxy_temp_path \(folder)/proxy;
                fastcgi_temp_path \(folder)/fastcgi;
                uwsgi_temp_path \(folder)/uwsgi;
                scgi_temp_path \(folder)/scgi;
                keepalive_requests 1000000;
                server {
                    listen 127.0.0.1:\(port) backlog=256;
                    location / {
                        default_type application/json;
                        return 200 '\(body)';
                    }
                }
            }

            """
        try configuration.write(toFile: folder + "/nginx.conf", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["-c", folder + "/nginx.conf", "-p", folder]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Bounded: until the port accepts, or the process is gone.
        for _ in 0..<2_000 where process.isRunning {
            if canConnect(port) { return NginxCeiling(port: port, process: process, folder: folder) }
            usleep(5_000)
        }
        process.terminate()
        return nil
    }

    private init(port: Int, process: Process, folder: String) {
        self.port = port
        self.process = process
        self.folder = folder
    }

    /// Stops nginx (SIGQUIT: workers finish what they serve) and removes its folder.
    func stop() {
        kill(process.processIdentifier, SIGQUIT)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: folder)
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw CocoaError(.fileWriteUnknown) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func canConnect(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
