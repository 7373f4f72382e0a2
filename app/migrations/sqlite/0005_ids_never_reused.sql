-- SPEC S9: identifiers are never reused. `INTEGER PRIMARY KEY` alone hands the highest deleted
-- id to the next row, so a closed account's id went to the next new account, which then saw the
-- old tenant's audit log (audit_events.account_id has no foreign key by design). Every table with
-- an integer id is rebuilt as `INTEGER PRIMARY KEY AUTOINCREMENT`, keeping its rows, ids,
-- constraints, indexes and triggers exactly, and `sqlite_sequence` is seeded with a high-water
-- mark that also covers ids deleted before this migration but still named by the audit log.
--
-- Why not the usual `PRAGMA foreign_keys = OFF` rebuild: sqlx 0.8's SQLite migrator runs every
-- migration inside a transaction (it ignores `-- no-transaction` for SQLite), and the pragma is a
-- no-op inside one, so the pool's `foreign_keys = ON` stays in force here. The steps are ordered so
-- that no foreign-key action can fire:
--   1. every old table is renamed to *_old; SQLite rewrites the REFERENCES clauses of the old
--      tables to follow (user_roles is moved too, since it references users and roles), so the
--      old tables only refer to one another and the new tables only to the new ones;
--   2. the new tables are created and filled parent first, ids copied (immediate foreign-key
--      checks pass: every parent row is already there);
--   3. the old tables are dropped children first, so each one's implicit DELETE has no child
--      table left to cascade into or set null in;
--   4. indexes and the search triggers are recreated with their old names and text.
-- The FTS5 index users_search keeps its rows: the users rowids and searchable columns are copied
-- unchanged and no trigger runs during the copy (the old triggers leave with users_old).
-- The whole file runs in the migrator's transaction: all of it applies, or none.

-- 1. Old tables aside.
ALTER TABLE accounts RENAME TO accounts_old;
ALTER TABLE users RENAME TO users_old;
ALTER TABLE roles RENAME TO roles_old;
ALTER TABLE user_roles RENAME TO user_roles_old;
ALTER TABLE sessions RENAME TO sessions_old;
ALTER TABLE user_tokens RENAME TO user_tokens_old;
ALTER TABLE outbox RENAME TO outbox_old;
ALTER TABLE partner_links RENAME TO partner_links_old;
ALTER TABLE delegated_grants RENAME TO delegated_grants_old;
ALTER TABLE audit_events RENAME TO audit_events_old;

-- 2. New tables: the definitions of 0001-0004 (incl. 0003's added column, last), plus AUTOINCREMENT.
CREATE TABLE accounts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT    NOT NULL,
    partner_id      TEXT    NOT NULL,
    account_key     TEXT    NOT NULL,
    contact_email   TEXT,
    default_locale  TEXT    NOT NULL DEFAULT 'en',
    created_at      BIGINT  NOT NULL,
    CONSTRAINT accounts_partner_id_key UNIQUE (partner_id),
    CONSTRAINT accounts_account_key_key UNIQUE (account_key)
);
INSERT INTO accounts (id, name, partner_id, account_key, contact_email, default_locale, created_at)
    SELECT id, name, partner_id, account_key, contact_email, default_locale, created_at FROM accounts_old;

CREATE TABLE users (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
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
    temporary_password_expires_at BIGINT,
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_login_name_key UNIQUE (login_name),
    CONSTRAINT users_primary_admin_has_account CHECK (is_primary_admin = 0 OR account_id IS NOT NULL)
);
INSERT INTO users (id, account_id, first_name, last_name, login_name, email, password_hash,
                   must_change_password, is_primary_admin, locked_at, email_verified_at, locale,
                   subscribe_news, subscribe_alerts, last_login_at, created_at, temporary_password_expires_at)
    SELECT id, account_id, first_name, last_name, login_name, email, password_hash,
           must_change_password, is_primary_admin, locked_at, email_verified_at, locale,
           subscribe_news, subscribe_alerts, last_login_at, created_at, temporary_password_expires_at
    FROM users_old;

CREATE TABLE roles (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO roles (id, account_id, builtin_key, name, description, permissions, created_at)
    SELECT id, account_id, builtin_key, name, description, permissions, created_at FROM roles_old;

CREATE TABLE user_roles (
    user_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id  BIGINT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, role_id)
);
INSERT INTO user_roles (user_id, role_id) SELECT user_id, role_id FROM user_roles_old;

CREATE TABLE sessions (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO sessions (id, token_hash, user_id, acting_account_id, created_at, last_seen_at, expires_at, client_ip, user_agent)
    SELECT id, token_hash, user_id, acting_account_id, created_at, last_seen_at, expires_at, client_ip, user_agent
    FROM sessions_old;

CREATE TABLE user_tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash  TEXT    NOT NULL,
    user_id     BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     TEXT    NOT NULL CHECK (purpose IN ('invitation', 'password_reset', 'email_verification')),
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    alerted_at  BIGINT,
    CONSTRAINT user_tokens_token_hash_key UNIQUE (token_hash)
);
INSERT INTO user_tokens (id, token_hash, user_id, purpose, created_at, expires_at, alerted_at)
    SELECT id, token_hash, user_id, purpose, created_at, expires_at, alerted_at FROM user_tokens_old;

CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient        TEXT    NOT NULL,
    subject          TEXT    NOT NULL,
    body             TEXT    NOT NULL,
    created_at       BIGINT  NOT NULL,
    next_attempt_at  BIGINT  NOT NULL,
    attempts         BIGINT  NOT NULL DEFAULT 0,
    sent_at          BIGINT,
    last_error       TEXT
);
INSERT INTO outbox (id, recipient, subject, body, created_at, next_attempt_at, attempts, sent_at, last_error)
    SELECT id, recipient, subject, body, created_at, next_attempt_at, attempts, sent_at, last_error FROM outbox_old;

CREATE TABLE partner_links (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_account_id   BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    customer_account_id  BIGINT  REFERENCES accounts (id) ON DELETE CASCADE,
    status               TEXT    NOT NULL CHECK (status IN ('invited', 'active', 'declined', 'revoked')),
    initiated_by         TEXT    NOT NULL CHECK (initiated_by IN ('customer', 'partner')),
    token_hash           TEXT,
    created_by_label     TEXT    NOT NULL DEFAULT '',
    created_at           BIGINT  NOT NULL,
    expires_at           BIGINT  NOT NULL,
    responded_at         BIGINT,
    ended_at             BIGINT,
    alerted_at           BIGINT,
    CONSTRAINT partner_links_token_hash_key UNIQUE (token_hash),
    CONSTRAINT partner_links_not_self CHECK (customer_account_id IS NULL OR customer_account_id <> partner_account_id)
);
INSERT INTO partner_links (id, partner_account_id, customer_account_id, status, initiated_by, token_hash,
                           created_by_label, created_at, expires_at, responded_at, ended_at, alerted_at)
    SELECT id, partner_account_id, customer_account_id, status, initiated_by, token_hash,
           created_by_label, created_at, expires_at, responded_at, ended_at, alerted_at
    FROM partner_links_old;

CREATE TABLE delegated_grants (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    link_id     BIGINT  NOT NULL REFERENCES partner_links (id) ON DELETE CASCADE,
    user_id     BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id     BIGINT  NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    granted_at  BIGINT  NOT NULL,
    CONSTRAINT delegated_grants_link_user_key UNIQUE (link_id, user_id)
);
INSERT INTO delegated_grants (id, link_id, user_id, role_id, granted_at)
    SELECT id, link_id, user_id, role_id, granted_at FROM delegated_grants_old;

CREATE TABLE audit_events (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO audit_events (id, occurred_at, actor_user_id, actor_label, actor_account_id, account_id, action,
                          target_type, target_id, target_label, details, client_ip)
    SELECT id, occurred_at, actor_user_id, actor_label, actor_account_id, account_id, action,
           target_type, target_id, target_label, details, client_ip
    FROM audit_events_old;

-- 3. Old tables gone, children first (their indexes and the old search triggers go with them).
DROP TABLE delegated_grants_old;
DROP TABLE user_tokens_old;
DROP TABLE sessions_old;
DROP TABLE user_roles_old;
DROP TABLE partner_links_old;
DROP TABLE roles_old;
DROP TABLE users_old;
DROP TABLE accounts_old;
DROP TABLE outbox_old;
DROP TABLE audit_events_old;

-- 4. Indexes and triggers, as 0001-0004 made them.
CREATE UNIQUE INDEX users_one_primary_admin ON users (account_id) WHERE is_primary_admin = 1;
CREATE INDEX users_account ON users (account_id);
CREATE INDEX user_roles_role ON user_roles (role_id);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX audit_events_account_time ON audit_events (account_id, occurred_at);

CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_search (rowid, first_name, last_name, login_name, email)
    VALUES (new.id, new.first_name, new.last_name, new.login_name, new.email);
END;

CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    INSERT INTO users_search (users_search, rowid, first_name, last_name, login_name, email)
    VALUES ('delete', old.id, old.first_name, old.last_name, old.login_name, old.email);
END;

CREATE TRIGGER users_search_update AFTER UPDATE OF first_name, last_name, login_name, email ON users BEGIN
    INSERT INTO users_search (users_search, rowid, first_name, last_name, login_name, email)
    VALUES ('delete', old.id, old.first_name, old.last_name, old.login_name, old.email);
    INSERT INTO users_search (rowid, first_name, last_name, login_name, email)
    VALUES (new.id, new.first_name, new.last_name, new.login_name, new.email);
END;

CREATE INDEX users_account_first_name ON users (account_id, first_name, id);
CREATE INDEX users_account_last_name ON users (account_id, last_name, id);
CREATE INDEX users_account_login_name ON users (account_id, login_name, id);
CREATE INDEX users_account_email ON users (account_id, email, id);
CREATE INDEX users_account_last_login ON users (account_id, last_login_at, id);

CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE sent_at IS NULL;

CREATE INDEX user_tokens_user ON user_tokens (user_id, purpose);
CREATE INDEX user_tokens_expiry ON user_tokens (expires_at) WHERE alerted_at IS NULL;

CREATE UNIQUE INDEX partner_links_live_pair ON partner_links (partner_account_id, customer_account_id)
    WHERE status IN ('invited', 'active');
CREATE INDEX partner_links_customer ON partner_links (customer_account_id, status);
CREATE INDEX partner_links_partner ON partner_links (partner_account_id, status);

CREATE INDEX delegated_grants_user ON delegated_grants (user_id);

CREATE INDEX audit_events_account_action ON audit_events (account_id, action, occurred_at);
CREATE INDEX users_news ON users (subscribe_news) WHERE subscribe_news = 1;

-- 5. High-water marks: the next id is above every id still held or still named anywhere, so ids
-- deleted before this migration are not handed out again either. The audit log names accounts
-- and users by column (target_type is 'account' or 'user', see ssr/audit.rs) and sessions, roles
-- and partner links inside `details` (session_id; role_id, roles, roles_before, roles_after;
-- link_id). Details that are not valid JSON are read as '{}'.
DELETE FROM sqlite_sequence WHERE name IN ('accounts', 'users', 'roles', 'sessions', 'user_tokens',
    'outbox', 'partner_links', 'delegated_grants', 'audit_events');

INSERT INTO sqlite_sequence (name, seq) SELECT 'accounts', COALESCE(MAX(v), 0) FROM (
    SELECT MAX(id) AS v FROM accounts
    UNION ALL SELECT MAX(account_id) FROM audit_events
    UNION ALL SELECT MAX(actor_account_id) FROM audit_events
    UNION ALL SELECT MAX(target_id) FROM audit_events WHERE target_type = 'account'
    UNION ALL SELECT MAX(account_id) FROM users
    UNION ALL SELECT MAX(account_id) FROM roles
    UNION ALL SELECT MAX(acting_account_id) FROM sessions
    UNION ALL SELECT MAX(partner_account_id) FROM partner_links
    UNION ALL SELECT MAX(customer_account_id) FROM partner_links
);

INSERT INTO sqlite_sequence (name, seq) SELECT 'users', COALESCE(MAX(v), 0) FROM (
    SELECT MAX(id) AS v FROM users
    UNION ALL SELECT MAX(actor_user_id) FROM audit_events
    UNION ALL SELECT MAX(target_id) FROM audit_events WHERE target_type = 'user'
);

INSERT INTO sqlite_sequence (name, seq) SELECT 'roles', COALESCE(MAX(v), 0) FROM (
    SELECT MAX(id) AS v FROM roles
    UNION ALL SELECT MAX(CAST(json_extract(j, '$.role_id') AS INTEGER))
        FROM (SELECT CASE WHEN json_valid(details) THEN details ELSE '{}' END AS j FROM audit_events)
    UNION ALL SELECT MAX(CAST(r.value AS INTEGER))
        FROM (SELECT CASE WHEN json_valid(details) THEN details ELSE '{}' END AS j FROM audit_events) AS e,
             json_each(e.j, '$.roles') AS r
    UNION ALL SELECT MAX(CAST(r.value AS INTEGER))
        FROM (SELECT CASE WHEN json_valid(details) THEN details ELSE '{}' END AS j FROM audit_events) AS e,
             json_each(e.j, '$.roles_before') AS r
    UNION ALL SELECT MAX(CAST(r.value AS INTEGER))
        FROM (SELECT CASE WHEN json_valid(details) THEN details ELSE '{}' END AS j FROM audit_events) AS e,
             json_each(e.j, '$.roles_after') AS r
);

INSERT INTO sqlite_sequence (name, seq) SELECT 'sessions', COALESCE(MAX(v), 0) FROM (
    SELECT MAX(id) AS v FROM sessions
    UNION ALL SELECT MAX(CAST(json_extract(j, '$.session_id') AS INTEGER))
        FROM (SELECT CASE WHEN json_valid(details) THEN details ELSE '{}' END AS j FROM audit_events)
);

INSERT INTO sqlite_sequence (name, seq) SELECT 'partner_links', COALESCE(MAX(v), 0) FROM (
    SELECT MAX(id) AS v FROM partner_links
    UNION ALL SELECT MAX(link_id) FROM delegated_grants
    UNION ALL SELECT MAX(CAST(json_extract(j, '$.link_id') AS INTEGER))
        FROM (SELECT CASE WHEN json_valid(details) THEN details ELSE '{}' END AS j FROM audit_events)
);

INSERT INTO sqlite_sequence (name, seq) SELECT 'user_tokens', COALESCE(MAX(id), 0) FROM user_tokens;
INSERT INTO sqlite_sequence (name, seq) SELECT 'outbox', COALESCE(MAX(id), 0) FROM outbox;
INSERT INTO sqlite_sequence (name, seq) SELECT 'delegated_grants', COALESCE(MAX(id), 0) FROM delegated_grants;
INSERT INTO sqlite_sequence (name, seq) SELECT 'audit_events', COALESCE(MAX(id), 0) FROM audit_events;
