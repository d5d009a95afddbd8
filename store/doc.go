// Package store is the persistence layer of the authorization server: narrow
// interfaces (Store and its parts), the value types they exchange, and what
// every backend shares — the fosite Session type, the SHA-256 client-secret
// hasher, the request codec and the garbage-collection loop.
//
// A backend (store/sqlite today) implements Store and must pass the
// conformance suite in store/conformance, which also drives a real fosite
// provider composed on the backend.
//
// # Design notes
//
// fosite v0.49.0 contracts. The comment on FositeStorage lists the semantics
// a backend reproduces. The ones that are easy to get wrong: a redeemed code
// and a rotated refresh token are returned together with
// fosite.ErrInvalidatedAuthorizeCode / fosite.ErrInactiveToken (not as
// "not found"), which is what makes fosite revoke the grant on replay and
// reuse; revocation is by request id (the grant), not by signature;
// invalidation and rotation are conditional updates, because fosite reads a
// code or refresh token before it opens its transaction.
//
// Concurrent use of one code in fosite v0.49.0. A losing redemption that
// read the code before the winner committed fails inside fosite's
// PopulateTokenEndpointResponse, which wraps every storage error as
// server_error (500). The AS turns errors for which IsConcurrentUse is true
// into invalid_grant. A refresh race never yields a 500: the loser of the
// rotation gets invalid_request (fosite.ErrSerializationFailure, "retry"),
// but a loser that reads the token after the winner committed sees a
// rotated token and fosite revokes the whole family, the winner's new
// tokens included — which is why the AS needs its grace window.
//
// Grants. Every code and token belongs to a grant row keyed by fosite's
// request id, created with the first code or token. Deleting a client or a
// grant cascades to everything it holds. The grant id is stable across
// refreshes, so it is also the access token's grant_id claim and the key of
// the revocation log. Session.GrantExpiresAt is the grant's absolute
// lifetime: the session caps every expiry it reports at it, so fosite itself
// refuses a refresh after the grant's end, and GC removes the grant.
//
// Revocation log. Every revocation the resource server must learn about is
// appended in the same transaction as the revocation itself: by
// RevokeRefreshToken/RevokeAccessToken (fosite's reuse detection, code
// replay, RFC 7009), RevokeGrant and DeleteClient. Subject revocations are
// appended by the AS (AppendRevocation).
//
// Refresh grace window (an AS feature). The store records, on a rotated
// refresh token, when it was rotated and the signature of the token that
// replaced it (RefreshTokenStatus), so the AS can answer a concurrent
// refresh with the same old token by replaying the first response while the
// replacement is still active, instead of treating it as reuse.
//
// Audit log. AppendAudit records security events (registrations, logins,
// consents, token issuance, refresh and revocation, reuse detections) with
// identifiers and reasons only, never secrets; events are numbered in
// order (a seq is never reused) and GC prunes those older than the
// backend's audit retention (DefaultAuditRetention unless configured).
//
// Clients. Client implements fosite.Client, not fosite.OpenIDConnectClient,
// so fosite accepts client_secret_basic and client_secret_post alike; the AS
// configures SHA256Hasher as fosite.Config.ClientSecretsHasher. Codes and
// tokens reference their client row, so a client known only through a
// Client ID Metadata Document is stored (origin "cimd") before its first
// authorization.
package store
