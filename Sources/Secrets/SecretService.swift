import Crypto
import Foundation
import JSON
import Store
import Synchronization

/// Where an external secret lives: a field of a Vault/OpenBao KV v2 secret, optionally pinned
/// to a version.
public struct VaultReference: Sendable, Hashable {
    public var path: String
    public var field: String
    public var version: Int?

    public init(path: String, field: String, version: Int? = nil) {
        self.path = path
        self.field = field
        self.version = version
    }

    var json: JSONValue {
        ["path": .string(path), "field": .string(field), "version": version.map { .int(Int64($0)) } ?? .null]
    }

    init?(json: JSONValue) {
        guard let path = json["path"]?.stringValue, let field = json["field"]?.stringValue else { return nil }
        self.init(path: path, field: field, version: json["version"]?.intValue.map(Int.init))
    }
}

/// Secrets: write-only values stored with envelope encryption, or references to Vault;
/// resolution at run time; rotation; key-encryption-key rotation.
public final class SecretService: Sendable {
    public let store: Store
    public let keys: any KeyProvider
    public let vault: VaultClient?
    /// The process-wide redactor: every value resolved here is registered with it.
    public let redactor: Redactor
    /// How long a value read from Vault, or an unwrapped data key, is reused.
    let cacheTTL: Duration
    private let cache = BoundedCache<String, (value: String, until: ContinuousClock.Instant)>(limit: 10_000)
    /// Unwrapped data keys by wrapped form: with a remote key provider (transit), resolving a
    /// secret again within the TTL costs no round trip. Zero TTL disables it.
    private let dataKeys = BoundedCache<String, (key: [UInt8], until: ContinuousClock.Instant)>(limit: 10_000)

    /// Largest secret value, in bytes.
    public static let maxValueBytes = 64 * 1024

    public init(store: Store, keys: any KeyProvider, vault: VaultClient? = nil, redactor: Redactor, cacheTTL: Duration = .seconds(30)) {
        self.store = store
        self.keys = keys
        self.vault = vault
        self.redactor = redactor
        self.cacheTTL = cacheTTL
    }

    // MARK: Validation

    static func checkName(_ name: String) throws {
        let bytes = Array(name.utf8)
        let ok = (1...64).contains(bytes.count) && bytes.enumerated().allSatisfy { i, b in
            (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || (i > 0 && b >= 0x30 && b <= 0x39)
        }
        if !ok { throw SecretsError.invalid("name", "must be 1-64 letters, digits and '_', not starting with a digit") }
    }

    static func checkValue(_ value: String) throws {
        if value.count < Redactor.minimumLength {
            throw SecretsError.invalid("value", "must be at least \(Redactor.minimumLength) characters (shorter values cannot be masked safely)")
        }
        if value.utf8.count > maxValueBytes { throw SecretsError.invalid("value", "must be at most \(maxValueBytes) bytes") }
    }

    static func checkReference(_ reference: VaultReference) throws {
        if reference.path.isEmpty || reference.path.utf8.count > 512 || reference.path.contains("..") {
            throw SecretsError.invalid("vault.path", "must be a KV v2 path such as \"apps/flowgate\"")
        }
        if reference.field.isEmpty || reference.field.utf8.count > 256 { throw SecretsError.invalid("vault.field", "must name a field") }
        if let v = reference.version, v < 1 { throw SecretsError.invalid("vault.version", "must be 1 or more") }
    }

    // MARK: Versions

    /// Encrypts `value` as version `version` of secret `id` in `tenant`.
    func sealVersion(_ value: String, tenant: TenantID, id: String, version: Int64, at now: Int64) async throws -> SecretVersionRecord {
        let dataKey = Envelope.newDataKey()
        let sealed = try Envelope.seal(Array(value.utf8), dataKey: dataKey,
                                       associatedData: Envelope.associatedData(tenant: tenant.rawValue, secret: id, version: version))
        let wrapped = try await keys.wrap(dataKey.bytes, tenant: tenant.rawValue)
        return SecretVersionRecord(secretID: id, version: version, ciphertext: sealed, wrappedKey: wrapped, vaultRef: nil, createdAt: now)
    }

    /// Decrypts a stored version (or reads the referenced Vault field).
    func openVersion(_ v: SecretVersionRecord, tenant: TenantID, name: String) async throws -> String {
        if let refText = v.vaultRef, let ref = (try? JSONValue.parse(refText)).flatMap(VaultReference.init(json:)) {
            guard let vault else { throw SecretsError.keyProvider("secret \"\(name)\" refers to Vault, but no Vault is configured") }
            let key = "\(tenant.rawValue)|\(v.secretID)|\(v.version)|\(ref.path)|\(ref.field)|\(ref.version ?? 0)"
            if let hit = cache[key], hit.until > .now { return hit.value }
            let value = try await vault.readKV(path: ref.path, field: ref.field, version: ref.version)
            cache.set((value, .now + cacheTTL), for: key)
            return value
        }
        guard let ciphertext = v.ciphertext, let wrapped = v.wrappedKey else { throw SecretsError.decryptionFailed("secret \"\(name)\"") }
        var dataKey: [UInt8]
        let cacheKey = tenant.rawValue + "|" + wrapped
        if let hit = dataKeys[cacheKey], hit.until > .now {
            dataKey = hit.key
        } else {
            do {
                dataKey = try await keys.unwrap(wrapped, tenant: tenant.rawValue)
            } catch let error as VaultError {
                throw error
            } catch {
                throw SecretsError.decryptionFailed("secret \"\(name)\"")
            }
            if cacheTTL > .zero {
                dataKeys.set((dataKey, .now + cacheTTL), for: cacheKey)
            }
        }
        defer { for i in dataKey.indices { dataKey[i] = 0 } }
        let plaintext = try Envelope.open(
            ciphertext, dataKey: SymmetricKey(data: dataKey),
            associatedData: Envelope.associatedData(tenant: tenant.rawValue, secret: v.secretID, version: v.version), what: "secret \"\(name)\""
        )
        guard let text = String(validating: plaintext, as: UTF8.self) else { throw SecretsError.decryptionFailed("secret \"\(name)\"") }
        return text
    }

    // MARK: Operations

    /// Creates a secret from a value (encrypted here) or a Vault reference.
    public func create(
        in tenant: TenantID, name: String, value: String?, vault reference: VaultReference?, workflowIDs: [String]? = nil,
        rotationIntervalSeconds: Int64? = nil, generated: Bool = false
    ) async throws -> SecretRecord {
        try Self.checkName(name)
        guard (value == nil) != (reference == nil) else {
            throw SecretsError.invalid("value", "give exactly one of \"value\" and \"vault\"")
        }
        if let value { try Self.checkValue(value) }
        if let reference { try Self.checkReference(reference) }
        if let interval = rotationIntervalSeconds, interval < 60 {
            throw SecretsError.invalid("rotation_interval_seconds", "must be at least 60")
        }
        let now = store.clock.nowMillis()
        let id = UUID().uuidString.lowercased()
        let record = SecretRecord(
            tenantID: tenant, id: id, name: name, kind: reference == nil ? "value" : "vault", currentVersion: 1, workflowIDs: workflowIDs,
            rotationIntervalSeconds: rotationIntervalSeconds, generated: generated, lastRotatedAt: now, createdAt: now, updatedAt: now
        )
        let version: SecretVersionRecord
        if let value {
            version = try await sealVersion(value, tenant: tenant, id: id, version: 1, at: now)
            redactor.register(value)
        } else {
            version = SecretVersionRecord(secretID: id, version: 1, ciphertext: nil, wrappedKey: nil, vaultRef: reference?.json.serialized(), createdAt: now)
        }
        do {
            try await store.write { try await SecretRepository($0, tenant: tenant).create(record, firstVersion: version) }
        } catch let error as StoreError where error.isUniqueViolation {
            throw SecretsError.conflict("a secret named \"\(name)\" already exists")
        }
        return record
    }

    /// Replaces the value (a new version; the old one stops being used at once) and/or the
    /// metadata. `workflowIDs: .some(nil)` opens the secret to every workflow.
    public func update(
        in tenant: TenantID, id: String, value: String?, vault reference: VaultReference?, workflowIDs: [String]??,
        rotationIntervalSeconds: Int64??
    ) async throws -> SecretRecord {
        if value != nil, reference != nil { throw SecretsError.invalid("value", "give at most one of \"value\" and \"vault\"") }
        if let value { try Self.checkValue(value) }
        if let reference { try Self.checkReference(reference) }
        if case .some(.some(let interval)) = rotationIntervalSeconds, interval < 60 {
            throw SecretsError.invalid("rotation_interval_seconds", "must be at least 60")
        }
        let now = store.clock.nowMillis()
        guard var record = try await store.read({ try await SecretRepository($0, tenant: tenant).get(id) }) else {
            throw SecretsError.notFound("secret")
        }
        if value != nil, record.kind != "value" { throw SecretsError.invalid("value", "this secret refers to Vault; give \"vault\"") }
        if reference != nil, record.kind != "vault" { throw SecretsError.invalid("vault", "this secret holds a value; give \"value\"") }
        var version: SecretVersionRecord?
        if let value {
            version = try await sealVersion(value, tenant: tenant, id: id, version: record.currentVersion + 1, at: now)
            redactor.register(value)
        } else if let reference {
            version = SecretVersionRecord(secretID: id, version: record.currentVersion + 1, ciphertext: nil, wrappedKey: nil,
                                          vaultRef: reference.json.serialized(), createdAt: now)
        }
        if let workflowIDs { record.workflowIDs = workflowIDs }
        if let rotationIntervalSeconds { record.rotationIntervalSeconds = rotationIntervalSeconds }
        record.updatedAt = now
        let updated = record
        let newVersion = version
        return try await store.write { db in
            let secrets = SecretRepository(db, tenant: tenant)
            try await secrets.update(updated)
            if let newVersion { try await secrets.addVersion(newVersion, overlapUntil: nil, at: now) }
            guard let fresh = try await secrets.get(id) else { throw SecretsError.notFound("secret") }
            return fresh
        }
    }

    /// Rotates a secret: a generated one gets a fresh random value, a stored one the given
    /// value. The previous version stays acceptable for `overlap` (for verifying signatures
    /// and tokens issued before the rotation).
    public func rotate(in tenant: TenantID, id: String, newValue: String?, overlap: Duration = .zero) async throws -> SecretRecord {
        guard let record = try await store.read({ try await SecretRepository($0, tenant: tenant).get(id) }) else {
            throw SecretsError.notFound("secret")
        }
        if record.kind == "vault" { throw SecretsError.invalid("value", "secrets that refer to Vault are rotated in Vault") }
        let value: String
        if let newValue {
            try Self.checkValue(newValue)
            value = newValue
        } else if record.generated {
            value = Self.generateValue()
        } else {
            throw SecretsError.invalid("value", "give the new value; only generated secrets rotate without one")
        }
        let now = store.clock.nowMillis()
        let version = try await sealVersion(value, tenant: tenant, id: id, version: record.currentVersion + 1, at: now)
        redactor.register(value)
        let (s, a) = overlap.components
        let overlapUntil: Int64? = overlap > .zero ? now + s * 1000 + a / 1_000_000_000_000_000 : nil
        return try await store.write { db in
            let secrets = SecretRepository(db, tenant: tenant)
            try await secrets.addVersion(version, overlapUntil: overlapUntil, at: now)
            guard let fresh = try await secrets.get(id) else { throw SecretsError.notFound("secret") }
            return fresh
        }
    }

    /// A new random value for generated secrets: 256 bits, base64url.
    public static func generateValue() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public func delete(in tenant: TenantID, id: String) async throws {
        do {
            try await store.write { try await SecretRepository($0, tenant: tenant).delete(id) }
        } catch let error as StoreError where error.isNotFound {
            throw SecretsError.notFound("secret")
        }
    }

    /// The current value of the secret named `name`.
    public func resolve(in tenant: TenantID, name: String) async throws -> (record: SecretRecord, value: SecretValue) {
        let found: (SecretRecord, SecretVersionRecord)? = try await store.read { db in
            let secrets = SecretRepository(db, tenant: tenant)
            guard let record = try await secrets.find(name: name), let v = try await secrets.version(record.id, record.currentVersion) else {
                return nil
            }
            return (record, v)
        }
        guard let (record, version) = found else { throw SecretsError.notFound("secret \"\(name)\"") }
        let value = try await openVersion(version, tenant: tenant, name: name)
        redactor.register(value)
        return (record, SecretValue(value))
    }

    /// Every value still accepted for the secret: the current one and any in an overlap window.
    public func acceptedValues(in tenant: TenantID, name: String) async throws -> [SecretValue] {
        let now = store.clock.nowMillis()
        let found: (SecretRecord, [SecretVersionRecord])? = try await store.read { db in
            let secrets = SecretRepository(db, tenant: tenant)
            guard let record = try await secrets.find(name: name) else { return nil }
            return (record, try await secrets.validVersions(record.id, at: now))
        }
        guard let (_, versions) = found else { throw SecretsError.notFound("secret \"\(name)\"") }
        var values: [SecretValue] = []
        for v in versions {
            let value = try await openVersion(v, tenant: tenant, name: name)
            redactor.register(value)
            values.append(SecretValue(value))
        }
        return values
    }

    /// Rotates the key-encryption key and rewraps every data key of every tenant. Secret values
    /// are never decrypted. Returns how many data keys were rewrapped.
    @discardableResult
    public func rotateKeyEncryptionKey() async throws -> Int {
        try await keys.rotate()
        var count = 0
        var after: (tenant: String, secret: String, version: Int64)?
        while true {
            let position = after
            let page = try await store.read { try await WrappedKeyScan($0).page(after: position, limit: 200) }
            if page.isEmpty { break }
            for item in page {
                let rewrapped = try await keys.rewrap(item.wrapped, tenant: item.tenant.rawValue)
                try await store.write { try await SecretRepository($0, tenant: item.tenant).setWrappedKey(item.secret, item.version, rewrapped) }
                count += 1
            }
            if let last = page.last { after = (last.tenant.rawValue, last.secret, last.version) }
        }
        return count
    }

    /// Rotates every generated secret whose interval has passed, keeping the old value valid for
    /// `overlap`, and audits each rotation. Returns the rotated secrets.
    public func rotateDueSecrets(overlap: Duration) async throws -> [SecretRecord] {
        let now = store.clock.nowMillis()
        let tenants = try await store.read { try await WrappedKeyScan($0).tenantsWithRotationDue(at: now) }
        var rotated: [SecretRecord] = []
        for tenant in tenants {
            let due = try await store.read { try await SecretRepository($0, tenant: tenant).dueForRotation(at: now) }
            for secret in due where secret.generated {
                let record = try await rotate(in: tenant, id: secret.id, newValue: nil, overlap: overlap)
                try await store.write { db in
                    try await AuditLog.append([AuditRecord(
                        tenant: tenant, at: now, principal: "System::\"rotation\"", action: "secret.rotate",
                        resource: "Secret::\"\(secret.id)\"", decision: "allow", reasons: ["rotation-interval"], outcome: "success",
                        status: 0, requestID: "rotation", sourceIP: "",
                        detail: ["name": .string(secret.name), "version": .int(record.currentVersion)]
                    )], in: db)
                }
                rotated.append(record)
            }
        }
        return rotated
    }
}
