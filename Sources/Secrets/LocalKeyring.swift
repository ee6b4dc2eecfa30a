import Crypto
import Foundation
import JSON
import Synchronization

/// The default key provider: key-encryption keys in a file under the data folder (mode 0600),
/// created on first start. Rotation adds a key and makes it active; older keys stay to unwrap
/// what they wrapped until everything is rewrapped.
public final class LocalKeyring: KeyProvider {
    public var name: String { "local keyring" }
    private let path: String
    private struct Keys {
        var active: String
        var keys: [String: SymmetricKey]
        /// The file's modification time and size when read, to notice another process's rotation.
        var stamp: FileStamp? = nil
    }
    struct FileStamp: Equatable, Sendable {
        var seconds: Int
        var nanoseconds: Int
        var size: Int64
    }
    private let keys: Mutex<Keys>

    /// Opens the keyring at `path`, creating it with one fresh key when missing.
    public init(path: String) throws {
        self.path = path
        if FileManager.default.fileExists(atPath: path) {
            var loaded = try LocalKeyring.load(path)
            loaded.stamp = LocalKeyring.stamp(path)
            keys = Mutex(loaded)
        } else {
            let id = LocalKeyring.newKeyID()
            var initial = Keys(active: id, keys: [id: SymmetricKey(size: .bits256)])
            try LocalKeyring.save(initial, to: path)
            initial.stamp = LocalKeyring.stamp(path)
            keys = Mutex(initial)
        }
    }

    static func stamp(_ path: String) -> FileStamp? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileStamp(seconds: Int(info.st_mtim.tv_sec), nanoseconds: Int(info.st_mtim.tv_nsec), size: Int64(info.st_size))
    }

    /// Rereads the file when another process (`flowgate secrets rotate-kek`) changed it, so a
    /// running server wraps with the new active key and can unwrap what was rewrapped.
    private func refreshIfChanged() throws {
        let current = LocalKeyring.stamp(path)
        let known = keys.withLock { $0.stamp }
        guard current != known else { return }
        var fresh = try LocalKeyring.load(path)
        fresh.stamp = current
        keys.withLock { $0 = fresh }
    }

    static func newKeyID() -> String {
        "k" + String(UInt64.random(in: 0 ... .max), radix: 36)
    }

    private static func load(_ path: String) throws -> Keys {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let json = try? JSONValue.parse(Array(data)), let active = json["active"]?.stringValue,
              let stored = json["keys"]?.objectValue
        else { throw SecretsError.keyProvider("keyring \(path) is unreadable") }
        var keys: [String: SymmetricKey] = [:]
        for (id, value) in stored {
            guard let b64 = value.stringValue, let bytes = Data(base64Encoded: b64), bytes.count == 32 else {
                throw SecretsError.keyProvider("keyring \(path) has a malformed key \(id)")
            }
            keys[id] = SymmetricKey(data: bytes)
        }
        guard keys[active] != nil else { throw SecretsError.keyProvider("keyring \(path) names a missing active key") }
        return Keys(active: active, keys: keys)
    }

    /// Writes atomically: a new file with mode 0600, then rename over the old one.
    private static func save(_ keys: Keys, to path: String) throws {
        let json: JSONValue = [
            "active": .string(keys.active),
            "keys": .object(keys.keys.mapValues { .string(Data($0.bytes).base64EncodedString()) }),
        ]
        let temporary = path + ".tmp"
        let fd = Foundation.open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw SecretsError.keyProvider("cannot write keyring \(path)") }
        let bytes = json.serializedBytes()
        let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        fchmod(fd, 0o600)
        fsync(fd)
        Foundation.close(fd)
        guard written == bytes.count, rename(temporary, path) == 0 else { throw SecretsError.keyProvider("cannot write keyring \(path)") }
    }

    static func aad(_ tenant: String, _ keyID: String) -> [UInt8] { Array("flowgate-dek|\(tenant)|\(keyID)".utf8) }

    public func wrap(_ dataKey: [UInt8], tenant: String) async throws -> String {
        try refreshIfChanged()
        let (id, key) = keys.withLock { ($0.active, $0.keys[$0.active]) }
        guard let key else { throw SecretsError.keyProvider("active key missing") }
        let sealed = try Envelope.seal(dataKey, dataKey: key, associatedData: LocalKeyring.aad(tenant, id))
        return "local:\(id):\(sealed)"
    }

    public func unwrap(_ wrapped: String, tenant: String) async throws -> [UInt8] {
        let parts = wrapped.split(separator: ":", maxSplits: 2).map(String.init)
        guard parts.count == 3, parts[0] == "local" else { throw SecretsError.keyProvider("not a local keyring wrapping") }
        try refreshIfChanged()
        guard let key = keys.withLock({ $0.keys[parts[1]] }) else {
            throw SecretsError.keyProvider("key \(parts[1]) is not in the keyring")
        }
        return try Envelope.open(parts[2], dataKey: key, associatedData: LocalKeyring.aad(tenant, parts[1]), what: "data key")
    }

    public func rotate() async throws {
        let updated = try keys.withLock { current -> Keys in
            var next = current
            let id = LocalKeyring.newKeyID()
            next.keys[id] = SymmetricKey(size: .bits256)
            next.active = id
            try LocalKeyring.save(next, to: path)
            next.stamp = LocalKeyring.stamp(path)
            current = next
            return next
        }
        _ = updated
    }

    /// The active key id (for tests and status output).
    public var activeKeyID: String { keys.withLock { $0.active } }

    /// Drops every key but the active one, once all data keys were rewrapped.
    public func retireInactiveKeys() throws {
        try keys.withLock { current in
            var next = current
            next.keys = next.keys.filter { $0.key == next.active }
            try LocalKeyring.save(next, to: path)
            next.stamp = LocalKeyring.stamp(path)
            current = next
        }
    }
}
