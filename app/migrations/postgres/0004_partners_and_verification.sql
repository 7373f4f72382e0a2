-- F1 e-mail verification joins the single-use links; alerts (F9) remember which links they
-- already announced.
ALTER TABLE user_tokens DROP CONSTRAINT user_tokens_purpose_check;
ALTER TABLE user_tokens ADD CONSTRAINT user_tokens_purpose_check
    CHECK (purpose IN ('invitation', 'password_reset', 'email_verification'));
ALTER TABLE user_tokens ADD COLUMN alerted_at BIGINT;
CREATE INDEX user_tokens_expiry ON user_tokens (expires_at) WHERE alerted_at IS NULL;

-- F7: "partner P may administer customer C". A partner's shareable invitation has no customer
-- until a customer admin confirms it; only the SHA-256 of its token is kept, and cleared on use.
-- Expiry is computed on read (`invited` past `expires_at` shows as expired).
CREATE TABLE partner_links (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
-- One live relationship per pair: a second invitation or acceptance is a conflict.
CREATE UNIQUE INDEX partner_links_live_pair ON partner_links (partner_account_id, customer_account_id)
    WHERE status IN ('invited', 'active');
CREATE INDEX partner_links_customer ON partner_links (customer_account_id, status);
CREATE INDEX partner_links_partner ON partner_links (partner_account_id, status);

-- F7 delegation: one partner staff member's access to one customer, scoped by a customer role.
CREATE TABLE delegated_grants (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    link_id     BIGINT  NOT NULL REFERENCES partner_links (id) ON DELETE CASCADE,
    user_id     BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id     BIGINT  NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    granted_at  BIGINT  NOT NULL,
    CONSTRAINT delegated_grants_link_user_key UNIQUE (link_id, user_id)
);
CREATE INDEX delegated_grants_user ON delegated_grants (user_id);

-- F8: the audit page filters by action and actor within an account's time range.
CREATE INDEX audit_events_account_action ON audit_events (account_id, action, occurred_at);
CREATE INDEX users_news ON users (subscribe_news) WHERE subscribe_news = 1;
