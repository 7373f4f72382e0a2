-- F4: substring filters that stay fast at a million users. An FTS5 trigram index mirrors the
-- four filterable columns (case-insensitive); triggers keep it in step with `users`.
CREATE VIRTUAL TABLE users_search USING fts5(
    first_name, last_name, login_name, email,
    content = 'users', content_rowid = 'id', tokenize = 'trigram case_sensitive 0'
);

CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_search (rowid, first_name, last_name, login_name, email)
    VALUES (new.id, new.first_name, new.last_name, new.login_name, new.email);
END;

CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    INSERT INTO users_search (users_search, rowid, first_name, last_name, login_name, email)
    VALUES ('delete', old.id, old.first_name, old.last_name, old.login_name, old.email);
END;

CREATE TRIGGER users_search_update AFTER UPDATE OF first_name, last_name, login_name, email ON users BEGIN
    INSERT INTO users_search (users_search, rowid, first_name, last_name, login_name, email)
    VALUES ('delete', old.id, old.first_name, old.last_name, old.login_name, old.email);
    INSERT INTO users_search (rowid, first_name, last_name, login_name, email)
    VALUES (new.id, new.first_name, new.last_name, new.login_name, new.email);
END;

-- Paging in every sort order without sorting the whole account.
CREATE INDEX users_account_first_name ON users (account_id, first_name, id);
CREATE INDEX users_account_last_name ON users (account_id, last_name, id);
CREATE INDEX users_account_login_name ON users (account_id, login_name, id);
CREATE INDEX users_account_email ON users (account_id, email, id);
CREATE INDEX users_account_last_login ON users (account_id, last_login_at, id);
