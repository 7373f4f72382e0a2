-- Single-use links (S2): user invitations and password resets. Only the SHA-256 of a link's
-- token is stored; a used link's row is deleted, so "used" and "unknown" look alike.
CREATE TABLE user_tokens (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT    NOT NULL,
    user_id     BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     TEXT    NOT NULL CHECK (purpose IN ('invitation', 'password_reset')),
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    CONSTRAINT user_tokens_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX user_tokens_user ON user_tokens (user_id, purpose);

-- A temporary password (F4 reset) works for one login only, and not after this time.
ALTER TABLE users ADD COLUMN temporary_password_expires_at BIGINT;

-- Transactional outbox (F9): a mail is stored in the transaction of the action that sends it,
-- then a worker delivers it. The body is erased once delivered (it may hold a secret).
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    recipient        TEXT    NOT NULL,
    subject          TEXT    NOT NULL,
    body             TEXT    NOT NULL,
    created_at       BIGINT  NOT NULL,
    next_attempt_at  BIGINT  NOT NULL,
    attempts         BIGINT  NOT NULL DEFAULT 0,
    sent_at          BIGINT,
    last_error       TEXT
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE sent_at IS NULL;
