-- F4 at a million users: a role's holders in one account, read from one index. Built-in roles
-- are shared by every account, so "holders of user manager" had to look up each holder's user
-- to find the account's (10,000 lookups for 1 % of a million). Each grant now carries its
-- user's account, kept by triggers whatever statement grants a role or moves a user.
ALTER TABLE user_roles ADD COLUMN account_id BIGINT;
UPDATE user_roles SET account_id = u.account_id FROM users u WHERE u.id = user_roles.user_id;

DROP INDEX user_roles_role;
CREATE INDEX user_roles_role ON user_roles (role_id, account_id, user_id);

CREATE FUNCTION user_roles_take_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.account_id := (SELECT u.account_id FROM users u WHERE u.id = NEW.user_id);
    RETURN NEW;
END $$;
CREATE TRIGGER user_roles_take_account BEFORE INSERT ON user_roles
    FOR EACH ROW EXECUTE FUNCTION user_roles_take_account();

-- Joining or leaving an account, or the account's deletion (ON DELETE SET NULL).
CREATE FUNCTION users_roles_follow_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE user_roles SET account_id = NEW.account_id WHERE user_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER users_roles_follow_account AFTER UPDATE OF account_id ON users
    FOR EACH ROW WHEN (OLD.account_id IS DISTINCT FROM NEW.account_id)
    EXECUTE FUNCTION users_roles_follow_account();
