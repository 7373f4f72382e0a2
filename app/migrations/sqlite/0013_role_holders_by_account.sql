-- F4 at a million users: a role's holders in one account, read from one index. Built-in roles
-- are shared by every account, so "holders of user manager" had to look up each holder's user
-- to find the account's (10,000 lookups for 1 % of a million). Each grant now carries its
-- user's account, kept by triggers whatever statement grants a role or moves a user.
ALTER TABLE user_roles ADD COLUMN account_id BIGINT;
UPDATE user_roles SET account_id = (SELECT u.account_id FROM users u WHERE u.id = user_roles.user_id);

DROP INDEX user_roles_role;
CREATE INDEX user_roles_role ON user_roles (role_id, account_id, user_id);

CREATE TRIGGER user_roles_take_account AFTER INSERT ON user_roles BEGIN
    UPDATE user_roles SET account_id = (SELECT u.account_id FROM users u WHERE u.id = new.user_id)
     WHERE user_id = new.user_id AND role_id = new.role_id;
END;

-- Joining or leaving an account, or the account's deletion (ON DELETE SET NULL).
CREATE TRIGGER users_roles_follow_account AFTER UPDATE OF account_id ON users
WHEN old.account_id IS NOT new.account_id
BEGIN
    UPDATE user_roles SET account_id = new.account_id WHERE user_id = new.id;
END;
