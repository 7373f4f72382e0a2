-- Portico's core schema. Times are Unix seconds (BIGINT) so both backends store them alike.
-- Invariants the database enforces itself:
--   I2 one user per e-mail:            users.email UNIQUE (canonical form, see domain::Email)
--   I3 one account per user:           users.account_id is a single column
--   I1 one primary admin per account:  users_one_primary_admin (partial unique index)

CREATE TABLE accounts (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL,
    partner_id      TEXT    NOT NULL,
    account_key     TEXT    NOT NULL,
    contact_email   TEXT,
    default_locale  TEXT    NOT NULL DEFAULT 'en',
    created_at      BIGINT  NOT NULL,
    CONSTRAINT accounts_partner_id_key UNIQUE (partner_id),
    CONSTRAINT accounts_account_key_key UNIQUE (account_key)
);

CREATE TABLE users (
    id                    INTEGER PRIMARY KEY,
    account_id            BIGINT  REFERENCES accounts (id) ON DELETE SET NULL,
    first_name            TEXT    NOT NULL,
    last_name             TEXT    NOT NULL,
    login_name            TEXT    NOT NULL,
    email                 TEXT    NOT NULL,
    password_hash         TEXT,
    must_change_password  BIGINT  NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1)),
    is_primary_admin      BIGINT  NOT NULL DEFAULT 0 CHECK (is_primary_admin IN (0, 1)),
    locked_at             BIGINT,
    email_verified_at     BIGINT,
    locale                TEXT    NOT NULL DEFAULT 'en',
    subscribe_news        BIGINT  NOT NULL DEFAULT 0 CHECK (subscribe_news IN (0, 1)),
    subscribe_alerts      BIGINT  NOT NULL DEFAULT 1 CHECK (subscribe_alerts IN (0, 1)),
    last_login_at         BIGINT,
    created_at            BIGINT  NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_login_name_key UNIQUE (login_name),
    CONSTRAINT users_primary_admin_has_account CHECK (is_primary_admin = 0 OR account_id IS NOT NULL)
);
CREATE UNIQUE INDEX users_one_primary_admin ON users (account_id) WHERE is_primary_admin = 1;
CREATE INDEX users_account ON users (account_id);

-- Built-in roles have no account (shared, read-only); custom roles belong to one account.
CREATE TABLE roles (
    id           INTEGER PRIMARY KEY,
    account_id   BIGINT  REFERENCES accounts (id) ON DELETE CASCADE,
    builtin_key  TEXT,
    name         TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    permissions  BIGINT  NOT NULL,
    created_at   BIGINT  NOT NULL,
    CONSTRAINT roles_builtin_or_custom CHECK ((account_id IS NULL) = (builtin_key IS NOT NULL)),
    CONSTRAINT roles_builtin_key_key UNIQUE (builtin_key),
    CONSTRAINT roles_account_name_key UNIQUE (account_id, name)
);

-- Bits: see domain::Permission (users.view=1 … audit.view=128).
INSERT INTO roles (builtin_key, name, description, permissions, created_at) VALUES
    ('administrator',   'Administrator',   '', 255, 0),
    ('user_manager',    'User manager',    '', 3,   0),
    ('partner_manager', 'Partner manager', '', 112, 0),
    ('auditor',         'Auditor',         '', 145, 0),
    ('member',          'Member',          '', 0,   0);

CREATE TABLE user_roles (
    user_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id  BIGINT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, role_id)
);
CREATE INDEX user_roles_role ON user_roles (role_id);

-- Server-side sessions. Only the SHA-256 of the cookie's token is stored (S2).
CREATE TABLE sessions (
    id                 INTEGER PRIMARY KEY,
    token_hash         TEXT    NOT NULL,
    user_id            BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    acting_account_id  BIGINT  REFERENCES accounts (id) ON DELETE SET NULL,
    created_at         BIGINT  NOT NULL,
    last_seen_at       BIGINT  NOT NULL,
    expires_at         BIGINT  NOT NULL,
    client_ip          TEXT    NOT NULL DEFAULT '',
    user_agent         TEXT    NOT NULL DEFAULT '',
    CONSTRAINT sessions_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Failed-login counters per key ("id:<identifier>", "ip:<address>"), shared by every instance.
CREATE TABLE login_throttle (
    throttle_key       TEXT    PRIMARY KEY,
    failures           BIGINT  NOT NULL,
    window_started_at  BIGINT  NOT NULL,
    blocked_until      BIGINT  NOT NULL DEFAULT 0
);

-- Immutable record of every state change (F8). No foreign keys: events outlive what they name,
-- so the actor and target are also kept as text snapshots.
CREATE TABLE audit_events (
    id                INTEGER PRIMARY KEY,
    occurred_at       BIGINT  NOT NULL,
    actor_user_id     BIGINT,
    actor_label       TEXT    NOT NULL DEFAULT '',
    actor_account_id  BIGINT,
    account_id        BIGINT,
    action            TEXT    NOT NULL,
    target_type       TEXT    NOT NULL DEFAULT '',
    target_id         BIGINT,
    target_label      TEXT    NOT NULL DEFAULT '',
    details           TEXT    NOT NULL DEFAULT '{}',
    client_ip         TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_account_time ON audit_events (account_id, occurred_at);
