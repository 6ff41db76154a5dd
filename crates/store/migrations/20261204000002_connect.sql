-- fedgate schema: the contact-center API (crates/connect): instances, their default security and
-- routing profiles, users, and tags.
--
-- Same common subset as the initial schema: TEXT and BIGINT only (booleans are 0/1), Unix seconds.
-- Usernames are unique per instance and compared case-sensitively (byte equality on both backends,
-- as Connect compares them with the RoleSessionName); instance aliases are unique
-- case-insensitively (they name a host), through the store-computed `alias_lower`.

CREATE TABLE connect_instances (
    id TEXT PRIMARY KEY NOT NULL,
    arn TEXT NOT NULL UNIQUE,
    alias TEXT,
    -- NULL for an instance without alias; several NULLs are allowed by UNIQUE on both backends.
    alias_lower TEXT UNIQUE,
    identity_management_type TEXT NOT NULL,
    directory_id TEXT,
    status TEXT NOT NULL,
    inbound_calls_enabled BIGINT NOT NULL,
    outbound_calls_enabled BIGINT NOT NULL,
    -- CreateInstance idempotency: the ClientToken and a digest of the request it came with.
    client_token TEXT UNIQUE,
    request_digest TEXT,
    created BIGINT NOT NULL
);

CREATE TABLE connect_security_profiles (
    id TEXT PRIMARY KEY NOT NULL,
    instance_id TEXT NOT NULL REFERENCES connect_instances (id) ON DELETE CASCADE,
    arn TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    last_modified BIGINT NOT NULL,
    UNIQUE (instance_id, name)
);

CREATE TABLE connect_routing_profiles (
    id TEXT PRIMARY KEY NOT NULL,
    instance_id TEXT NOT NULL REFERENCES connect_instances (id) ON DELETE CASCADE,
    arn TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    last_modified BIGINT NOT NULL,
    UNIQUE (instance_id, name)
);

CREATE TABLE connect_users (
    id TEXT PRIMARY KEY NOT NULL,
    instance_id TEXT NOT NULL REFERENCES connect_instances (id) ON DELETE CASCADE,
    arn TEXT NOT NULL UNIQUE,
    username TEXT NOT NULL,
    first_name TEXT,
    last_name TEXT,
    email TEXT,
    secondary_email TEXT,
    mobile TEXT,
    directory_user_id TEXT,
    -- argon2id PHC string (CONNECT_MANAGED instances only); never returned by the API.
    password_hash TEXT,
    routing_profile_id TEXT NOT NULL REFERENCES connect_routing_profiles (id),
    phone_type TEXT NOT NULL,
    auto_accept BIGINT NOT NULL,
    after_contact_work_time_limit BIGINT NOT NULL,
    desk_phone_number TEXT,
    agent_status TEXT NOT NULL,
    agent_status_changed BIGINT NOT NULL,
    created BIGINT NOT NULL,
    last_modified BIGINT NOT NULL,
    UNIQUE (instance_id, username)
);

CREATE TABLE connect_user_security_profiles (
    user_id TEXT NOT NULL REFERENCES connect_users (id) ON DELETE CASCADE,
    security_profile_id TEXT NOT NULL REFERENCES connect_security_profiles (id) ON DELETE CASCADE,
    -- The order the ids were given in (DescribeUser returns them in that order).
    position BIGINT NOT NULL,
    PRIMARY KEY (user_id, security_profile_id)
);

-- Tags of instances and users, by resource ARN. Keys are case-sensitive (a JSON map in the API).
CREATE TABLE connect_tags (
    resource_arn TEXT NOT NULL,
    tag_key TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    PRIMARY KEY (resource_arn, tag_key)
);
