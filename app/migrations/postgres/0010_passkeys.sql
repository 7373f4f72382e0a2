-- Passkeys (SPEC F15): WebAuthn credentials a user registered, each named. `passkey` is the
-- credential as webauthn-rs keeps it (public key, sign counter, backup state) in JSON;
-- `credential_id` (base64url) is unique across users, as WebAuthn requires. `user_handle` is
-- the user's WebAuthn id, the same for all their passkeys: a passkey-only sign-in finds its
-- user by it.
CREATE TABLE passkeys (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id TEXT    NOT NULL UNIQUE,
    user_handle   TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    passkey       TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    last_used_at  BIGINT
);
CREATE INDEX passkeys_user ON passkeys (user_id);

-- A WebAuthn ceremony between its challenge and its answer: the server's half of it
-- (challenge, expected credentials), spent by the answer, swept once expired. The browser
-- holds only `token` (hashed here), which names it.
CREATE TABLE passkey_ceremonies (
    token_hash TEXT    PRIMARY KEY,
    purpose    TEXT    NOT NULL,
    user_id    BIGINT  REFERENCES users (id) ON DELETE CASCADE,
    state      TEXT    NOT NULL,
    expires_at BIGINT  NOT NULL
);
CREATE INDEX passkey_ceremonies_expires ON passkey_ceremonies (expires_at);
