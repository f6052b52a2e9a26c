-- Accounts and credentials over their life (issue 6). Times are Unix
-- milliseconds; 0 means "never".

-- What a site can do; sites name capabilities by id in capability_ids, and
-- those ids need not be described here (imported sites keep theirs).
CREATE TABLE capabilities (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);

-- One-time links that reveal a generated password or client secret once.
-- Only the SHA-256 of the link token is kept; the secret is sealed with a
-- key derived from the token and erased when the link is opened.
CREATE TABLE share_links (
    token_hash TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    username   TEXT NOT NULL DEFAULT '',
    site_id    TEXT NOT NULL DEFAULT '',
    client_id  TEXT NOT NULL DEFAULT '',
    sealed     BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    expires_at INTEGER NOT NULL,
    opened_at  INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX allowances_by_action ON allowances (action);
