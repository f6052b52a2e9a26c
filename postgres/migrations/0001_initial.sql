-- Keys (usernames, site and client ids) compare and sort by code point
-- (COLLATE "C"), as Go strings and the SQLite store do, so that ordering and
-- paging never depend on the server's locale.
-- Times are timestamptz; NULL means "never".

CREATE TABLE users (
    username           text COLLATE "C" NOT NULL,
    -- FoldUsername(username): refuses look-alike accounts.
    fold_key           text NOT NULL,
    email              text NOT NULL DEFAULT '',
    full_name          text NOT NULL DEFAULT '',
    disabled           boolean NOT NULL DEFAULT false,
    password_hash      text NOT NULL,
    created_at         timestamptz NOT NULL,
    tokens_valid_after timestamptz,
    -- Named so that a unique violation says which rule was broken.
    CONSTRAINT users_pkey PRIMARY KEY (username),
    CONSTRAINT users_fold_key_key UNIQUE (fold_key)
);

-- A user's site_admin list, in the order granted. Sites need not exist.
CREATE TABLE site_admins (
    seq      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username text COLLATE "C" NOT NULL REFERENCES users (username) ON DELETE CASCADE ON UPDATE CASCADE,
    site_id  text COLLATE "C" NOT NULL,
    UNIQUE (username, site_id)
);
CREATE INDEX site_admins_by_site ON site_admins (site_id);

CREATE TABLE sites (
    id             text COLLATE "C" PRIMARY KEY,
    capability_ids text[] NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL
);

CREATE TABLE site_clients (
    id                 text COLLATE "C" PRIMARY KEY,
    site_id            text COLLATE "C" NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    secret_hash        text NOT NULL,
    created_at         timestamptz NOT NULL,
    created_by         text NOT NULL DEFAULT '',
    last_used_at       timestamptz,
    tokens_valid_after timestamptz
);
CREATE INDEX site_clients_by_site ON site_clients (site_id);

CREATE TABLE allowances (
    username text COLLATE "C" NOT NULL,
    action   text COLLATE "C" NOT NULL,
    PRIMARY KEY (username, action)
);

-- Named values shared by every instance on this database (the signing key).
CREATE TABLE settings (
    name  text COLLATE "C" PRIMARY KEY,
    value bytea NOT NULL
);
