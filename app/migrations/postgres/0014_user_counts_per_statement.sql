-- P3 on PostgreSQL: the kept user counts follow each statement, not each row. Row by row, a
-- bulk delete of 10,000 users updated its account's one row of counts 10,000 times in one
-- transaction; every update leaves a row version the next one walks past, so the statement
-- took 2.3 s instead of 0.23 s (and seeding a million users, minutes). Now each statement on
-- `users` adds up what it changed per account from its transition tables and updates each
-- account's counts once. (SQLite's triggers cost little row by row; they stay as they are.)
DROP TRIGGER users_counts_insert_or_delete ON users;
DROP TRIGGER users_counts_update ON users;
DROP FUNCTION users_counts_follow();
DROP FUNCTION count_user(users, BIGINT);

-- The rows a statement removed (`gone`) count -1 and those it added (`added`) +1, by account.
-- One text for the three triggers, as each names only the transition tables its event has.
-- An update that changes nothing counted (a sign-in, a new password hash) writes nothing.
CREATE FUNCTION users_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed text := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT 1 AS sign, * FROM added'
        WHEN 'DELETE' THEN 'SELECT -1 AS sign, * FROM gone'
        ELSE 'SELECT -1 AS sign, * FROM gone UNION ALL SELECT 1, * FROM added'
    END;
BEGIN
    EXECUTE format($sql$
        UPDATE account_user_counts c SET
            active = c.active + d.active,
            must_change_password = c.must_change_password + d.must_change_password,
            invited = c.invited + d.invited,
            locked = c.locked + d.locked,
            with_second_factor = c.with_second_factor + d.with_second_factor
        FROM (SELECT account_id,
                     SUM(sign * (locked_at IS NULL AND password_hash IS NOT NULL AND must_change_password = 0)::int) AS active,
                     SUM(sign * (locked_at IS NULL AND password_hash IS NOT NULL AND must_change_password = 1)::int) AS must_change_password,
                     SUM(sign * (locked_at IS NULL AND password_hash IS NULL)::int) AS invited,
                     SUM(sign * (locked_at IS NOT NULL)::int) AS locked,
                     SUM(sign * has_second_factor) AS with_second_factor
                FROM (%s) AS changed
               WHERE account_id IS NOT NULL
               GROUP BY account_id) AS d
        WHERE c.account_id = d.account_id
          AND (d.active, d.must_change_password, d.invited, d.locked, d.with_second_factor) <> (0, 0, 0, 0, 0)
    $sql$, changed);
    RETURN NULL;
END $$;
CREATE TRIGGER users_counts_insert AFTER INSERT ON users
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION users_counts_follow();
CREATE TRIGGER users_counts_update AFTER UPDATE ON users
    REFERENCING OLD TABLE AS gone NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION users_counts_follow();
CREATE TRIGGER users_counts_delete AFTER DELETE ON users
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION users_counts_follow();
