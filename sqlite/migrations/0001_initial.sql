-- Times are Unix milliseconds; 0 means "never".
CREATE TABLE users (
    username           TEXT PRIMARY KEY,
    -- FoldUsername(username): refuses look-alike accounts.
    fold_key           TEXT NOT NULL UNIQUE,
    email              TEXT NOT NULL DEFAULT '',
    full_name          TEXT NOT NULL DEFAULT '',
    disabled           INTEGER NOT NULL DEFAULT 0,
    password_hash      TEXT NOT NULL,
    created_at         INTEGER NOT NULL,
    tokens_valid_after INTEGER NOT NULL DEFAULT 0
);

-- A user's site_admin list, in the order granted. Sites need not exist.
CREATE TABLE site_admins (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE ON UPDATE CASCADE,
    site_id  TEXT NOT NULL,
    UNIQUE (username, site_id)
);
CREATE INDEX site_admins_by_site ON site_admins (site_id);

CREATE TABLE sites (
    id             TEXT PRIMARY KEY,
    capability_ids TEXT NOT NULL DEFAULT '[]', -- JSON array
    created_at     INTEGER NOT NULL
);

CREATE TABLE site_clients (
    id                 TEXT PRIMARY KEY,
    site_id            TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    secret_hash        TEXT NOT NULL,
    created_at         INTEGER NOT NULL,
    created_by         TEXT NOT NULL DEFAULT '',
    last_used_at       INTEGER NOT NULL DEFAULT 0,
    tokens_valid_after INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX site_clients_by_site ON site_clients (site_id);

CREATE TABLE allowances (
    username TEXT NOT NULL,
    action   TEXT NOT NULL,
    PRIMARY KEY (username, action)
);

-- Named values shared by every process on this database (the signing key).
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
