-- F4/F11 at a million users: each account's users counted by status and by second factor, so
-- the users list's unfiltered and status totals and the dashboard's counts are one row read.
-- Triggers keep the counts in the same transaction as every change to a user, whichever
-- statement makes it (create, import, invite, accept, lock, bulk actions, joining or leaving).
--
-- A user's status, as the users list filters it: locked wins, then invited (no password yet),
-- then must change password, else active. `users.has_second_factor` mirrors "a confirmed TOTP
-- factor or at least one passkey", kept by the factor tables' triggers below.

ALTER TABLE users ADD COLUMN has_second_factor BIGINT NOT NULL DEFAULT 0 CHECK (has_second_factor IN (0, 1));
UPDATE users SET has_second_factor = 1
 WHERE EXISTS (SELECT 1 FROM totp_factors f WHERE f.user_id = users.id AND f.confirmed_at IS NOT NULL)
    OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = users.id);

CREATE TABLE account_user_counts (
    account_id            BIGINT PRIMARY KEY,
    active                BIGINT NOT NULL DEFAULT 0,
    must_change_password  BIGINT NOT NULL DEFAULT 0,
    invited               BIGINT NOT NULL DEFAULT 0,
    locked                BIGINT NOT NULL DEFAULT 0,
    with_second_factor    BIGINT NOT NULL DEFAULT 0
);
INSERT INTO account_user_counts (account_id, active, must_change_password, invited, locked, with_second_factor)
SELECT a.id,
       COUNT(u.id) FILTER (WHERE u.locked_at IS NULL AND u.password_hash IS NOT NULL AND u.must_change_password = 0),
       COUNT(u.id) FILTER (WHERE u.locked_at IS NULL AND u.password_hash IS NOT NULL AND u.must_change_password = 1),
       COUNT(u.id) FILTER (WHERE u.locked_at IS NULL AND u.password_hash IS NULL),
       COUNT(u.id) FILTER (WHERE u.locked_at IS NOT NULL),
       COUNT(u.id) FILTER (WHERE u.has_second_factor = 1)
  FROM accounts a LEFT JOIN users u ON u.account_id = a.id
 GROUP BY a.id;

CREATE FUNCTION account_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO account_user_counts (account_id) VALUES (NEW.id);
    ELSE
        DELETE FROM account_user_counts WHERE account_id = OLD.id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER account_counts_follow AFTER INSERT OR DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION account_counts_follow();

-- Adds `sign` (1 or -1) times the user's place in the counts of its account.
CREATE FUNCTION count_user(u users, sign BIGINT) RETURNS void LANGUAGE sql AS $$
    UPDATE account_user_counts SET
        active = active + sign * (u.locked_at IS NULL AND u.password_hash IS NOT NULL AND u.must_change_password = 0)::int,
        must_change_password = must_change_password + sign * (u.locked_at IS NULL AND u.password_hash IS NOT NULL AND u.must_change_password = 1)::int,
        invited = invited + sign * (u.locked_at IS NULL AND u.password_hash IS NULL)::int,
        locked = locked + sign * (u.locked_at IS NOT NULL)::int,
        with_second_factor = with_second_factor + sign * u.has_second_factor
    WHERE account_id = u.account_id
$$;

CREATE FUNCTION users_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.account_id IS NOT NULL THEN
        PERFORM count_user(OLD, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.account_id IS NOT NULL THEN
        PERFORM count_user(NEW, 1);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER users_counts_insert_or_delete AFTER INSERT OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION users_counts_follow();
-- Only when something counted changes: a sign-in or a new password hash costs nothing here.
CREATE TRIGGER users_counts_update AFTER UPDATE OF account_id, locked_at, password_hash, must_change_password, has_second_factor ON users
    FOR EACH ROW
    WHEN (OLD.account_id IS DISTINCT FROM NEW.account_id
       OR (OLD.locked_at IS NULL) <> (NEW.locked_at IS NULL)
       OR (OLD.password_hash IS NULL) <> (NEW.password_hash IS NULL)
       OR OLD.must_change_password <> NEW.must_change_password
       OR OLD.has_second_factor <> NEW.has_second_factor)
    EXECUTE FUNCTION users_counts_follow();

-- The second-factor flag follows the factor tables. When a user is deleted, the factors' cascade
-- finds no user row left to update, so the flag it had at deletion is what the count loses.
CREATE FUNCTION second_factor_flag_follow() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    owner BIGINT := CASE WHEN TG_OP = 'DELETE' THEN OLD.user_id ELSE NEW.user_id END;
BEGIN
    -- Lock the user first, so the next statement's snapshot sees a concurrent change to the
    -- same user's factors that committed meanwhile (READ COMMITTED takes one per statement).
    PERFORM 1 FROM users WHERE id = owner FOR UPDATE;
    UPDATE users SET has_second_factor =
        (EXISTS (SELECT 1 FROM totp_factors f WHERE f.user_id = owner AND f.confirmed_at IS NOT NULL)
         OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = owner))::int
     WHERE id = owner;
    RETURN NULL;
END $$;
CREATE TRIGGER totp_factor_flag AFTER INSERT OR DELETE OR UPDATE OF confirmed_at ON totp_factors
    FOR EACH ROW EXECUTE FUNCTION second_factor_flag_follow();
CREATE TRIGGER passkey_flag AFTER INSERT OR DELETE ON passkeys
    FOR EACH ROW EXECUTE FUNCTION second_factor_flag_follow();
