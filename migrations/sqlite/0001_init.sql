-- 0001: initial schema of the sqlite store.
--
-- Conventions: times are INTEGER Unix milliseconds (UTC); NULL means "not
-- set" (no expiry, never used). Lists are JSON arrays of strings. Tables are
-- STRICT so a type mistake fails loudly instead of being coerced.

-- OAuth clients: registered dynamically (RFC 7591), from a Client ID Metadata
-- Document, or configured statically.
CREATE TABLE clients (
    id                              TEXT PRIMARY KEY,
    secret_hash                     BLOB,               -- SHA-256 of the secret; NULL for public clients
    redirect_uris                   TEXT NOT NULL DEFAULT '[]',
    grant_types                     TEXT NOT NULL DEFAULT '[]',
    response_types                  TEXT NOT NULL DEFAULT '[]',
    scopes                          TEXT NOT NULL DEFAULT '[]',
    audience                        TEXT NOT NULL DEFAULT '[]',
    token_endpoint_auth_method      TEXT NOT NULL,
    name                            TEXT NOT NULL DEFAULT '',
    registration_access_token_hash  BLOB,               -- SHA-256 of the RFC 7592 token
    created_at                      INTEGER NOT NULL,
    last_used_at                    INTEGER,
    origin                          TEXT NOT NULL CHECK (origin IN ('dcr', 'cimd', 'static')),
    metadata                        TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX clients_origin_last_used ON clients (origin, last_used_at);

-- Grants: one row per fosite request id (the authorization, stable across
-- refreshes). Every code and token row belongs to one; deleting a grant
-- (or its client) deletes them all.
CREATE TABLE grants (
    request_id       TEXT PRIMARY KEY,
    subject          TEXT NOT NULL DEFAULT '',
    client_id        TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    created_at       INTEGER NOT NULL,
    absolute_expiry  INTEGER                             -- refreshing never extends it; NULL = none
) STRICT;
CREATE INDEX grants_subject ON grants (subject);
CREATE INDEX grants_client_id ON grants (client_id);
CREATE INDEX grants_absolute_expiry ON grants (absolute_expiry);

-- fosite token tables. `request` is the serialized fosite.Requester (JSON).
CREATE TABLE authorize_codes (
    signature     TEXT PRIMARY KEY,
    request_id    TEXT NOT NULL REFERENCES grants (request_id) ON DELETE CASCADE,
    client_id     TEXT NOT NULL,
    subject       TEXT NOT NULL DEFAULT '',
    active        INTEGER NOT NULL DEFAULT 1,           -- 0 once redeemed
    requested_at  INTEGER NOT NULL,
    expires_at    INTEGER,
    request       TEXT NOT NULL
) STRICT;
CREATE INDEX authorize_codes_request_id ON authorize_codes (request_id);
CREATE INDEX authorize_codes_expires_at ON authorize_codes (expires_at);

CREATE TABLE pkce_requests (
    signature     TEXT PRIMARY KEY,                     -- the authorization code's signature
    request_id    TEXT NOT NULL REFERENCES grants (request_id) ON DELETE CASCADE,
    client_id     TEXT NOT NULL,
    subject       TEXT NOT NULL DEFAULT '',
    requested_at  INTEGER NOT NULL,
    expires_at    INTEGER,
    request       TEXT NOT NULL
) STRICT;
CREATE INDEX pkce_requests_request_id ON pkce_requests (request_id);
CREATE INDEX pkce_requests_expires_at ON pkce_requests (expires_at);

CREATE TABLE access_tokens (
    signature     TEXT PRIMARY KEY,
    request_id    TEXT NOT NULL REFERENCES grants (request_id) ON DELETE CASCADE,
    client_id     TEXT NOT NULL,
    subject       TEXT NOT NULL DEFAULT '',
    requested_at  INTEGER NOT NULL,
    expires_at    INTEGER,
    request       TEXT NOT NULL
) STRICT;
CREATE INDEX access_tokens_request_id ON access_tokens (request_id);
CREATE INDEX access_tokens_expires_at ON access_tokens (expires_at);

CREATE TABLE refresh_tokens (
    signature         TEXT PRIMARY KEY,
    request_id        TEXT NOT NULL REFERENCES grants (request_id) ON DELETE CASCADE,
    client_id         TEXT NOT NULL,
    subject           TEXT NOT NULL DEFAULT '',
    active            INTEGER NOT NULL DEFAULT 1,       -- 0 once rotated
    requested_at      INTEGER NOT NULL,
    expires_at        INTEGER,
    access_signature  TEXT NOT NULL DEFAULT '',         -- the access token issued with it
    rotated_at        INTEGER,                          -- when it was rotated (grace-window support)
    replaced_by       TEXT,                             -- signature of the refresh token that replaced it
    request           TEXT NOT NULL
) STRICT;
CREATE INDEX refresh_tokens_request_id ON refresh_tokens (request_id);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

-- JTIs of client assertions seen (private_key_jwt replay cache).
CREATE TABLE jwt_assertions (
    jti         TEXT PRIMARY KEY,
    expires_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX jwt_assertions_expires_at ON jwt_assertions (expires_at);

-- Remembered consent per user and client.
CREATE TABLE consents (
    subject     TEXT NOT NULL,
    client_id   TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    scopes      TEXT NOT NULL DEFAULT '[]',
    granted_at  INTEGER NOT NULL,
    PRIMARY KEY (subject, client_id)
) STRICT;
CREATE INDEX consents_client_id ON consents (client_id);

-- Token signing keys of the authorization server.
CREATE TABLE signing_keys (
    kid          TEXT PRIMARY KEY,
    alg          TEXT NOT NULL,
    private_key  BLOB NOT NULL,                         -- PEM (PKCS#8) or JWK JSON, as the AS chooses
    created_at   INTEGER NOT NULL,
    not_after    INTEGER,                               -- stop publishing after; NULL = no end
    active       INTEGER NOT NULL DEFAULT 1             -- 1 = may sign new tokens
) STRICT;

-- Append-only log of revocations the resource server must learn about.
-- AUTOINCREMENT: a seq is never reused, even after old entries are collected.
CREATE TABLE revocations (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    kind   TEXT NOT NULL CHECK (kind IN ('grant', 'client', 'subject')),
    value  TEXT NOT NULL,
    at     INTEGER NOT NULL
) STRICT;
CREATE INDEX revocations_kind_value ON revocations (kind, value);
CREATE INDEX revocations_at ON revocations (at);
