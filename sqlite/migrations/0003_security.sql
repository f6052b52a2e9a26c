-- Security state shared by every process on this database (issue 5).
-- Times are Unix milliseconds.

-- Deny-list of revoked access tokens: a token's jti (or "sha256:" and the
-- hash of a token without one) until the token expires; purged after.
CREATE TABLE revoked_tokens (
    key        TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE INDEX revoked_tokens_by_expiry ON revoked_tokens (expires_at);

-- Login attempt counters: per hashed username or client id, and per source
-- address. A window opens at the first attempt counted.
CREATE TABLE login_attempts (
    key          TEXT PRIMARY KEY,
    count        INTEGER NOT NULL,
    window_start INTEGER NOT NULL
);
CREATE INDEX login_attempts_by_window ON login_attempts (window_start);

-- Audit log: who did what to whom, from where. Never a secret.
CREATE TABLE audit_events (
    id          TEXT PRIMARY KEY, -- time-ordered
    time        INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL DEFAULT '',
    source_addr TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_by_actor ON audit_events (actor, id);
CREATE INDEX audit_events_by_action ON audit_events (action, id);
