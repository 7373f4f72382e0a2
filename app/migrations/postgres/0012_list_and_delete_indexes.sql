-- F4 keyset paging: the users list sorts by last login with "never" as 0, so never sorts first
-- on both backends and a page's cursor always has a value. The index follows the expression.
DROP INDEX users_account_last_login;
CREATE INDEX users_account_last_login ON users (account_id, COALESCE(last_login_at, 0), id);

-- P3: deleting users cascades to every table that names them; these two had no index to find
-- a user's rows by, so each deleted user read the whole table.
CREATE INDEX second_steps_user ON second_steps (user_id);
CREATE INDEX passkey_ceremonies_user ON passkey_ceremonies (user_id);

-- The role filter reads a role's holders from the index alone (it held role ids and row ids).
DROP INDEX user_roles_role;
CREATE INDEX user_roles_role ON user_roles (role_id, user_id);
