-- Abuse limits (app/src/ssr/quota.rs): how much of each quota an owner (an account, a user) has
-- used in its current window. Taken inside the action's transaction; swept once the window ends.
CREATE TABLE quotas (
    quota_key TEXT PRIMARY KEY,
    used BIGINT NOT NULL,
    window_ends_at BIGINT NOT NULL
);
CREATE INDEX quotas_window_ends ON quotas (window_ends_at);
