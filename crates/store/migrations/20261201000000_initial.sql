-- fedgate schema, version 1.
--
-- One SQL text for SQLite and PostgreSQL: only the common subset is used (TEXT, BIGINT, no
-- SERIAL/AUTOINCREMENT, no BLOB/BYTEA: ciphertexts are base64 TEXT). Timestamps are BIGINT Unix
-- seconds (UTC). Case-insensitive uniqueness is a lower-cased `*_lower` column computed by the
-- store with a UNIQUE constraint, because SQLite's NOCASE and PostgreSQL's citext differ.

CREATE TABLE saml_providers (
    arn TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    uuid TEXT NOT NULL UNIQUE,
    metadata_document TEXT NOT NULL,
    create_date BIGINT NOT NULL,
    valid_until BIGINT,
    assertion_encryption_mode TEXT NOT NULL DEFAULT 'Allowed',
    -- Bumped on every change (metadata, mode, tags): the key of parsed-metadata caches on every node.
    revision BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE saml_provider_tags (
    arn TEXT NOT NULL REFERENCES saml_providers (arn) ON DELETE CASCADE,
    tag_key TEXT NOT NULL,
    tag_key_lower TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    PRIMARY KEY (arn, tag_key_lower)
);

CREATE TABLE roles (
    role_id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    name_lower TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    arn TEXT NOT NULL UNIQUE,
    assume_role_policy TEXT NOT NULL,
    description TEXT,
    max_session_duration BIGINT NOT NULL DEFAULT 3600,
    create_date BIGINT NOT NULL
);

CREATE TABLE role_tags (
    role_id TEXT NOT NULL REFERENCES roles (role_id) ON DELETE CASCADE,
    tag_key TEXT NOT NULL,
    tag_key_lower TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    PRIMARY KEY (role_id, tag_key_lower)
);

-- No ON DELETE CASCADE: deleting a role with inline policies is a DeleteConflict, as in AWS.
CREATE TABLE role_policies (
    role_id TEXT NOT NULL REFERENCES roles (role_id),
    policy_name TEXT NOT NULL,
    policy_name_lower TEXT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (role_id, policy_name_lower)
);

CREATE TABLE managed_policies (
    arn TEXT PRIMARY KEY NOT NULL,
    policy_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_lower TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    description TEXT,
    default_version_id TEXT NOT NULL DEFAULT 'v1',
    document TEXT NOT NULL,
    create_date BIGINT NOT NULL,
    update_date BIGINT NOT NULL
);

-- No cascades: a role or policy with attachments cannot be deleted (DeleteConflict).
CREATE TABLE role_policy_attachments (
    role_id TEXT NOT NULL REFERENCES roles (role_id),
    policy_arn TEXT NOT NULL REFERENCES managed_policies (arn),
    PRIMARY KEY (role_id, policy_arn)
);

CREATE INDEX role_policy_attachments_by_policy ON role_policy_attachments (policy_arn);

CREATE TABLE access_keys (
    access_key_id TEXT PRIMARY KEY NOT NULL,
    -- SecretBox output (nonce || ciphertext || tag), base64; associated data = access_key_id.
    secret_ciphertext TEXT NOT NULL,
    principal_arn TEXT NOT NULL,
    status TEXT NOT NULL,
    create_date BIGINT NOT NULL
);

CREATE TABLE service_keys (
    name TEXT PRIMARY KEY NOT NULL,
    -- SecretBox output, base64; associated data = "service-key:" || name.
    ciphertext TEXT NOT NULL,
    create_date BIGINT NOT NULL
);

CREATE TABLE replay_cache (
    provider_arn TEXT NOT NULL,
    assertion_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (provider_arn, assertion_id)
);

CREATE INDEX replay_cache_by_expiry ON replay_cache (expires_at);
