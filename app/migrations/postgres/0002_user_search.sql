-- F4: substring filters that stay fast at a million users: trigram GIN indexes (pg_trgm, a
-- trusted extension) on the lower-cased filterable columns.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX users_first_name_trgm ON users USING gin (lower(first_name) gin_trgm_ops);
CREATE INDEX users_last_name_trgm ON users USING gin (lower(last_name) gin_trgm_ops);
CREATE INDEX users_login_name_trgm ON users USING gin (lower(login_name) gin_trgm_ops);
CREATE INDEX users_email_trgm ON users USING gin (lower(email) gin_trgm_ops);

-- Paging in every sort order without sorting the whole account.
CREATE INDEX users_account_first_name ON users (account_id, first_name, id);
CREATE INDEX users_account_last_name ON users (account_id, last_name, id);
CREATE INDEX users_account_login_name ON users (account_id, login_name, id);
CREATE INDEX users_account_email ON users (account_id, email, id);
CREATE INDEX users_account_last_login ON users (account_id, last_login_at, id);
