-- 0002: the audit log (registrations, logins, consents, token issuance,
-- refresh, revocation, reuse detection). Append-only; GC prunes entries
-- older than the configured retention. No secrets or tokens are stored.
CREATE TABLE audit_events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,                  -- Unix milliseconds
    type       TEXT NOT NULL,
    outcome    TEXT NOT NULL DEFAULT '',
    client_id  TEXT NOT NULL DEFAULT '',
    subject    TEXT NOT NULL DEFAULT '',
    idp        TEXT NOT NULL DEFAULT '',
    grant_id   TEXT NOT NULL DEFAULT '',
    ip         TEXT NOT NULL DEFAULT '',
    reason     TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_events_at ON audit_events (at);
