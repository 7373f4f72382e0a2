-- SPEC S9, nothing outlives its purpose. A mail that could not be delivered in time is given up:
-- `failed_at` is set and its body erased (it may hold a temporary password or a link). The
-- sweeper (app/src/ssr/sweeper.rs) deletes, in bounded batches, what has expired; these indexes
-- let each of its batches find its rows without scanning the table.
ALTER TABLE outbox ADD COLUMN failed_at BIGINT;
DROP INDEX outbox_pending;
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX outbox_sent ON outbox (sent_at);
CREATE INDEX outbox_failed ON outbox (failed_at);
CREATE INDEX sessions_expiry ON sessions (expires_at);
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);
CREATE INDEX user_tokens_expires ON user_tokens (expires_at);
CREATE INDEX login_throttle_window ON login_throttle (window_started_at);
