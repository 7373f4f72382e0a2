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
    account_id            INTEGER PRIMARY KEY,
    active                BIGINT NOT NULL DEFAULT 0,
    must_change_password  BIGINT NOT NULL DEFAULT 0,
    invited               BIGINT NOT NULL DEFAULT 0,
    locked                BIGINT NOT NULL DEFAULT 0,
    with_second_factor    BIGINT NOT NULL DEFAULT 0
);
INSERT INTO account_user_counts (account_id) SELECT id FROM accounts;
UPDATE account_user_counts SET
    active = (SELECT COUNT(*) FROM users u WHERE u.account_id = account_user_counts.account_id
              AND u.locked_at IS NULL AND u.password_hash IS NOT NULL AND u.must_change_password = 0),
    must_change_password = (SELECT COUNT(*) FROM users u WHERE u.account_id = account_user_counts.account_id
              AND u.locked_at IS NULL AND u.password_hash IS NOT NULL AND u.must_change_password = 1),
    invited = (SELECT COUNT(*) FROM users u WHERE u.account_id = account_user_counts.account_id
              AND u.locked_at IS NULL AND u.password_hash IS NULL),
    locked = (SELECT COUNT(*) FROM users u WHERE u.account_id = account_user_counts.account_id
              AND u.locked_at IS NOT NULL),
    with_second_factor = (SELECT COUNT(*) FROM users u WHERE u.account_id = account_user_counts.account_id
              AND u.has_second_factor = 1);

CREATE TRIGGER account_counts_insert AFTER INSERT ON accounts BEGIN
    INSERT INTO account_user_counts (account_id) VALUES (new.id);
END;
CREATE TRIGGER account_counts_delete AFTER DELETE ON accounts BEGIN
    DELETE FROM account_user_counts WHERE account_id = old.id;
END;

-- Adds `sign` (1 or -1) times a user's place in the counts of its account: a row inserted
-- into this view is applied, never stored (PostgreSQL's count_user). Comparisons are 0 or 1.
CREATE VIEW user_count_changes (account_id, sign, locked_at, password_hash, must_change_password, has_second_factor) AS
    SELECT NULL, NULL, NULL, NULL, NULL, NULL WHERE 0;
CREATE TRIGGER user_count_changes_apply INSTEAD OF INSERT ON user_count_changes BEGIN
    UPDATE account_user_counts SET
        active = active + new.sign * (new.locked_at IS NULL AND new.password_hash IS NOT NULL AND new.must_change_password = 0),
        must_change_password = must_change_password + new.sign * (new.locked_at IS NULL AND new.password_hash IS NOT NULL AND new.must_change_password = 1),
        invited = invited + new.sign * (new.locked_at IS NULL AND new.password_hash IS NULL),
        locked = locked + new.sign * (new.locked_at IS NOT NULL),
        with_second_factor = with_second_factor + new.sign * new.has_second_factor
    WHERE account_id = new.account_id;
END;

CREATE TRIGGER users_count_insert AFTER INSERT ON users WHEN new.account_id IS NOT NULL BEGIN
    INSERT INTO user_count_changes
    VALUES (new.account_id, 1, new.locked_at, new.password_hash, new.must_change_password, new.has_second_factor);
END;

CREATE TRIGGER users_count_delete AFTER DELETE ON users WHEN old.account_id IS NOT NULL BEGIN
    INSERT INTO user_count_changes
    VALUES (old.account_id, -1, old.locked_at, old.password_hash, old.must_change_password, old.has_second_factor);
END;

-- Only when something counted changes: a sign-in or a new password hash costs nothing here.
-- A user without an account matches no row of counts.
CREATE TRIGGER users_count_update AFTER UPDATE OF account_id, locked_at, password_hash, must_change_password, has_second_factor ON users
WHEN old.account_id IS NOT new.account_id
  OR (old.locked_at IS NULL) <> (new.locked_at IS NULL)
  OR (old.password_hash IS NULL) <> (new.password_hash IS NULL)
  OR old.must_change_password <> new.must_change_password
  OR old.has_second_factor <> new.has_second_factor
BEGIN
    INSERT INTO user_count_changes
    VALUES (old.account_id, -1, old.locked_at, old.password_hash, old.must_change_password, old.has_second_factor),
           (new.account_id, 1, new.locked_at, new.password_hash, new.must_change_password, new.has_second_factor);
END;

-- The second-factor flag follows the factor tables. When a user is deleted, the factors' cascade
-- finds no user row left to update, so the flag it had at deletion is what the count loses.
CREATE TRIGGER totp_factor_flag_insert AFTER INSERT ON totp_factors WHEN new.confirmed_at IS NOT NULL BEGIN
    UPDATE users SET has_second_factor = 1 WHERE id = new.user_id;
END;
CREATE TRIGGER totp_factor_flag_update AFTER UPDATE OF confirmed_at ON totp_factors BEGIN
    UPDATE users SET has_second_factor =
        (new.confirmed_at IS NOT NULL OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = new.user_id))
     WHERE id = new.user_id;
END;
CREATE TRIGGER totp_factor_flag_delete AFTER DELETE ON totp_factors BEGIN
    UPDATE users SET has_second_factor = EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = old.user_id)
     WHERE id = old.user_id;
END;
CREATE TRIGGER passkey_flag_insert AFTER INSERT ON passkeys BEGIN
    UPDATE users SET has_second_factor = 1 WHERE id = new.user_id;
END;
CREATE TRIGGER passkey_flag_delete AFTER DELETE ON passkeys BEGIN
    UPDATE users SET has_second_factor =
        (EXISTS (SELECT 1 FROM totp_factors f WHERE f.user_id = old.user_id AND f.confirmed_at IS NOT NULL)
         OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = old.user_id))
     WHERE id = old.user_id;
END;
