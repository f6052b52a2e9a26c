-- Accounts and credentials over their life (issue 6). Times are
-- timestamptz; NULL means "never".

-- What a site can do; sites name capabilities by id in capability_ids, and
-- those ids need not be described here (imported sites keep theirs).
CREATE TABLE capabilities (
    id          text COLLATE "C" PRIMARY KEY,
    name        text NOT NULL DEFAULT '',
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL
);

-- One-time links that reveal a generated password or client secret once.
-- Only the SHA-256 of the link token is kept; the secret is sealed with a
-- key derived from the token and erased when the link is opened.
CREATE TABLE share_links (
    token_hash text COLLATE "C" PRIMARY KEY,
    kind       text NOT NULL,
    username   text NOT NULL DEFAULT '',
    site_id    text NOT NULL DEFAULT '',
    client_id  text NOT NULL DEFAULT '',
    sealed     bytea NOT NULL,
    created_at timestamptz NOT NULL,
    created_by text NOT NULL DEFAULT '',
    expires_at timestamptz NOT NULL,
    opened_at  timestamptz
);

CREATE INDEX allowances_by_action ON allowances (action);
