-- Security state shared by every instance (issue 5). Keys compare by code
-- point (COLLATE "C"), as in 0001.

-- Deny-list of revoked access tokens: a token's jti (or "sha256:" and the
-- hash of a token without one) until the token expires; purged after.
CREATE TABLE revoked_tokens (
    key        text COLLATE "C" PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX revoked_tokens_by_expiry ON revoked_tokens (expires_at);

-- Login attempt counters: per hashed username or client id, and per source
-- address. A window opens at the first attempt counted.
CREATE TABLE login_attempts (
    key          text COLLATE "C" PRIMARY KEY,
    count        integer NOT NULL,
    window_start timestamptz NOT NULL
);
CREATE INDEX login_attempts_by_window ON login_attempts (window_start);

-- Audit log: who did what to whom, from where. Never a secret.
CREATE TABLE audit_events (
    id          text COLLATE "C" PRIMARY KEY, -- time-ordered
    time        timestamptz NOT NULL,
    actor       text COLLATE "C" NOT NULL,
    action      text COLLATE "C" NOT NULL,
    target      text NOT NULL DEFAULT '',
    source_addr text NOT NULL DEFAULT '',
    detail      text NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_by_actor ON audit_events (actor, id);
CREATE INDEX audit_events_by_action ON audit_events (action, id);
