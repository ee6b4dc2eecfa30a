/// One schema change, applied once, in order, inside a transaction.
public struct Migration: Sendable {
    /// Monotonic version number; applied versions are recorded in `schema_migrations`.
    public let version: Int
    /// What the change is for.
    public let name: String
    /// The statements for a dialect. Most are portable; the closure exists for the few that are not.
    public let statements: @Sendable (SQLDialect) -> [String]
}

extension Migration {
    /// The schema, oldest first. Never edit an applied migration; add a new one.
    ///
    /// Conventions: ids are text (UUIDs), times are integer milliseconds since 1970 (UTC),
    /// Booleans are integers, JSON documents are text. Every tenant-owned table has
    /// `tenant_id` as the first column of its primary key.
    public static let all: [Migration] = [
        Migration(version: 1, name: "identity, workflows, runs, audit") { _ in
            [
                """
                CREATE TABLE tenants (
                    id TEXT PRIMARY KEY,
                    slug TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL,
                    settings TEXT NOT NULL DEFAULT '{}',
                    created_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE platform_tokens (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    token_hash TEXT NOT NULL UNIQUE,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT,
                    revoked_at BIGINT
                )
                """,
                """
                CREATE TABLE users (
                    tenant_id TEXT NOT NULL REFERENCES tenants(id),
                    id TEXT NOT NULL,
                    user_name TEXT NOT NULL,
                    display_name TEXT,
                    email TEXT,
                    active BIGINT NOT NULL DEFAULT 1,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    PRIMARY KEY (tenant_id, id),
                    UNIQUE (tenant_id, user_name)
                )
                """,
                """
                CREATE TABLE groups (
                    tenant_id TEXT NOT NULL REFERENCES tenants(id),
                    id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    PRIMARY KEY (tenant_id, id),
                    UNIQUE (tenant_id, name)
                )
                """,
                """
                CREATE TABLE group_members (
                    tenant_id TEXT NOT NULL,
                    group_id TEXT NOT NULL,
                    user_id TEXT NOT NULL,
                    PRIMARY KEY (tenant_id, group_id, user_id),
                    FOREIGN KEY (tenant_id, group_id) REFERENCES groups(tenant_id, id) ON DELETE CASCADE,
                    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE
                )
                """,
                "CREATE INDEX group_members_user ON group_members (tenant_id, user_id)",
                """
                CREATE TABLE role_bindings (
                    tenant_id TEXT NOT NULL REFERENCES tenants(id),
                    id TEXT NOT NULL,
                    subject_type TEXT NOT NULL,
                    subject_id TEXT NOT NULL,
                    role TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    PRIMARY KEY (tenant_id, id),
                    UNIQUE (tenant_id, subject_type, subject_id, role)
                )
                """,
                """
                CREATE TABLE api_tokens (
                    tenant_id TEXT NOT NULL REFERENCES tenants(id),
                    id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    role TEXT NOT NULL,
                    token_hash TEXT NOT NULL UNIQUE,
                    user_id TEXT,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT,
                    revoked_at BIGINT,
                    PRIMARY KEY (tenant_id, id)
                )
                """,
                """
                CREATE TABLE workflows (
                    tenant_id TEXT NOT NULL REFERENCES tenants(id),
                    id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    description TEXT NOT NULL DEFAULT '',
                    current_version BIGINT NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    PRIMARY KEY (tenant_id, id)
                )
                """,
                """
                CREATE TABLE workflow_versions (
                    tenant_id TEXT NOT NULL,
                    workflow_id TEXT NOT NULL,
                    version BIGINT NOT NULL,
                    definition TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    created_by TEXT NOT NULL,
                    PRIMARY KEY (tenant_id, workflow_id, version),
                    FOREIGN KEY (tenant_id, workflow_id) REFERENCES workflows(tenant_id, id) ON DELETE CASCADE
                )
                """,
                """
                CREATE TABLE runs (
                    tenant_id TEXT NOT NULL REFERENCES tenants(id),
                    id TEXT NOT NULL,
                    workflow_id TEXT NOT NULL,
                    workflow_version BIGINT NOT NULL,
                    status TEXT NOT NULL,
                    idempotency_key TEXT,
                    trace_id TEXT NOT NULL,
                    created_by TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    PRIMARY KEY (tenant_id, id),
                    UNIQUE (tenant_id, workflow_id, idempotency_key)
                )
                """,
                "CREATE INDEX runs_by_workflow ON runs (tenant_id, workflow_id, created_at)",
                "CREATE INDEX runs_unfinished ON runs (status)",
                """
                CREATE TABLE run_events (
                    tenant_id TEXT NOT NULL,
                    run_id TEXT NOT NULL,
                    seq BIGINT NOT NULL,
                    type TEXT NOT NULL,
                    node_id TEXT,
                    at BIGINT NOT NULL,
                    data TEXT NOT NULL,
                    PRIMARY KEY (tenant_id, run_id, seq)
                )
                """,
                """
                CREATE TABLE audit_log (
                    tenant_id TEXT NOT NULL,
                    seq BIGINT NOT NULL,
                    at BIGINT NOT NULL,
                    principal TEXT NOT NULL,
                    action TEXT NOT NULL,
                    resource TEXT NOT NULL,
                    decision TEXT NOT NULL,
                    reasons TEXT NOT NULL,
                    outcome TEXT NOT NULL,
                    status BIGINT NOT NULL,
                    request_id TEXT NOT NULL,
                    source_ip TEXT NOT NULL,
                    detail TEXT NOT NULL,
                    prev_hash TEXT NOT NULL,
                    hash TEXT NOT NULL,
                    PRIMARY KEY (tenant_id, seq)
                )
                """,
                """
                CREATE TABLE audit_heads (
                    tenant_id TEXT PRIMARY KEY,
                    seq BIGINT NOT NULL,
                    hash TEXT NOT NULL
                )
                """,
            ]
        },
        Migration(version: 2, name: "secrets") { _ in
            [
                """
                CREATE TABLE secrets (
                    tenant_id TEXT NOT NULL REFERENCES tenants(id),
                    id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    current_version BIGINT NOT NULL,
                    workflow_ids TEXT,
                    rotation_interval_seconds BIGINT,
                    generated BIGINT NOT NULL DEFAULT 0,
                    last_rotated_at BIGINT NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    PRIMARY KEY (tenant_id, id),
                    UNIQUE (tenant_id, name)
                )
                """,
                """
                CREATE TABLE secret_versions (
                    tenant_id TEXT NOT NULL,
                    secret_id TEXT NOT NULL,
                    version BIGINT NOT NULL,
                    ciphertext TEXT,
                    wrapped_key TEXT,
                    vault_ref TEXT,
                    created_at BIGINT NOT NULL,
                    valid_until BIGINT,
                    PRIMARY KEY (tenant_id, secret_id, version),
                    FOREIGN KEY (tenant_id, secret_id) REFERENCES secrets(tenant_id, id) ON DELETE CASCADE
                )
                """,
            ]
        },
        Migration(version: 3, name: "tenant policies") { _ in
            [
                """
                CREATE TABLE tenant_policies (
                    tenant_id TEXT NOT NULL REFERENCES tenants(id),
                    id TEXT NOT NULL,
                    version BIGINT NOT NULL,
                    text TEXT NOT NULL,
                    deleted BIGINT NOT NULL DEFAULT 0,
                    created_by TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    PRIMARY KEY (tenant_id, id, version)
                )
                """,
                """
                CREATE TABLE tenant_policy_heads (
                    tenant_id TEXT PRIMARY KEY,
                    revision BIGINT NOT NULL
                )
                """,
            ]
        },
        // SCIM: external ids, stored SCIM documents, ETag versions, and case-insensitive names.
        //
        // - `users`: `external_id`; `scim`, the stored SCIM document (everything kept that has
        //   no column of its own); `version`, the ETag source; `user_name_ci`, a generated
        //   column with the ASCII-folded user name, unique per tenant, so that `userName` is
        //   unique regardless of case and `userName eq` is one index probe whichever code path
        //   wrote the row.
        // - `groups`: the same, with `display_name_ci` (not unique: `UNIQUE (tenant_id, name)`
        //   keeps names unique as typed).
        // - Indexes for `externalId eq` and `displayName eq` that end in the default list order
        //   (`created_at, id`), and one for listing in creation order.
        // - Existing users get their e-mail address as their primary SCIM e-mail.
        //
        // The generated columns use `lower()`, which folds ASCII only on SQLite and, with
        // `COLLATE "C"`, on PostgreSQL too: the same rule as Identity's `SCIMText.fold`.
        Migration(version: 4, name: "scim: external ids, documents, versions, case-insensitive names") { dialect in
            let postgres = dialect == .postgres
            // SQLite can add only VIRTUAL generated columns to an existing table; PostgreSQL only
            // STORED ones. Both can be indexed. On PostgreSQL the column itself is in the "C"
            // collation, so that one index serves both `=` and the byte-order ORDER BY of sorting.
            func folded(_ column: String) -> String {
                postgres
                    ? "TEXT COLLATE \"C\" GENERATED ALWAYS AS (lower(\(column) COLLATE \"C\")) STORED"
                    : "TEXT GENERATED ALWAYS AS (lower(\(column))) VIRTUAL"
            }
            let backfill = postgres
                ? """
                  UPDATE users SET scim = jsonb_build_object('emails', jsonb_build_array(jsonb_build_object('value', email, 'primary', true)))::text
                  WHERE email IS NOT NULL AND email <> ''
                  """
                : """
                  UPDATE users SET scim = json_object('emails', json_array(json_object('value', email, 'primary', json('true'))))
                  WHERE email IS NOT NULL AND email <> ''
                  """
            return [
                "ALTER TABLE users ADD COLUMN external_id TEXT",
                "ALTER TABLE users ADD COLUMN scim TEXT NOT NULL DEFAULT '{}'",
                "ALTER TABLE users ADD COLUMN version BIGINT NOT NULL DEFAULT 1",
                "ALTER TABLE users ADD COLUMN user_name_ci \(folded("user_name"))",
                "CREATE UNIQUE INDEX users_user_name_ci ON users (tenant_id, user_name_ci)",
                "CREATE INDEX users_external_id ON users (tenant_id, external_id, created_at, id)",
                "CREATE INDEX users_created ON users (tenant_id, created_at, id)",
                backfill,
                "ALTER TABLE groups ADD COLUMN external_id TEXT",
                "ALTER TABLE groups ADD COLUMN scim TEXT NOT NULL DEFAULT '{}'",
                "ALTER TABLE groups ADD COLUMN version BIGINT NOT NULL DEFAULT 1",
                "ALTER TABLE groups ADD COLUMN display_name_ci \(folded("name"))",
                "CREATE INDEX groups_display_name_ci ON groups (tenant_id, display_name_ci, created_at, id)",
                "CREATE INDEX groups_external_id ON groups (tenant_id, external_id, created_at, id)",
                "CREATE INDEX groups_created ON groups (tenant_id, created_at, id)",
            ]
        },
        Migration(version: 5, name: "scim tokens") { _ in
            [
                """
                CREATE TABLE scim_tokens (
                    tenant_id TEXT NOT NULL REFERENCES tenants(id),
                    id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    token_hash TEXT NOT NULL UNIQUE,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT,
                    revoked_at BIGINT,
                    PRIMARY KEY (tenant_id, id)
                )
                """,
            ]
        },
        Migration(version: 6, name: "durable engine: child runs, dead letters, triggers") { _ in
            [
                "ALTER TABLE runs ADD COLUMN parent_run_id TEXT",
                """
                CREATE TABLE dead_letters (
                    tenant_id TEXT NOT NULL REFERENCES tenants(id),
                    id TEXT NOT NULL,
                    run_id TEXT NOT NULL,
                    workflow_id TEXT NOT NULL,
                    node_id TEXT NOT NULL,
                    item_index BIGINT,
                    error TEXT NOT NULL,
                    attempts BIGINT NOT NULL,
                    status TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    redriven_at BIGINT,
                    PRIMARY KEY (tenant_id, id)
                )
                """,
                "CREATE INDEX dead_letters_by_run ON dead_letters (tenant_id, run_id)",
                """
                CREATE TABLE triggers (
                    tenant_id TEXT NOT NULL REFERENCES tenants(id),
                    workflow_id TEXT NOT NULL,
                    node_id TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    config TEXT NOT NULL,
                    webhook_path TEXT,
                    next_fire_at BIGINT,
                    last_fired_at BIGINT,
                    PRIMARY KEY (tenant_id, workflow_id, node_id),
                    UNIQUE (tenant_id, webhook_path)
                )
                """,
                "CREATE INDEX triggers_due ON triggers (kind, next_fire_at)",
            ]
        },
        Migration(version: 7, name: "single sign-on: identity providers, linked identities, sessions") { _ in
            [
                """
                CREATE TABLE identity_providers (
                    tenant_id TEXT NOT NULL REFERENCES tenants(id),
                    id TEXT NOT NULL,
                    type TEXT NOT NULL,
                    name TEXT NOT NULL,
                    config TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    PRIMARY KEY (tenant_id, id),
                    UNIQUE (tenant_id, name)
                )
                """,
                """
                CREATE TABLE user_identities (
                    tenant_id TEXT NOT NULL REFERENCES tenants(id),
                    issuer TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    provider_id TEXT NOT NULL,
                    user_id TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    PRIMARY KEY (tenant_id, issuer, subject)
                )
                """,
                "CREATE INDEX user_identities_by_user ON user_identities (tenant_id, user_id)",
                """
                CREATE TABLE sessions (
                    tenant_id TEXT NOT NULL REFERENCES tenants(id),
                    id TEXT NOT NULL,
                    token_hash TEXT NOT NULL UNIQUE,
                    user_id TEXT NOT NULL,
                    provider_id TEXT,
                    groups TEXT NOT NULL DEFAULT '[]',
                    created_at BIGINT NOT NULL,
                    last_seen_at BIGINT NOT NULL,
                    idle_timeout_ms BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL,
                    revoked_at BIGINT,
                    PRIMARY KEY (tenant_id, id)
                )
                """,
                "CREATE INDEX sessions_by_user ON sessions (tenant_id, user_id)",
                """
                CREATE TABLE sso_transients (
                    tenant_id TEXT NOT NULL REFERENCES tenants(id),
                    kind TEXT NOT NULL,
                    key TEXT NOT NULL,
                    record TEXT NOT NULL,
                    expires_at BIGINT NOT NULL,
                    PRIMARY KEY (tenant_id, kind, key)
                )
                """,
                "CREATE INDEX sso_transients_expiry ON sso_transients (expires_at)",
            ]
        },
        Migration(version: 8, name: "run event sequence counter on the run row") { _ in
            [
                "ALTER TABLE runs ADD COLUMN last_seq BIGINT NOT NULL DEFAULT 0",
                """
                UPDATE runs SET last_seq = COALESCE(
                    (SELECT MAX(e.seq) FROM run_events e WHERE e.tenant_id = runs.tenant_id AND e.run_id = runs.id), 0)
                """,
            ]
        },
    ]
}

extension Store {
    /// Applies every migration not yet applied (up to `upTo`, when given), each in its own
    /// transaction. Safe to call at every start; concurrent starts against one PostgreSQL
    /// serialize on an advisory lock.
    public func migrate(upTo: Int? = nil) async throws {
        try await database.write { db in
            try await db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
            )
        }
        for migration in Migration.all where migration.version <= (upTo ?? .max) {
            let now = clock.nowMillis()
            try await database.write { db in
                if db.dialect == .postgres {
                    // Serializes concurrent migrators until this transaction ends.
                    try await db.execute("SELECT pg_advisory_xact_lock(4242424242)")
                }
                let applied = try await db.first("SELECT version FROM schema_migrations WHERE version = \(migration.version)")
                guard applied == nil else { return }
                for statement in migration.statements(db.dialect) {
                    try await db.execute(SQLQuery(stringLiteral: statement))
                }
                try await db.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (\(migration.version), \(migration.name), \(now))"
                )
            }
        }
    }
}
