package store

import (
	"context"
	"time"
)

// DefaultAuditRetention is how long backends keep audit events when not
// configured otherwise (30 days).
const DefaultAuditRetention = 720 * time.Hour

// Audit event types: what happened. They are stable strings (scripts read
// them from `zscaler-mcp audit tail --json`).
const (
	AuditClientRegistered = "client.registered"   // POST /register (RFC 7591)
	AuditClientUpdated    = "client.updated"      // PUT /register/{id} (RFC 7592)
	AuditClientDeleted    = "client.deleted"      // DELETE /register/{id} or `clients delete`
	AuditClientCIMDFailed = "client.cimd_failed"  // a Client ID Metadata Document could not be used
	AuditLogin            = "login"               // upstream IdP login: success or refusal
	AuditConsent          = "consent"             // consent page: approve or deny
	AuditTokenIssued      = "token.issued"        // authorization code exchanged
	AuditTokenRefreshed   = "token.refreshed"     // refresh token rotated
	AuditTokenRevoked     = "token.revoked"       // RFC 7009 /revoke or `tokens revoke`
	AuditCodeReplay       = "token.code_replay"   // a redeemed code presented again: its grant is revoked
	AuditRefreshReuse     = "token.refresh_reuse" // a rotated refresh token presented again: its grant is revoked
	AuditKeysRotated      = "keys.rotated"        // signing key rotation (`keys rotate`)
)

// Audit outcomes.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure" // an error: upstream failure, invalid input
	OutcomeDenied  = "denied"  // refused by a rule or by the user
)

// AuditEvent is one entry of the audit log. It never carries secrets or
// tokens: only identifiers and a human-readable reason.
type AuditEvent struct {
	// Seq is assigned by AppendAudit; entries are ordered by it.
	Seq int64
	// At is when it happened; zero means now (set by AppendAudit).
	At      time.Time
	Type    string // one of the Audit* constants
	Outcome string // OutcomeSuccess, OutcomeFailure or OutcomeDenied
	// ClientID, Subject, IdP and GrantID identify who and what; empty when
	// unknown or not applicable.
	ClientID string
	Subject  string
	IdP      string
	GrantID  string
	// IP is the client IP of the request ("" for admin commands).
	IP string
	// Reason explains a failure or refusal (a rule, an upstream error), or
	// names the actor of an admin action.
	Reason string
}

// AuditFilter selects audit events.
type AuditFilter struct {
	// AfterSeq returns only events with a larger sequence number.
	AfterSeq int64
	// Limit caps the number of events (0: no cap).
	Limit int
	// Newest, with Limit, returns the newest Limit events instead of the
	// oldest. Events are always returned oldest first.
	Newest bool
}

// Audit is the audit log: an append-only list of security events, pruned
// by GC after the backend's retention.
type Audit interface {
	// AppendAudit stores e (Seq is ignored; a zero At is set to the current
	// time) and returns its sequence number. Type is required.
	AppendAudit(ctx context.Context, e *AuditEvent) (int64, error)
	// ListAudit returns the events matching f, oldest first.
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, error)
	// PruneAudit deletes the events that happened before before and returns
	// how many it deleted.
	PruneAudit(ctx context.Context, before time.Time) (int, error)
}
