import Foundation
import Store

/// One server per embedded database: `flowgate serve` holds an exclusive `flock` on
/// `<data-dir>/serve.lock` for as long as it runs, and a second server on the same folder
/// stops at start with the first one's process id. Two servers on one SQLite file would each
/// run the scheduler, and each would keep caches (``WorkflowReadCache``) the other's writes
/// never invalidate. The kernel drops the lock when the process ends, however it ends; the
/// descriptor is close-on-exec, so jq workers never inherit it.
public final class DataDirectoryLock: Sendable {
    private let descriptor: Int32
    /// The lock file's path.
    public let path: String

    /// Takes the lock, creating the folder (mode 0700) and the file when missing.
    public init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let path = URL(fileURLWithPath: directory).appendingPathComponent("serve.lock").path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StoreError.configuration("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno == EWOULDBLOCK ? nil : String(cString: strerror(errno))
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
            close(fd)
            if let reason { throw StoreError.configuration("cannot lock \(path): \(reason)") }
            let holder = String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw StoreError.configuration(
                "another flowgate server\(holder.isEmpty ? "" : " (pid \(holder))") is serving the data folder \(directory); "
                    + "one server per embedded database (use PostgreSQL, --database-url, to run several)"
            )
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        self.descriptor = fd
        self.path = path
    }

    deinit {
        close(descriptor)
    }
}
