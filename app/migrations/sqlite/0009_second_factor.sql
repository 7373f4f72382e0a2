-- Second factor (SPEC F15). One authenticator app (TOTP) per user, its secret sealed with the
-- server's key (app/src/ssr/sealing.rs); `confirmed_at` is NULL until a first code proves the
-- app holds it. `last_step` is the last time step whose code was accepted: each step once.
CREATE TABLE totp_factors (
    user_id      INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT   NOT NULL,
    secret       BLOB  NOT NULL,
    confirmed_at BIGINT,
    last_step    BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL
);

-- Ten single-use recovery codes per user, kept as SHA-256 (they are random, not chosen).
CREATE TABLE recovery_codes (
    user_id   INTEGER  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

-- A sign-in between its password and its second step: the browser holds the token in an
-- HttpOnly cookie; no session exists until the second step succeeds. Swept once expired.
CREATE TABLE second_steps (
    token_hash TEXT   PRIMARY KEY,
    user_id    INTEGER    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);
CREATE INDEX second_steps_expires ON second_steps (expires_at);

-- Whom the account requires a second factor of: 'nobody', 'administrators' or 'everyone'.
ALTER TABLE accounts ADD COLUMN second_factor_policy TEXT NOT NULL DEFAULT 'nobody';
